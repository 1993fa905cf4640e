import type BetterSqlite3 from 'better-sqlite3';
import type {
  ApprovalDecisionRequest,
  ApprovalItem,
  ApprovalQuery,
  ApprovalStore,
  DecideResult,
  NewApproval,
} from '../../ports/approval-store.js';
import type { Page } from '../../ports/page-types.js';
import { promised } from './sqlite-async-bridge.js';
import { writeWithoutBlocking } from '../../adapter-support/sqlite-nonblocking-write.js';
import type { SqliteAuditStore } from './sqlite-audit-store.js';
import type { SqliteFieldStateStore } from './sqlite-field-state-store.js';
import { decodeFieldValue, encodeFieldValue, formatId, fromMs, parseId, toMs } from './sqlite-column-codecs.js';
import { decodeIdCursor, encodeIdCursor, pageLimit, takePage } from './sqlite-paging.js';
import { SqliteStatementCache } from './sqlite-statement-cache.js';

interface ApprovalRow {
  id: number;
  lead_key: string;
  object: string;
  field: string;
  before_json: string;
  proposed_json: string;
  confidence: number;
  reason: string;
  source: string;
  source_updated_at: string;
  event_id: number;
  created_at: number;
  status: string;
  decided_by: string | null;
  decided_at: number | null;
}

type InsertParams = [string, string, string, string, string, number, string, string, string, number, number];

function toItem(row: ApprovalRow): ApprovalItem {
  const base = {
    id: formatId(row.id),
    leadKey: row.lead_key,
    object: row.object,
    field: row.field,
    before: decodeFieldValue(row.before_json),
    proposed: decodeFieldValue(row.proposed_json),
    confidence: row.confidence,
    reason: row.reason,
    source: row.source,
    sourceUpdatedAt: row.source_updated_at,
    eventId: formatId(row.event_id),
    createdAt: fromMs(row.created_at),
  };
  // The table's CHECK constraints guarantee the decision columns match the status.
  switch (row.status) {
    case 'pending':
      return { ...base, status: 'pending' };
    case 'approved':
    case 'rejected':
      return { ...base, status: row.status, decidedBy: row.decided_by ?? '', decidedAt: fromMs(row.decided_at ?? 0) };
    case 'expired':
      return { ...base, status: 'expired', decidedAt: fromMs(row.decided_at ?? 0) };
    default:
      throw new Error(`unknown approval status "${row.status}" in storage`);
  }
}

