import type BetterSqlite3 from 'better-sqlite3';
import { LANES, type ClaimRequest, type Job, type JobQueue, type Lane, type RetryRequest, type RetryResult } from '../../ports/job-queue.js';
import { promised } from './sqlite-async-bridge.js';
import { formatId, fromMs, parseId, parseLane, toMs } from './sqlite-column-codecs.js';

interface JobRow {
  id: number;
  event_id: number;
  lead_key: string;
  lane: string;
  attempt: number;
  enqueued_at: number;
  run_at: number;
  last_error: string | null;
}

interface ClaimParams {
  workerId: string;
  visibleAt: number;
  lane: string;
  now: number;
  limit: number;
}

function toJob(row: JobRow): Job {
  return {
    id: formatId(row.id),
    eventId: formatId(row.event_id),
    leadKey: row.lead_key,
    lane: parseLane(row.lane),
    attempt: row.attempt,
    enqueuedAt: fromMs(row.enqueued_at),
    runAt: fromMs(row.run_at),
    lastError: row.last_error,
  };
}

/** A job removed by `deleteClaimedInTransaction`. */
export interface DeletedJob {
  readonly workerId: string;
  readonly eventId: number;
  readonly lane: Lane;
}

/**
 * Jobs added (+1) or removed (−1) during one write transaction, per lane, not
 * yet in `job_counts`. Until migration 008 a trigger updated the count row for
 * every inserted and deleted job; an ingest batch or a settle now updates it
 * once per lane, in the same transaction, before it commits.
 */
export class JobCountTally {
  private readonly deltas = new Map<string, number>();

  constructor(private readonly add: (lane: string, delta: number) => void) {}

  count(lane: string, delta: number): void {
    this.deltas.set(lane, (this.deltas.get(lane) ?? 0) + delta);
  }

  /** Adds the counts to `job_counts` and empties the tally. Call inside the transaction that added or removed the jobs. */
  writeInTransaction(): void {
    for (const [lane, delta] of this.deltas) if (delta !== 0) this.add(lane, delta);
    this.deltas.clear();
  }
}

function perLane(value: (lane: Lane) => number): Record<Lane, number> {
  return Object.fromEntries(LANES.map((lane) => [lane, value(lane)])) as Record<Lane, number>;
}

/**
 * The job queue on SQLite. Per-lead order is kept by a `head` flag: set on
 * insert when the lead has no unfinished job, passed on to the lead's next
 * job by a delete trigger. Claiming is then one indexed range scan over
 * head jobs, however long a hot lead's backlog is.
 */
export class SqliteJobQueue implements JobQueue {
  private readonly insertJob: BetterSqlite3.Statement<[number, string, string, number, number, number, string]>;
  private readonly claimJobs: BetterSqlite3.Statement<[ClaimParams], JobRow>;
  private readonly dueHeads: BetterSqlite3.Statement<[{ lane: string; now: number; limit: number }], { id: number; lead_key: string; has_next: number }>;
  private readonly followersOf: BetterSqlite3.Statement<[string, number, number], { id: number; lane: string; visible_at: number }>;
  private readonly claimIds: BetterSqlite3.Statement<[string, number, string], JobRow>;
  private readonly claimRuns: BetterSqlite3.Transaction<(request: ClaimParams & { perLead: number }) => JobRow[]>;
  private readonly retryJob: BetterSqlite3.Statement<[number, number, string, number, string]>;
  private readonly deleteClaimed: BetterSqlite3.Statement<[string, string], { id: number; event_id: number; lane: string }>;
  private readonly addCount: BetterSqlite3.Statement<[number, string]>;
  private readonly countByLane: BetterSqlite3.Statement<[], { lane: string; n: number }>;
  private readonly oldestOfLane: BetterSqlite3.Statement<[string], { enqueued_at: number }>;

