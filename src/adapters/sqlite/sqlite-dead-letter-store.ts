import type BetterSqlite3 from 'better-sqlite3';
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
import { promised } from './sqlite-async-bridge.js';
import { writeWithoutBlocking } from '../../adapter-support/sqlite-nonblocking-write.js';
import type { SqliteAuditStore } from './sqlite-audit-store.js';
import { formatId, fromMs, parseErrorCode, parseId, parseLane, toMs } from './sqlite-column-codecs.js';
import type { SqliteJobQueue } from './sqlite-job-queue.js';
import { decodeIdCursor, encodeIdCursor, pageLimit, takePage } from './sqlite-paging.js';
import { SqliteStatementCache } from './sqlite-statement-cache.js';

interface DeadLetterRow {
  id: number;
  event_id: number;
  job_id: number;
  source: string;
  lead_key: string;
  error_code: string;
  message: string;
  trace: string;
  attempts: number;
  created_at: number;
  status: string;
  resolved_by: string | null;
  resolved_at: number | null;
  replay_job_id: number | null;
}

type InsertParams = [number, number, string, string, string, string, string, number, number];

function toItem(row: DeadLetterRow): DeadLetterItem {
  const base = {
    id: formatId(row.id),
    eventId: formatId(row.event_id),
    jobId: formatId(row.job_id),
    source: row.source,
    leadKey: row.lead_key,
    errorCode: parseErrorCode(row.error_code),
    message: row.message,
    trace: row.trace,
    attempts: row.attempts,
    createdAt: fromMs(row.created_at),
  };
  // The table's CHECK constraints guarantee the resolution columns match the status.
  switch (row.status) {
    case 'open':
      return { ...base, status: 'open' };
    case 'replayed':
      return {
        ...base,
        status: 'replayed',
        resolvedBy: row.resolved_by ?? '',
        resolvedAt: fromMs(row.resolved_at ?? 0),
        replayJobId: formatId(row.replay_job_id ?? 0),
      };
    case 'discarded':
      return { ...base, status: 'discarded', resolvedBy: row.resolved_by ?? '', resolvedAt: fromMs(row.resolved_at ?? 0) };
    default:
      throw new Error(`unknown dead letter status "${row.status}" in storage`);
  }
}

