import type BetterSqlite3 from 'better-sqlite3';
import { GENESIS_HASH, sealAuditRecord, verifyChain } from '../../core/audit/audit-chain.js';
import {
  ACTOR_KINDS,
  AUDIT_OUTCOMES,
  type AuditChange,
  type AuditDraft,
  type AuditRecord,
  type ChainVerification,
} from '../../core/audit/audit-record-types.js';
import type { AuditQuery, AuditStore } from '../../ports/audit-store.js';
import type { Page } from '../../ports/page-types.js';
import { promised } from './sqlite-async-bridge.js';
import { decodeJson, formatId, parseErrorCode, toMs } from './sqlite-column-codecs.js';
import { SqliteStatementCache } from './sqlite-statement-cache.js';
import { SqliteAuditCounts, type AuditTally } from './sqlite-stats-counts.js';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageLimit, takePage } from './sqlite-paging.js';

interface AuditRow {
  id: number;
  time: string;
  lead_key: string;
  source: string | null;
  event_id: string | null;
  idempotency_key: string | null;
  payload_hash: string | null;
  mapping_version: string | null;
  schema_version: string | null;
  object: string | null;
  changes_json: string;
  actor_kind: string;
  actor_name: string;
  outcome: string;
  attempt: number;
  error_code: string | null;
  error_trace: string | null;
  crm_record_id: string | null;
  prev_hash: string;
  row_hash: string;
}

const AUDIT_COLUMNS = [
  'id', 'time', 'lead_key', 'source', 'event_id', 'idempotency_key', 'payload_hash', 'mapping_version', 'schema_version', 'object',
  'changes_json', 'actor_kind', 'actor_name', 'outcome', 'attempt', 'error_code', 'error_trace', 'crm_record_id', 'prev_hash', 'row_hash',
] as const satisfies readonly (keyof AuditRow)[];

/**
 * A row read in raw (array) mode, in AUDIT_COLUMNS order. better-sqlite3
 * builds row objects several times slower than arrays, which matters when
 * verify reads a million rows.
 */
function rowFromValues(v: readonly unknown[]): AuditRow {
  return {
    id: v[0] as number, time: v[1] as string, lead_key: v[2] as string, source: v[3] as string | null,
    event_id: v[4] as string | null, idempotency_key: v[5] as string | null, payload_hash: v[6] as string | null,
    mapping_version: v[7] as string | null, schema_version: v[8] as string | null, object: v[9] as string | null,
    changes_json: v[10] as string, actor_kind: v[11] as string, actor_name: v[12] as string, outcome: v[13] as string,
    attempt: v[14] as number, error_code: v[15] as string | null, error_trace: v[16] as string | null,
    crm_record_id: v[17] as string | null, prev_hash: v[18] as string, row_hash: v[19] as string,
  };
}

type InsertParams = [
  number, string, string, string | null, string | null, string | null, string | null, string | null, string | null, string | null,
  string, string, string, string, number, string | null, string | null, string | null, string, string,
];

/**
 * `changes_json` as written since decision 0028: each change as an array in
 * sealing's member order, `[field, before, after, confidence, reason]` plus
 * `beforeRead` when present, which leaves out the member names repeated for
 * every change (over 40% of the text). The row hash covers the
 * change objects, not this text, so hashes are unchanged.
 */
function encodeChanges(changes: readonly AuditChange[]): string {
  const stored: unknown[] = [];
  for (const change of changes) {
    stored.push(
      change.beforeRead === undefined
        ? [change.field, change.before, change.after, change.confidence, change.reason]
        : [change.field, change.before, change.after, change.confidence, change.reason, change.beforeRead],
    );
  }
  return JSON.stringify(stored);
}

/** A stored change back as the object sealed; rows written before 0028 hold the objects themselves, anything else is left as it is (and fails verification). */
function decodeChange(stored: unknown): unknown {
  if (!Array.isArray(stored) || (stored.length !== 5 && stored.length !== 6)) return stored;
  const [field, before, after, confidence, reason] = stored as unknown[];
  return stored.length === 5 ? { field, before, after, confidence, reason } : { field, before, after, confidence, reason, beforeRead: stored[5] as unknown };
}

/**
 * Reads a row back into a record. Throws when a column holds something no
 * sealed record can hold; `verify` reports that as a broken row.
 */
