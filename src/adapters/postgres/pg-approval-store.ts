import type {
  ApprovalDecisionRequest,
  ApprovalItem,
  ApprovalQuery,
  ApprovalStore,
  DecideResult,
  NewApproval,
} from '../../ports/approval-store.js';
import type { Page } from '../../ports/page-types.js';
import type { PgAuditStore } from './pg-audit-store.js';
import { checkDate, decodeFieldValue, encodeFieldValue, idsInInputOrder, isRowId } from './pg-column-codecs.js';
import type { PgClient, PgDatabase } from './pg-database.js';
import type { PgFieldStateStore } from './pg-field-state-store.js';
import { decodeIdCursor, encodeIdCursor, pageLimit, SqlFilters, takePage } from './pg-paging.js';

interface ApprovalRow {
  id: string;
  lead_key: string;
  object: string;
  field: string;
  before_json: string;
  proposed_json: string;
  confidence: number;
  reason: string;
  source: string;
  source_updated_at: string;
  event_id: string;
  created_at: Date;
  status: string;
  decided_by: string | null;
  decided_at: Date | null;
}

function toItem(row: ApprovalRow): ApprovalItem {
  const base = {
    id: row.id,
    leadKey: row.lead_key,
    object: row.object,
    field: row.field,
    before: decodeFieldValue(row.before_json),
    proposed: decodeFieldValue(row.proposed_json),
    confidence: row.confidence,
    reason: row.reason,
    source: row.source,
    sourceUpdatedAt: row.source_updated_at,
    eventId: row.event_id,
    createdAt: row.created_at,
  };
  // The table's CHECK constraints guarantee the decision columns match the status.
  switch (row.status) {
    case 'pending':
      return { ...base, status: 'pending' };
    case 'approved':
    case 'rejected':
      return { ...base, status: row.status, decidedBy: row.decided_by ?? '', decidedAt: row.decided_at ?? new Date(0) };
    case 'expired':
      return { ...base, status: 'expired', decidedAt: row.decided_at ?? new Date(0) };
    default:
      throw new Error(`unknown approval status "${row.status}" in storage`);
  }
}

/** The approvals queue on PostgreSQL. Items are created by the job outcome store. */
export class PgApprovalStore implements ApprovalStore {
  constructor(
    private readonly database: PgDatabase,
    private readonly audit: PgAuditStore,
    private readonly fieldState: PgFieldStateStore,
  ) {}

  /** Stores new pending items in order, in one statement; returns their ids. Call inside the caller's transaction. */
  async insertInTransaction(client: PgClient, items: readonly NewApproval[]): Promise<string[]> {
    if (items.length === 0) return [];
    for (const item of items) {
      if (!isRowId(item.eventId)) throw new RangeError(`approval refers to an event id this store never issued: ${item.eventId}`);
      if (!(item.confidence >= 0 && item.confidence <= 1)) {
        throw new RangeError(`approval ${item.object}.${item.field}: confidence must be within 0..1, got ${item.confidence}`);
      }
      checkDate(item.createdAt);
    }
    const column = <T>(pick: (item: NewApproval) => T): T[] => items.map(pick);
    // Ids drawn in the same row as the input's position, so each item learns its id whatever order the rows are written in.
    const { rows } = await client.query<{ id: string; ord: string }>(
      `WITH input AS (
         SELECT nextval(pg_get_serial_sequence('approvals', 'id')) AS id, u.*
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::double precision[], $7::text[], $8::text[], $9::text[],
           $10::bigint[], $11::timestamptz[])
           WITH ORDINALITY AS u (lead_key, object, field, before_json, proposed_json, confidence, reason, source, source_updated_at, event_id, created_at, ord)
       ), inserted AS (
         INSERT INTO approvals (id, lead_key, object, field, before_json, proposed_json, confidence, reason, source, source_updated_at, event_id, created_at)
         OVERRIDING SYSTEM VALUE
         SELECT id, lead_key, object, field, before_json, proposed_json, confidence, reason, source, source_updated_at, event_id, created_at FROM input ORDER BY ord
       )
       SELECT id, ord FROM input`,
      [
        column((item) => item.leadKey), column((item) => item.object), column((item) => item.field), column((item) => encodeFieldValue(item.before)),
        column((item) => encodeFieldValue(item.proposed)), column((item) => item.confidence), column((item) => item.reason), column((item) => item.source),
        column((item) => item.sourceUpdatedAt), column((item) => item.eventId), column((item) => item.createdAt),
      ],
    );
    return idsInInputOrder(rows, items.length, 'approval');
  }

  async list(query: ApprovalQuery = {}): Promise<Page<ApprovalItem>> {
    const limit = pageLimit(query.limit);
    const filters = new SqlFilters();
    if (query.status !== undefined) filters.add('status = ?', query.status);
    if (query.leadKey !== undefined) filters.add('lead_key = ?', query.leadKey);
    if (query.cursor !== undefined) filters.add('id < ?::bigint', decodeIdCursor(query.cursor));
    const limitParam = filters.next(limit + 1);
    const result = await this.database.query<ApprovalRow>(`SELECT * FROM approvals ${filters.where()} ORDER BY id DESC LIMIT ${limitParam}`, filters.params);
    const page = takePage(result.rows, limit);
    return { items: page.rows.map(toItem), nextCursor: page.last === undefined ? null : encodeIdCursor(page.last.id) };
  }

  async get(id: string): Promise<ApprovalItem | undefined> {
    if (!isRowId(id)) return undefined;
    const row = (await this.database.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1', [id])).rows[0];
    return row === undefined ? undefined : toItem(row);
  }

  async countPending(): Promise<number> {
    const result = await this.database.query<{ n: number }>("SELECT count(*)::int AS n FROM approvals WHERE status = 'pending'");
    return result.rows[0]?.n ?? 0;
  }

  decide(id: string, request: ApprovalDecisionRequest): Promise<DecideResult> {
    return this.database.withTransaction(async (client): Promise<DecideResult> => {
      // Locked: two people deciding one item at once take turns; the second sees not_pending.
      const row = isRowId(id) ? (await client.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1 FOR UPDATE', [id])).rows[0] : undefined;
      if (row === undefined) return { status: 'not_found' };
      if (row.status !== 'pending') return { status: 'not_pending', item: toItem(row) };
      const decided = (
        await client.query<ApprovalRow>(
          'UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 RETURNING *',
          [request.decision, request.actor, checkDate(request.now), row.id],
        )
      ).rows[0];
      if (decided === undefined) throw new Error(`approval ${id} vanished inside its own transaction`);
      await this.fieldState.upsertInTransaction(client, request.fieldState ?? []);
      // Audit last: the chain head stays locked for as short a time as possible.
      const auditIds = await this.audit.appendInTransaction(client, request.audit ?? []);
      return { status: 'decided', item: toItem(decided), auditIds };
    });
  }

  async expireOlderThan(cutoff: Date, now: Date): Promise<number> {
    const result = await this.database.query(
      "UPDATE approvals SET status = 'expired', decided_at = $1 WHERE status = 'pending' AND created_at < $2",
      [checkDate(now), checkDate(cutoff)],
    );
    return result.rowCount ?? 0;
  }
}
