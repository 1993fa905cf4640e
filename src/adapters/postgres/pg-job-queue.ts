import { LANES, type ClaimRequest, type Job, type JobQueue, type Lane, type RetryRequest, type RetryResult } from '../../ports/job-queue.js';
import { checkDate, isRowId, parseLane } from './pg-column-codecs.js';
import type { PgClient, PgDatabase, PgStatement } from './pg-database.js';
import type { PgNewJob } from './pg-job-queue-link.js';

// The job queue on PostgreSQL: one table (migration 002_job_queue.sql), claimed
// with FOR UPDATE SKIP LOCKED, enqueued and completed inside the callers'
// transactions. Why not pg-boss or graphile-worker: docs/decisions/0005-postgres-job-queue-engine.md.

interface JobRow {
  id: string;
  event_id: string;
  lead_key: string;
  lane: string;
  attempt: number;
  enqueued_at: Date;
  run_at: Date;
  last_error: string | null;
}

const RETURNED_JOB_COLUMNS = 'j.id, j.event_id, j.lead_key, j.lane, j.attempt, j.enqueued_at, j.run_at, j.last_error';

/**
 * First key of the advisory locks that order a lead's jobs (the second is
 * the lead key's hash). Transaction-scoped, so they work through PgBouncer in
 * transaction mode and are released by COMMIT/ROLLBACK or a dropped connection.
 */
const LEAD_LOCK_CLASS = 0x1ead6;

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    eventId: row.event_id,
    leadKey: row.lead_key,
    lane: parseLane(row.lane),
    attempt: row.attempt,
    enqueuedAt: row.enqueued_at,
    runAt: row.run_at,
    lastError: row.last_error,
  };
}

function perLane(value: (lane: Lane) => number): Record<Lane, number> {
  return Object.fromEntries(LANES.map((lane) => [lane, value(lane)])) as Record<Lane, number>;
}

/**
 * Takes the advisory locks of these leads, in one fixed order (so two
 * transactions locking overlapping sets cannot deadlock on each other here),
 * until the transaction ends. Enqueue and completion both take them: a job
 * enqueued while the lead's head job is being completed must either see the
 * head (and queue behind it, to be promoted by the completion) or see it gone
 * (and become the head), never fall between the two.
 */
async function lockLeads(client: PgClient, leadKeys: readonly string[]): Promise<void> {
  const distinct = [...new Set(leadKeys)];
  if (distinct.length === 0) return;
  await client.query(
    `SELECT pg_advisory_xact_lock($1, k) FROM (SELECT DISTINCT hashtext(key) AS k FROM unnest($2::text[]) AS key) AS keys ORDER BY k`,
    [LEAD_LOCK_CLASS, distinct],
  );
}

/** `lockLeads` for a caller that enqueues with `enqueueJobsSql` in a later statement of its transaction. */
export async function lockLeadsInTransaction(client: PgClient, leadKeys: readonly string[]): Promise<void> {
  await lockLeads(client, leadKeys);
}

/**
 * The statement (or data-modifying `WITH` member) that enqueues a job for
 * every row of `source`, a FROM item with the columns `event_id` (bigint),
 * `lead_key`, `lane` (text), `at` (timestamptz) and `ord` (the input order),
 * each behind the unfinished jobs of its lead; it returns `id` and
 * `event_id`. The leads' locks must already be held, taken by an earlier
 * statement of the same transaction (`lockLeadsInTransaction`): a statement
 * reads the queue as it was when the statement began.
 */
export function enqueueJobsSql(source: string): string {
  // A job is the head when it is its lead's first in this call and the lead has no unfinished job.
  // Rows are inserted in input order, so identity ids follow it.
  return `INSERT INTO job_queue (event_id, lead_key, lane, head, enqueued_at, run_at, visible_at)
     SELECT event_id, lead_key, lane,
            -- A scalar subquery with a LIMIT probes the lead index per row; NOT EXISTS would be an anti join,
            -- planned as a scan of the whole queue while its statistics are stale (a backlog arriving).
            first_of_lead AND (SELECT q.id FROM job_queue q WHERE q.lead_key = input.lead_key LIMIT 1) IS NULL,
            at, at, at
     FROM (
       SELECT event_id, lead_key, lane, at, ord,
              row_number() OVER (PARTITION BY lead_key ORDER BY ord) = 1 AS first_of_lead
       FROM ${source}
     ) AS input
     ORDER BY ord
     RETURNING id, event_id`;
}