function toRecord(row: AuditRow): AuditRecord {
  const stored = decodeJson(row.changes_json);
  if (!Array.isArray(stored)) throw new Error('changes_json is not a JSON array');
  const changes = stored.map(decodeChange);
  const actorKind = ACTOR_KINDS.find((kind) => kind === row.actor_kind);
  if (actorKind === undefined) throw new Error(`unknown actor kind "${row.actor_kind}"`);
  const outcome = AUDIT_OUTCOMES.find((known) => known === row.outcome);
  if (outcome === undefined) throw new Error(`unknown outcome "${row.outcome}"`);
  return {
    id: formatId(row.id),
    time: row.time,
    leadKey: row.lead_key,
    source: row.source,
    eventId: row.event_id,
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    mappingVersion: row.mapping_version,
    schemaVersion: row.schema_version,
    object: row.object,
    changes: changes as AuditChange[],
    actor: { kind: actorKind, name: row.actor_name },
    outcome,
    attempt: row.attempt,
    errorCode: row.error_code === null ? null : parseErrorCode(row.error_code),
    errorTrace: row.error_trace,
    crmRecordId: row.crm_record_id,
    prevHash: row.prev_hash,
    rowHash: row.row_hash,
  };
}

/**
 * Several appends inside one write transaction (a batch settle): the chain
 * head is read once and carried from one append to the next, and the
 * dashboard counts are written once, by `finishBatch`, before the transaction ends.
 */
export interface AuditAppendBatch {
  /** @internal */
  head: { readonly id: number; readonly hash: string } | undefined;
  /** @internal */
  readonly tally: AuditTally;
}

/**
 * The append-only audit log on SQLite. Triggers refuse UPDATE and DELETE;
 * appends run inside IMMEDIATE write transactions, so reading the chain head
 * and writing the next row cannot interleave with another writer.
 */
export class SqliteAuditStore implements AuditStore {
  private readonly chainHead: BetterSqlite3.Statement<[], { id: number; row_hash: string }>;
  private readonly insertRow: BetterSqlite3.Statement<InsertParams>;
  private readonly historyOf: BetterSqlite3.Statement<[string], AuditRow>;
  private readonly allInOrder: BetterSqlite3.Statement<[], unknown[]>;
  private readonly searchStatements: SqliteStatementCache<AuditRow>;
  private readonly appendTransaction: BetterSqlite3.Transaction<(drafts: readonly AuditDraft[]) => string[]>;
  private readonly counts: SqliteAuditCounts;