/** Dead letters on SQLite. Items are created by the job outcome store. */
export class SqliteDeadLetterStore implements DeadLetterStore {
  private readonly insertItem: BetterSqlite3.Statement<InsertParams>;
  private readonly itemById: BetterSqlite3.Statement<[number], DeadLetterRow>;
  private readonly eventOf: BetterSqlite3.Statement<[number], { lead_key: string; lane: string }>;
  private readonly resolve: BetterSqlite3.Statement<[string, string, number, number | null, number]>;
  private readonly listStatements: SqliteStatementCache<DeadLetterRow>;
  private readonly groupStatements: SqliteStatementCache<{ error_code: string; n: number; oldest: number; newest: number }>;
  private readonly replayTransaction: BetterSqlite3.Transaction<(id: string, resolution: DeadLetterResolution) => ReplayResult>;
  private readonly discardTransaction: BetterSqlite3.Transaction<(id: string, resolution: DeadLetterResolution) => DiscardResult>;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly queue: SqliteJobQueue,
    private readonly audit: SqliteAuditStore,
  ) {
    this.insertItem = db.prepare(
      `INSERT INTO dead_letters (event_id, job_id, source, lead_key, error_code, message, trace, attempts, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.itemById = db.prepare('SELECT * FROM dead_letters WHERE id = ?');
    this.eventOf = db.prepare('SELECT lead_key, lane FROM events WHERE id = ?');
    this.resolve = db.prepare(
      `UPDATE dead_letters SET status = ?, resolved_by = ?, resolved_at = ?, replay_job_id = ?
       WHERE id = ? AND status = 'open'`,
    );
    this.listStatements = new SqliteStatementCache(db);
    this.groupStatements = new SqliteStatementCache(db);
    this.replayTransaction = db.transaction((id: string, resolution: DeadLetterResolution): ReplayResult => {
      const row = this.openRow(id);
      if (row.kind !== 'open') return row.result;
      const event = this.eventOf.get(row.row.event_id);
      if (event === undefined) throw new Error(`dead letter ${id} refers to missing event ${row.row.event_id}`);
      const jobId = this.queue.enqueueInTransaction(row.row.event_id, event.lead_key, parseLane(event.lane), resolution.now);
      this.resolve.run('replayed', resolution.actor, toMs(resolution.now), Number(jobId), row.row.id);
      const auditIds = this.audit.appendInTransaction(resolution.audit ?? []);
      return { status: 'replayed', jobId, auditIds };
    });
    this.discardTransaction = db.transaction((id: string, resolution: DeadLetterResolution): DiscardResult => {
      const row = this.openRow(id);
      if (row.kind !== 'open') return row.result;
      this.resolve.run('discarded', resolution.actor, toMs(resolution.now), null, row.row.id);
      const auditIds = this.audit.appendInTransaction(resolution.audit ?? []);
      return { status: 'discarded', auditIds };
    });
  }

  private openRow(
    id: string,
  ):
    | { kind: 'open'; row: DeadLetterRow }
    | { kind: 'closed'; result: { status: 'not_found' } | { status: 'not_open'; item: DeadLetterItem } } {
    const rowId = parseId(id);
    const row = rowId === undefined ? undefined : this.itemById.get(rowId);
    if (row === undefined) return { kind: 'closed', result: { status: 'not_found' } };
    if (row.status !== 'open') return { kind: 'closed', result: { status: 'not_open', item: toItem(row) } };
    return { kind: 'open', row };
  }

  /** Stores a new open item. Call inside the caller's write transaction. */
  insertInTransaction(item: NewDeadLetter): string {
    const eventId = parseId(item.eventId);
    const jobId = parseId(item.jobId);
    if (eventId === undefined || jobId === undefined) {
      throw new RangeError(`dead letter refers to an id this store never issued (event ${item.eventId}, job ${item.jobId})`);
    }
    const info = this.insertItem.run(
      eventId, jobId, item.source, item.leadKey, item.errorCode, item.message, item.trace, item.attempts, toMs(item.createdAt),
    );
    return formatId(info.lastInsertRowid);
  }

  list(query: DeadLetterQuery = {}): Promise<Page<DeadLetterItem>> {
    return promised(() => {
      const limit = pageLimit(query.limit);
      const { where, params } = filters(query);
      if (query.cursor !== undefined) {
        where.push('id < ?');
        params.push(decodeIdCursor(query.cursor));
      }
      const sql = `SELECT * FROM dead_letters ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      const page = takePage(this.listStatements.get(sql).all(...params, limit + 1), limit);
      return { items: page.rows.map(toItem), nextCursor: page.last === undefined ? null : encodeIdCursor(page.last.id) };
    });
  }

  groupByCode(filter: { readonly status?: DeadLetterStatus } = {}): Promise<readonly DeadLetterGroup[]> {
    return promised(() => {
      const status = filter.status ?? 'open';
      const sql = `SELECT error_code, count(*) AS n, min(created_at) AS oldest, max(created_at) AS newest
                   FROM dead_letters WHERE status = ? GROUP BY error_code ORDER BY n DESC, error_code`;
      return this.groupStatements
        .get(sql)
        .all(status)
        .map((row) => ({ errorCode: parseErrorCode(row.error_code), count: row.n, oldestAt: fromMs(row.oldest), newestAt: fromMs(row.newest) }));
    });
  }

  get(id: string): Promise<DeadLetterItem | undefined> {
    return promised(() => {
      const rowId = parseId(id);
      const row = rowId === undefined ? undefined : this.itemById.get(rowId);
      return row === undefined ? undefined : toItem(row);
    });
  }

  // A person's action, run on the HTTP thread of `leadsync serve`: a busy write lock (the worker thread's) is waited
  // for without sleeping that thread's event loop (docs/decisions/0033-operator-writes-off-the-busy-handler.md).
  markReplayed(id: string, resolution: DeadLetterResolution): Promise<ReplayResult> {
    return writeWithoutBlocking(this.db, () => this.replayTransaction.immediate(id, resolution));
  }

  markDiscarded(id: string, resolution: DeadLetterResolution): Promise<DiscardResult> {
    return writeWithoutBlocking(this.db, () => this.discardTransaction.immediate(id, resolution));
  }
}

function filters(query: DeadLetterQuery): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.status !== undefined) {
    where.push('status = ?');
    params.push(query.status);
  }
  if (query.code !== undefined) {
    where.push('error_code = ?');
    params.push(query.code);
  }
  if (query.source !== undefined) {
    where.push('source = ?');
    params.push(query.source);
  }
  return { where, params };
}