/**
 * Enqueues jobs for stored events, in order, each behind the unfinished jobs
 * of its lead. Call inside the caller's open transaction (the one that
 * stores the events, or resolves a DLQ item), so the job commits with it.
 * Returns the job ids in input order.
 */
export async function enqueueJobsInTransaction(client: PgClient, jobs: readonly PgNewJob[]): Promise<readonly string[]> {
  if (jobs.length === 0) return [];
  for (const job of jobs) {
    if (!isRowId(job.eventId)) throw new RangeError(`enqueue: event id "${job.eventId}" is not a stored event's id`);
    parseLane(job.lane);
    checkDate(job.at);
  }
  await lockLeads(client, jobs.map((job) => job.leadKey));
  const { rows } = await client.query<{ id: string }>(
    enqueueJobsSql('unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS u(event_id, lead_key, lane, at, ord)'),
    [jobs.map((job) => job.eventId), jobs.map((job) => job.leadKey), jobs.map((job) => job.lane), jobs.map((job) => job.at)],
  );
  if (rows.length !== jobs.length) throw new Error(`enqueue inserted ${rows.length} jobs for ${jobs.length}`);
  return rows.map((row) => row.id).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

/**
 * Completes (deletes) a job claimed by `workerId` inside the caller's open
 * transaction (the settle that writes the job's audit entries), and makes
 * the lead's next job its head. False, with nothing changed, when the job is
 * gone or another worker holds it now.
 */
export async function completeJobInTransaction(client: PgClient, jobId: string, workerId: string): Promise<boolean> {
  if (!isRowId(jobId)) return false;
  // The lead's lock first (keyed by the row's lead), then delete and promote in one statement.
  const locked = await client.query<{ lead_key: string }>(
    `SELECT lead_key, pg_advisory_xact_lock($2, hashtext(lead_key)) FROM job_queue WHERE id = $1 AND claimed_by = $3`,
    [jobId, LEAD_LOCK_CLASS, workerId],
  );
  if (locked.rows.length === 0) return false;
  const { rows } = await client.query<{ deleted: number }>(
    `WITH done AS (
       DELETE FROM job_queue WHERE id = $1 AND claimed_by = $2 RETURNING lead_key, head
     ), promoted AS (
       UPDATE job_queue SET head = true
       WHERE id = (SELECT min(q.id) FROM job_queue q JOIN done ON q.lead_key = done.lead_key WHERE done.head AND q.id <> $1)
       RETURNING id
     )
     SELECT (SELECT count(*) FROM done)::int AS deleted, (SELECT count(*) FROM promoted)::int AS promoted`,
    [jobId, workerId],
  );
  return rows[0]?.deleted === 1;
}

/**
 * `completeJobInTransaction` for many jobs in two statements (the batch lane
 * and grouped realtime settles): returns the ids completed; a job missing
 * from the result is gone or held by another worker, and nothing was changed
 * for it. A lead's head and followers may be completed together; its next
 * unfinished job becomes the head.
 */
export async function completeJobsInTransaction(client: PgClient, jobs: readonly { readonly id: string; readonly workerId: string }[]): Promise<ReadonlySet<string>> {
  const statements = completeJobsStatements(jobs);
  if (statements === undefined) return new Set();
  await client.query(statements[0].text, [...statements[0].values]);
  const { rows } = await client.query<{ id: string }>(statements[1].text, [...statements[1].values]);
  return new Set(rows.map((row) => row.id));
}

/**
 * The two statements of `completeJobsInTransaction`, to run in this order in
 * the caller's transaction (the settle sends them with its other statements
 * in one message): the leads' locks, then the completion, whose rows (`id`)
 * are the jobs completed. Undefined when no job id is valid (nothing to run).
 */
export function completeJobsStatements(jobs: readonly { readonly id: string; readonly workerId: string }[]): readonly [PgStatement, PgStatement] | undefined {
  const valid = jobs.filter((job) => isRowId(job.id));
  if (valid.length === 0) return undefined;
  const ids = valid.map((job) => job.id);
  const workers = valid.map((job) => job.workerId);
  // Jobs are looked up by primary key (`= ANY`, LATERAL … LIMIT 1), never by joining the
  // queue to the input list: with stale statistics that join is planned as a scan of the
  // whole queue, once per settle.
  return [
    {
      text: `SELECT pg_advisory_xact_lock($2, k) FROM (
       SELECT DISTINCT hashtext(j.lead_key) AS k FROM unnest($1::bigint[], $3::text[]) AS u(id, worker)
       CROSS JOIN LATERAL (SELECT lead_key FROM job_queue q WHERE q.id = u.id AND q.claimed_by = u.worker LIMIT 1) AS j
     ) AS keys ORDER BY k`,
      values: [ids, LEAD_LOCK_CLASS, workers],
    },
    {
      text: `WITH done AS (
       DELETE FROM job_queue j
       WHERE j.id = ANY($1::bigint[]) AND (j.id, j.claimed_by) IN (SELECT id, worker FROM unnest($1::bigint[], $2::text[]) AS u(id, worker))
       RETURNING j.id, j.lead_key, j.head
     ), next_heads AS (
       SELECT n.id FROM (SELECT DISTINCT lead_key FROM done WHERE head) AS freed
       CROSS JOIN LATERAL (
         SELECT q.id FROM job_queue q
         WHERE q.lead_key = freed.lead_key AND q.id NOT IN (SELECT id FROM done)
         ORDER BY q.id LIMIT 1
       ) AS n
     ), promoted AS (
       UPDATE job_queue SET head = true WHERE id IN (SELECT id FROM next_heads) RETURNING id
     )
     SELECT id FROM done`,
      values: [ids, workers],
    },
  ];
}

/** Of `leadKeys`, the ones with an unfinished job (queued, claimed or waiting for a retry). */
export async function leadKeysWithUnfinishedJobs(client: PgClient, leadKeys: readonly string[]): Promise<ReadonlySet<string>> {
  if (leadKeys.length === 0) return new Set();
  const { rows } = await client.query<{ lead_key: string }>('SELECT DISTINCT lead_key FROM job_queue WHERE lead_key = ANY($1::text[])', [[...leadKeys]]);
  return new Set(rows.map((row) => row.lead_key));
}

function compareIds(a: Job, b: Job): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The job queue on PostgreSQL, shared by any number of worker processes.
 * Claims are one statement over the due head jobs of a lane
 * (`FOR UPDATE SKIP LOCKED`), so workers never wait on each other's rows.
 * Due jobs go out in order of their due time (`run_at`: enqueue or retry
 * time); a job whose claim expired keeps its original due time, so a dead
 * worker's job runs again ahead of the backlog that arrived after it.
 * Times (`now`, `runAt`, visibility) are the callers': keep the clocks of the
 * machines in sync (NTP); a worker whose clock runs ahead hands out expired
 * claims that much early.
 */
export class PgJobQueue implements JobQueue {
  constructor(private readonly database: PgDatabase) {}

  async claim(request: ClaimRequest): Promise<readonly Job[]> {
    if (!Number.isSafeInteger(request.limit) || request.limit < 1) return [];
    const perLead = request.consecutivePerLead ?? 1;
    if (!Number.isSafeInteger(perLead) || perLead < 1) throw new RangeError(`claim: consecutivePerLead must be a whole number ≥ 1, got ${String(request.consecutivePerLead)}`);
    const lane = parseLane(request.lane);
    const now = checkDate(request.now);
    const visibleAt = new Date(now.getTime() + Math.max(0, request.visibilityMs));
    const { rows } = perLead === 1
      ? await this.database.query<JobRow>(
          // The due heads, locked, from `job_queue_claimable_heads` (migration 008: an ordered
          // index scan whatever the statistics say), then updated by primary key.
          `UPDATE job_queue AS j SET claimed_by = $4, visible_at = $5, attempt = j.attempt + 1
           WHERE j.id = ANY (ARRAY(SELECT id FROM job_queue_claimable_heads($1, $2, $3)))
           RETURNING ${RETURNED_JOB_COLUMNS}`,
          [lane, now, request.limit, request.workerId, visibleAt],
        )
      : await this.database.query<JobRow>(
          // Heads as above (locked, so no other claim takes these leads), then each head's
          // followers in enqueue order while they stay in this lane and due; at most
          // `perLead` per lead and `limit` in all, leads in the heads' order.
          `WITH heads AS (
             SELECT id, lead_key, run_at FROM job_queue_claimable_heads($1, $2, $3)
           ), runs AS (
             -- Each head's first perLead jobs by id through the lead index (a LATERAL with a LIMIT is
             -- run per head, so the plan cannot turn into a scan of the whole queue when the
             -- table's statistics are stale, as they are while a backlog arrives).
             SELECT f.id, h.run_at AS head_run_at, h.id AS head_id,
                    row_number() OVER lead_order AS position,
                    bool_and(f.lane = $1 AND f.visible_at <= $2) OVER lead_order AS unbroken
             FROM heads h CROSS JOIN LATERAL (
               SELECT q.id, q.lane, q.visible_at FROM job_queue q
               WHERE q.lead_key = h.lead_key AND q.id >= h.id
               ORDER BY q.id LIMIT $6
             ) AS f
             WINDOW lead_order AS (PARTITION BY h.id ORDER BY f.id)
           ), taken AS (
             SELECT id, row_number() OVER (ORDER BY head_run_at, head_id, position) AS n
             FROM runs WHERE unbroken AND position <= $6
           )
           -- By primary key (= ANY), not joined: a join may be planned as a scan of the whole queue.
           UPDATE job_queue AS j SET claimed_by = $4, visible_at = $5, attempt = j.attempt + 1
           WHERE j.id = ANY (ARRAY(SELECT id FROM taken WHERE n <= $3))
           RETURNING ${RETURNED_JOB_COLUMNS}`,
          [lane, now, request.limit, request.workerId, visibleAt, perLead],
        );
    return rows.map(toJob).sort(compareIds);
  }

  async retry(jobId: string, request: RetryRequest): Promise<RetryResult> {
    if (!isRowId(jobId)) return { status: 'lost_claim' };
    const runAt = checkDate(request.runAt);
    const { rows } = await this.database.query<{ run_at: Date }>(
      `UPDATE job_queue SET run_at = $3, visible_at = $3, claimed_by = NULL, last_error = $4
       WHERE id = $1 AND claimed_by = $2
       RETURNING run_at`,
      [jobId, request.workerId, runAt, request.error],
    );
    const row = rows[0];
    return row === undefined ? { status: 'lost_claim' } : { status: 'scheduled', runAt: row.run_at };
  }

  async depth(): Promise<Readonly<Record<Lane, number>>> {
    const { rows } = await this.database.query<{ lane: string; n: number }>('SELECT lane, count(*)::int AS n FROM job_queue GROUP BY lane');
    const counts = new Map(rows.map((row) => [row.lane, row.n]));
    return perLane((lane) => counts.get(lane) ?? 0);
  }

  async oldestAgeMs(now: Date): Promise<Readonly<Record<Lane, number>>> {
    const nowMs = checkDate(now).getTime();
    const { rows } = await this.database.query<{ lane: string; enqueued_at: Date }>(
      LANES.map((_, index) => `(SELECT lane, enqueued_at FROM job_queue WHERE lane = $${index + 1} ORDER BY id LIMIT 1)`).join(' UNION ALL '),
      [...LANES],
    );
    const oldest = new Map(rows.map((row) => [row.lane, row.enqueued_at.getTime()]));
    return perLane((lane) => {
      const enqueued = oldest.get(lane);
      return enqueued === undefined ? 0 : Math.max(0, nowMs - enqueued);
    });
  }
}