  constructor(db: BetterSqlite3.Database) {
    this.counts = new SqliteAuditCounts(db);
    this.searchStatements = new SqliteStatementCache(db);
    this.chainHead = db.prepare('SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1');
    this.insertRow = db.prepare(
      `INSERT INTO audit_log (id, time, lead_key, source, event_id, idempotency_key, payload_hash, mapping_version,
         schema_version, object, changes_json, actor_kind, actor_name, outcome, attempt, error_code, error_trace,
         crm_record_id, prev_hash, row_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.historyOf = db.prepare('SELECT * FROM audit_log WHERE lead_key = ? ORDER BY id');
    this.allInOrder = db.prepare<[], unknown[]>(`SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_log ORDER BY id`).raw();
    this.appendTransaction = db.transaction((drafts: readonly AuditDraft[]) => this.appendInTransaction(drafts));
  }

  /**
   * Starts appends that share one write transaction. Every append of the
   * transaction must go through the batch (the carried chain head would be
   * stale otherwise), and `finishBatch` must run before it commits.
   */
  beginBatch(): AuditAppendBatch {
    return { head: undefined, tally: this.counts.tally() };
  }

  /**
   * Tells the batch the lane of an event whose audit rows it may append, so
   * the dashboard counts need not look it up (see `AuditTally.knowLane`).
   */
  knowEventLane(batch: AuditAppendBatch, eventId: string, lane: string): void {
    batch.tally.knowLane(eventId, lane);
  }

  /** Writes the batch's dashboard counts. Call inside the transaction, after its last append. */
  finishBatch(batch: AuditAppendBatch): void {
    batch.tally.writeInTransaction();
  }

  /**
   * Seals and inserts drafts in order, and counts them for the dashboard.
   * Call inside the caller's write transaction. With `batch`, the chain head
   * and the counts are carried to the batch's next append and `finishBatch`;
   * without, this call reads the head and writes its counts itself.
   */
  appendInTransaction(drafts: readonly AuditDraft[], batch?: AuditAppendBatch): string[] {
    if (drafts.length === 0) return [];
    const own = batch ?? this.beginBatch();
    if (own.head === undefined) {
      const head = this.chainHead.get();
      own.head = { id: head?.id ?? 0, hash: head?.row_hash ?? GENESIS_HASH };
    }
    let prevHash = own.head.hash;
    let nextId = own.head.id + 1;
    const ids: string[] = [];
    for (const draft of drafts) {
      const record = sealAuditRecord(draft, { id: formatId(nextId), prevHash });
      // Plain JSON is enough for storage: verify hashes the decoded value in
      // canonical form, and sealing already refused anything JSON cannot carry.
      this.insertRow.run(
        nextId, record.time, record.leadKey, record.source, record.eventId, record.idempotencyKey, record.payloadHash,
        record.mappingVersion, record.schemaVersion, record.object, encodeChanges(record.changes), record.actor.kind,
        record.actor.name, record.outcome, record.attempt, record.errorCode, record.errorTrace, record.crmRecordId,
        record.prevHash, record.rowHash,
      );
      own.tally.count(record);
      ids.push(record.id);
      prevHash = record.rowHash;
      nextId += 1;
    }
    own.head = { id: nextId - 1, hash: prevHash };
    if (batch === undefined) this.finishBatch(own);
    return ids;
  }

  append(entries: readonly AuditDraft[]): Promise<readonly string[]> {
    return promised(() => this.appendTransaction.immediate(entries));
  }

  history(leadKey: string): Promise<readonly AuditRecord[]> {
    return promised(() => this.historyOf.all(leadKey).map(toRecord));
  }

  search(query: AuditQuery = {}): Promise<Page<AuditRecord>> {
    return promised(() => {
      const limit = pageLimit(query.limit);
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.leadKey !== undefined) {
        where.push('lead_key = ?');
        params.push(query.leadKey);
      }
      if (query.source !== undefined) {
        where.push('source = ?');
        params.push(query.source);
      }
      if (query.outcome !== undefined) {
        where.push('outcome = ?');
        params.push(query.outcome);
      }
      // Audit times are toISOString text, so comparing text compares times.
      if (query.from !== undefined) {
        where.push('time >= ?');
        params.push(new Date(toMs(query.from)).toISOString());
      }
      if (query.to !== undefined) {
        where.push('time < ?');
        params.push(new Date(toMs(query.to)).toISOString());
      }
      if (query.cursor !== undefined) {
        const cursor = decodeTimeIdCursor(query.cursor);
        where.push('(time, id) < (?, ?)');
        params.push(cursor.time, cursor.id);
      }
      const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, id DESC LIMIT ?`;
      params.push(limit + 1);
      const page = takePage(this.searchStatements.get(sql).all(...params), limit);
      return {
        items: page.rows.map(toRecord),
        nextCursor: page.last === undefined ? null : encodeTimeIdCursor(page.last.time, page.last.id),
      };
    });
  }

  verify(): Promise<ChainVerification> {
    return promised(() => {
      // Rows are decoded lazily so a million-row chain verifies in constant
      // memory; a row that cannot even be decoded is the break.
      let undecodable: { id: string; error: unknown } | undefined;
      let decoded = 0;
      const rows = this.allInOrder.iterate();
      function* records(): Generator<AuditRecord> {
        for (const values of rows) {
          const row = rowFromValues(values);
          let record: AuditRecord;
          try {
            record = toRecord(row);
          } catch (error) {
            undecodable = { id: formatId(row.id), error };
            return;
          }
          decoded += 1;
          yield record;
        }
      }
      const result = verifyChain(records());
      if (undecodable !== undefined && result.ok) {
        rows.return?.();
        return {
          ok: false,
          rows: decoded,
          firstBrokenId: undecodable.id,
          reason: 'row_hash_mismatch',
          detail: `row ${undecodable.id} cannot be read back as an audit record: ${String(undecodable.error)}`,
        };
      }
      rows.return?.();
      return result;
    });
  }
}