  constructor(db: BetterSqlite3.Database) {
    this.insertJob = db.prepare(
      `INSERT INTO jobs (event_id, lead_key, lane, enqueued_at, run_at, visible_at, head)
       VALUES (?, ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM jobs WHERE lead_key = ?))`,
    );
    // One statement per claim call: pick due head jobs and mark them claimed.
    // RETURNING order is unspecified, so the caller sorts.
    this.claimJobs = db.prepare(
      `UPDATE jobs SET claimed_by = @workerId, visible_at = @visibleAt, attempt = attempt + 1
       WHERE id IN (
         SELECT id FROM jobs
         WHERE head = 1 AND lane = @lane AND visible_at <= @now
         ORDER BY visible_at, id
         LIMIT @limit
       )
       RETURNING id, event_id, lead_key, lane, attempt, enqueued_at, run_at, last_error`,
    );
    // consecutivePerLead > 1: due head jobs, then each one's followers in enqueue order, in one transaction.
    // has_next (one jobs_by_lead probe per head, inside this statement) says whether the lead has a
    // job after its head at all: most leads have none, and a follower query per head cost a
    // statement each (~10 µs per claimed job) to find nothing.
    this.dueHeads = db.prepare(
      `SELECT id, lead_key, EXISTS (SELECT 1 FROM jobs f WHERE f.lead_key = h.lead_key AND f.id > h.id) AS has_next
       FROM jobs h
       WHERE head = 1 AND lane = @lane AND visible_at <= @now
       ORDER BY visible_at, id
       LIMIT @limit`,
    );
    this.followersOf = db.prepare('SELECT id, lane, visible_at FROM jobs WHERE lead_key = ? AND id > ? ORDER BY id LIMIT ?');
    // The picked ids as one JSON array: one statement for the whole claim instead of one per job.
    this.claimIds = db.prepare(
      `UPDATE jobs SET claimed_by = ?, visible_at = ?, attempt = attempt + 1 WHERE id IN (SELECT value FROM json_each(?))
       RETURNING id, event_id, lead_key, lane, attempt, enqueued_at, run_at, last_error`,
    );
    this.claimRuns = db.transaction((request: ClaimParams & { perLead: number }) => {
      const ids: number[] = [];
      for (const head of this.dueHeads.all({ lane: request.lane, now: request.now, limit: request.limit })) {
        if (ids.length >= request.limit) break;
        ids.push(head.id);
        const room = Math.min(request.perLead - 1, request.limit - ids.length);
        if (room <= 0 || head.has_next === 0) continue;
        // Consecutive only: stop at the first follower of another lane or not due (a retry, or held by a live claim).
        for (const next of this.followersOf.all(head.lead_key, head.id, room)) {
          if (next.lane !== request.lane || next.visible_at > request.now) break;
          ids.push(next.id);
        }
      }
      return ids.length === 0 ? [] : this.claimIds.all(request.workerId, request.visibleAt, JSON.stringify(ids));
    });
    this.retryJob = db.prepare(
      `UPDATE jobs SET run_at = ?, visible_at = ?, claimed_by = NULL, last_error = ?
       WHERE id = ? AND claimed_by = ?`,
    );
    // The claimed jobs of one worker, given as a JSON array of ids, in one statement.
    // Each deleted head still fires jobs_promote_next_head, releasing its lead's next job.
    this.deleteClaimed = db.prepare(
      'DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ? RETURNING id, event_id, lane',
    );
    // Kept per transaction by whoever adds or removes jobs (migration 008; triggers before it):
    // counting the table itself is a scan of every queued job.
    this.addCount = db.prepare('UPDATE job_counts SET n = n + ? WHERE lane = ?');
    this.countByLane = db.prepare('SELECT lane, n FROM job_counts');
    this.oldestOfLane = db.prepare('SELECT enqueued_at FROM jobs WHERE lane = ? ORDER BY id LIMIT 1');
  }

