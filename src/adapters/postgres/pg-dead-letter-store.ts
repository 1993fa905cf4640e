import type {
  DeadLetterGroup,
  DeadLetterItem,
  DeadLetterQuery,
  DeadLetterResolution,
  DeadLetterStatus,
  DeadLetterStore,
  DiscardResult,
  NewDeadLetter,
  ReplayResult,
} from '../../ports/dead-letter-store.js';
import type { Page } from '../../ports/page-types.js';
import type { PgAuditStore } from './pg-audit-store.js';
import { checkDate, idsInInputOrder, isRowId, parseErrorCode, parseLane } from './pg-column-codecs.js';
import type { PgClient, PgDatabase } from './pg-database.js';
import type { PgJobQueueTransactions } from './pg-job-queue-link.js';
import { decodeIdCursor, encodeIdCursor, pageLimit, SqlFilters, takePage } from './pg-paging.js';

interface DeadLetterRow {
  id: string;
  event_id: string;
  job_id: string;
  source: string;
  lead_key: string;
  error_code: string;
  message: string;
  trace: string;
  attempts: number;
  created_at: Date;
  status: string;
  resolved_by: string | null;
  resolved_at: Date | null;
  replay_job_id: string | null;
}

function toItem(row: DeadLetterRow): DeadLetterItem {
  const base = {
    id: row.id,
    eventId: row.event_id,
    jobId: row.job_id,
    source: row.source,
    leadKey: row.lead_key,
    errorCode: parseErrorCode(row.error_code),
    message: row.message,
    trace: row.trace,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
  // The table's CHECK constraints guarantee the resolution columns match the status.
  switch (row.status) {
    case 'open':
      return { ...base, status: 'open' };
    case 'replayed':
      return { ...base, status: 'replayed', resolvedBy: row.resolved_by ?? '', resolvedAt: row.resolved_at ?? new Date(0), replayJobId: row.replay_job_id ?? '' };
    case 'discarded':
      return { ...base, status: 'discarded', resolvedBy: row.resolved_by ?? '', resolvedAt: row.resolved_at ?? new Date(0) };
    default:
      throw new Error(`unknown dead letter status "${row.status}" in storage`);
  }
}

type OpenRow =
  | { kind: 'open'; row: DeadLetterRow }
  | { kind: 'closed'; result: { status: 'not_found' } | { status: 'not_open'; item: DeadLetterItem } };

/** Dead letters on PostgreSQL. Items are created by the job outcome store. */
export class PgDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly database: PgDatabase,
    private readonly queue: PgJobQueueTransactions,
    private readonly audit: PgAuditStore,
  ) {}

  /** The item locked for resolution: two operators resolving one item at once take turns, and the second sees `not_open`. */
  private async lockOpenRow(client: PgClient, id: string): Promise<OpenRow> {
    const row = isRowId(id) ? (await client.query<DeadLetterRow>('SELECT * FROM dead_letters WHERE id = $1 FOR UPDATE', [id])).rows[0] : undefined;
    if (row === undefined) return { kind: 'closed', result: { status: 'not_found' } };
    if (row.status !== 'open') return { kind: 'closed', result: { status: 'not_open', item: toItem(row) } };
    return { kind: 'open', row };
  }

  /** Stores new open items in order, in one statement; returns their ids. Call inside the caller's transaction. */
  async insertInTransaction(client: PgClient, items: readonly NewDeadLetter[]): Promise<string[]> {
    if (items.length === 0) return [];
    for (const item of items) {
      if (!isRowId(item.eventId)) throw new RangeError(`dead letter refers to an event id this store never issued: ${item.eventId}`);
      checkDate(item.createdAt);
    }
    const column = <T>(pick: (item: NewDeadLetter) => T): T[] => items.map(pick);
    // Ids drawn in the same row as the input's position, so each item learns its id whatever order the rows are written in.
    const { rows } = await client.query<{ id: string; ord: string }>(
      `WITH input AS (
         SELECT nextval(pg_get_serial_sequence('dead_letters', 'id')) AS id, u.*
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::integer[], $9::timestamptz[])
           WITH ORDINALITY AS u (event_id, job_id, source, lead_key, error_code, message, trace, attempts, created_at, ord)
       ), inserted AS (
         INSERT INTO dead_letters (id, event_id, job_id, source, lead_key, error_code, message, trace, attempts, created_at) OVERRIDING SYSTEM VALUE
         SELECT id, event_id, job_id, source, lead_key, error_code, message, trace, attempts, created_at FROM input ORDER BY ord
       )
       SELECT id, ord FROM input`,
      [
        column((item) => item.eventId), column((item) => item.jobId), column((item) => item.source), column((item) => item.leadKey),
        column((item) => item.errorCode), column((item) => item.message), column((item) => item.trace), column((item) => item.attempts),
        column((item) => item.createdAt),
      ],
    );
    return idsInInputOrder(rows, items.length, 'dead letter');
  }

  async list(query: DeadLetterQuery = {}): Promise<Page<DeadLetterItem>> {
    const limit = pageLimit(query.limit);
    const filters = new SqlFilters();
    if (query.status !== undefined) filters.add('status = ?', query.status);
    if (query.code !== undefined) filters.add('error_code = ?', query.code);
    if (query.source !== undefined) filters.add('source = ?', query.source);
    if (query.cursor !== undefined) filters.add('id < ?::bigint', decodeIdCursor(query.cursor));
    const limitParam = filters.next(limit + 1);
    const result = await this.database.query<DeadLetterRow>(`SELECT * FROM dead_letters ${filters.where()} ORDER BY id DESC LIMIT ${limitParam}`, filters.params);
    const page = takePage(result.rows, limit);
    return { items: page.rows.map(toItem), nextCursor: page.last === undefined ? null : encodeIdCursor(page.last.id) };
  }

  async groupByCode(filter: { readonly status?: DeadLetterStatus } = {}): Promise<readonly DeadLetterGroup[]> {
    const result = await this.database.query<{ error_code: string; n: string; oldest: Date; newest: Date }>(
      `SELECT error_code, count(*) AS n, min(created_at) AS oldest, max(created_at) AS newest
       FROM dead_letters WHERE status = $1 GROUP BY error_code ORDER BY count(*) DESC, error_code COLLATE "C"`,
      [filter.status ?? 'open'],
    );
    return result.rows.map((row) => ({ errorCode: parseErrorCode(row.error_code), count: Number(row.n), oldestAt: row.oldest, newestAt: row.newest }));
  }

  async get(id: string): Promise<DeadLetterItem | undefined> {
    if (!isRowId(id)) return undefined;
    const row = (await this.database.query<DeadLetterRow>('SELECT * FROM dead_letters WHERE id = $1', [id])).rows[0];
    return row === undefined ? undefined : toItem(row);
  }

  markReplayed(id: string, resolution: DeadLetterResolution): Promise<ReplayResult> {
    return this.database.withTransaction(async (client): Promise<ReplayResult> => {
      const open = await this.lockOpenRow(client, id);
      if (open.kind !== 'open') return open.result;
      const event = (await client.query<{ lead_key: string; lane: string }>('SELECT lead_key, lane FROM events WHERE id = $1', [open.row.event_id])).rows[0];
      if (event === undefined) throw new Error(`dead letter ${id} refers to missing event ${open.row.event_id}`);
      const [jobId] = await this.queue.enqueueJobsInTransaction(client, [
        { eventId: open.row.event_id, leadKey: event.lead_key, lane: parseLane(event.lane), at: checkDate(resolution.now) },
      ]);
      if (jobId === undefined) throw new Error('enqueue returned no job id');
      await client.query(
        "UPDATE dead_letters SET status = 'replayed', resolved_by = $1, resolved_at = $2, replay_job_id = $3 WHERE id = $4",
        [resolution.actor, resolution.now, jobId, open.row.id],
      );
      const auditIds = await this.audit.appendInTransaction(client, resolution.audit ?? []);
      return { status: 'replayed', jobId, auditIds };
    });
  }

  markDiscarded(id: string, resolution: DeadLetterResolution): Promise<DiscardResult> {
    return this.database.withTransaction(async (client): Promise<DiscardResult> => {
      const open = await this.lockOpenRow(client, id);
      if (open.kind !== 'open') return open.result;
      await client.query(
        "UPDATE dead_letters SET status = 'discarded', resolved_by = $1, resolved_at = $2 WHERE id = $3",
        [resolution.actor, checkDate(resolution.now), open.row.id],
      );
      const auditIds = await this.audit.appendInTransaction(client, resolution.audit ?? []);
      return { status: 'discarded', auditIds };
    });
  }
}