/** The approvals queue on SQLite. Items are created by the job outcome store. */
export class SqliteApprovalStore implements ApprovalStore {
  private readonly insertItem: BetterSqlite3.Statement<InsertParams>;
  private readonly itemById: BetterSqlite3.Statement<[number], ApprovalRow>;
  private readonly decidePending: BetterSqlite3.Statement<[string, string, number, number]>;
  private readonly expirePending: BetterSqlite3.Statement<[number, number]>;
  private readonly anyOverdue: BetterSqlite3.Statement<[number], { one: number }>;
  private readonly pendingCount: BetterSqlite3.Statement<[], { n: number }>;
  private readonly listStatements: SqliteStatementCache<ApprovalRow>;
  private readonly decideTransaction: BetterSqlite3.Transaction<(id: string, request: ApprovalDecisionRequest) => DecideResult>;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly audit: SqliteAuditStore,
    private readonly fieldState: SqliteFieldStateStore,
  ) {
    this.insertItem = db.prepare(
      `INSERT INTO approvals (lead_key, object, field, before_json, proposed_json, confidence, reason, source,
         source_updated_at, event_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.itemById = db.prepare('SELECT * FROM approvals WHERE id = ?');
    this.decidePending = db.prepare(
      "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    );
    this.expirePending = db.prepare(
      "UPDATE approvals SET status = 'expired', decided_at = ? WHERE status = 'pending' AND created_at < ?",
    );
    // An UPDATE takes the write lock even when it changes no row: looked for first, so a listing with nothing overdue only reads.
    this.anyOverdue = db.prepare("SELECT 1 AS one FROM approvals WHERE status = 'pending' AND created_at < ? LIMIT 1");
    // Answered from the approvals_by_status index alone.
    this.pendingCount = db.prepare("SELECT count(*) AS n FROM approvals WHERE status = 'pending'");
    this.listStatements = new SqliteStatementCache(db);
    this.decideTransaction = db.transaction((id: string, request: ApprovalDecisionRequest): DecideResult => {
      const rowId = parseId(id);
      const row = rowId === undefined ? undefined : this.itemById.get(rowId);
      if (row === undefined) return { status: 'not_found' };
      if (row.status !== 'pending') return { status: 'not_pending', item: toItem(row) };
      this.decidePending.run(request.decision, request.actor, toMs(request.now), row.id);
      const auditIds = this.audit.appendInTransaction(request.audit ?? []);
      this.fieldState.upsertInTransaction(request.fieldState ?? []);
      const decided = this.itemById.get(row.id);
      if (decided === undefined) throw new Error(`approval ${id} vanished inside its own transaction`);
      return { status: 'decided', item: toItem(decided), auditIds };
    });
  }

  /** Stores a new pending item. Call inside the caller's write transaction. */
  insertInTransaction(item: NewApproval): string {
    const eventId = parseId(item.eventId);
    if (eventId === undefined) throw new RangeError(`approval refers to an event id this store never issued: ${item.eventId}`);
    if (!(item.confidence >= 0 && item.confidence <= 1)) {
      throw new RangeError(`approval ${item.object}.${item.field}: confidence must be within 0..1, got ${item.confidence}`);
    }
    const info = this.insertItem.run(
      item.leadKey, item.object, item.field, encodeFieldValue(item.before), encodeFieldValue(item.proposed), item.confidence,
      item.reason, item.source, item.sourceUpdatedAt, eventId, toMs(item.createdAt),
    );
    return formatId(info.lastInsertRowid);
  }

  list(query: ApprovalQuery = {}): Promise<Page<ApprovalItem>> {
    return promised(() => {
      const limit = pageLimit(query.limit);
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.status !== undefined) {
        where.push('status = ?');
        params.push(query.status);
      }
      if (query.leadKey !== undefined) {
        where.push('lead_key = ?');
        params.push(query.leadKey);
      }
      if (query.cursor !== undefined) {
        where.push('id < ?');
        params.push(decodeIdCursor(query.cursor));
      }
      const sql = `SELECT * FROM approvals ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      const page = takePage(this.listStatements.get(sql).all(...params, limit + 1), limit);
      return { items: page.rows.map(toItem), nextCursor: page.last === undefined ? null : encodeIdCursor(page.last.id) };
    });
  }

  get(id: string): Promise<ApprovalItem | undefined> {
    return promised(() => {
      const rowId = parseId(id);
      const row = rowId === undefined ? undefined : this.itemById.get(rowId);
      return row === undefined ? undefined : toItem(row);
    });
  }

  countPending(): Promise<number> {
    return promised(() => this.pendingCount.get()?.n ?? 0);
  }

  // A person's decision and the expiry before every listing and decision run on the HTTP thread of `leadsync serve`
  // (the expiry also in its maintenance loop): a busy write lock is waited for without sleeping that thread's event
  // loop (docs/decisions/0033-operator-writes-off-the-busy-handler.md).
  decide(id: string, request: ApprovalDecisionRequest): Promise<DecideResult> {
    return writeWithoutBlocking(this.db, () => this.decideTransaction.immediate(id, request));
  }

  async expireOlderThan(cutoff: Date, now: Date): Promise<number> {
    if ((await promised(() => this.anyOverdue.get(toMs(cutoff)))) === undefined) return 0;
    // One statement, its own transaction: on SQLITE_BUSY it changed nothing and is tried again.
    return writeWithoutBlocking(this.db, () => this.expirePending.run(toMs(now), toMs(cutoff)).changes);
  }
}