  /** A tally of `job_counts` changes for one write transaction (see `enqueueInTransaction`, `deleteClaimedInTransaction`). */
  countTally(): JobCountTally {
    return new JobCountTally((lane, delta) => this.addCount.run(delta, lane));
  }

  /**
   * Adds a job behind the lead's unfinished jobs. Call inside the caller's
   * write transaction. With `counts`, the job is counted there (the caller
   * writes the tally before the transaction ends); without, `job_counts` is
   * updated at once.
   */
  enqueueInTransaction(eventId: number, leadKey: string, lane: Lane, at: Date, counts?: JobCountTally): string {
    const ms = toMs(at);
    const info = this.insertJob.run(eventId, leadKey, lane, ms, ms, ms, leadKey);
    if (counts === undefined) this.addCount.run(1, lane);
    else counts.count(lane, 1);
    return formatId(info.lastInsertRowid);
  }

  /**
   * Deletes the jobs of `claims` that are still held by the claim's worker,
   * with one statement per worker, and counts them in `counts`. Returns the
   * deleted jobs by id: a claim missing from the result was lost (the job is
   * gone, or another worker holds it). Call inside the caller's write transaction.
   */
  deleteClaimedInTransaction(claims: readonly { readonly id: number; readonly workerId: string }[], counts: JobCountTally): Map<number, DeletedJob> {
    const idsByWorker = new Map<string, number[]>();
    for (const claim of claims) {
      const ids = idsByWorker.get(claim.workerId);
      if (ids === undefined) idsByWorker.set(claim.workerId, [claim.id]);
      else ids.push(claim.id);
    }
    const deleted = new Map<number, DeletedJob>();
    for (const [workerId, ids] of idsByWorker) {
      for (const row of this.deleteClaimed.all(JSON.stringify(ids), workerId)) {
        const lane = parseLane(row.lane);
        deleted.set(row.id, { workerId, eventId: row.event_id, lane });
        counts.count(lane, -1);
      }
    }
    return deleted;
  }

  claim(request: ClaimRequest): Promise<readonly Job[]> {
    return promised(() => {
      if (!Number.isSafeInteger(request.limit) || request.limit < 1) return [];
      const now = toMs(request.now);
      const params: ClaimParams = {
        workerId: request.workerId,
        visibleAt: now + Math.max(0, request.visibilityMs),
        lane: request.lane,
        now,
        limit: request.limit,
      };
      const perLead = request.consecutivePerLead ?? 1;
      if (!Number.isSafeInteger(perLead) || perLead < 1) throw new RangeError(`claim: consecutivePerLead must be a whole number ≥ 1, got ${String(request.consecutivePerLead)}`);
      const rows = perLead === 1 ? this.claimJobs.all(params) : this.claimRuns.immediate({ ...params, perLead });
      return rows.sort((a, b) => a.id - b.id).map(toJob);
    });
  }

  retry(jobId: string, request: RetryRequest): Promise<RetryResult> {
    return promised((): RetryResult => {
      const id = parseId(jobId);
      if (id === undefined) return { status: 'lost_claim' };
      const runAt = toMs(request.runAt);
      const info = this.retryJob.run(runAt, runAt, request.error, id, request.workerId);
      return info.changes === 1 ? { status: 'scheduled', runAt: fromMs(runAt) } : { status: 'lost_claim' };
    });
  }

  depth(): Promise<Readonly<Record<Lane, number>>> {
    return promised(() => {
      const counts = new Map(this.countByLane.all().map((row) => [row.lane, row.n]));
      return perLane((lane) => counts.get(lane) ?? 0);
    });
  }

  oldestAgeMs(now: Date): Promise<Readonly<Record<Lane, number>>> {
    return promised(() => {
      const nowMs = toMs(now);
      return perLane((lane) => {
        const oldest = this.oldestOfLane.get(lane);
        return oldest === undefined ? 0 : Math.max(0, nowMs - oldest.enqueued_at);
      });
    });
  }
}
