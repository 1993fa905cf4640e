import { auditRowHash, GENESIS_HASH, sealAuditRecord } from '../../core/audit/audit-chain.js';
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
import { checkDate, parseErrorCode } from './pg-column-codecs.js';
import type { PgClient, PgDatabase, PgStatement } from './pg-database.js';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageLimit, SqlFilters, takePage } from './pg-paging.js';

interface AuditRow {
  id: string;
  time: string;
  lead_key: string;
  source: string | null;
  event_id: string | null;
  idempotency_key: string | null;
  payload_hash: string | null;
  mapping_version: string | null;
  schema_version: string | null;
  object: string | null;
  /** The json column, parsed by node-postgres. */
  changes: unknown;
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

const COLUMNS = [
  'id', 'time', 'lead_key', 'source', 'event_id', 'idempotency_key', 'payload_hash', 'mapping_version', 'schema_version', 'object',
  'changes', 'actor_kind', 'actor_name', 'outcome', 'attempt', 'error_code', 'error_trace', 'crm_record_id', 'prev_hash', 'row_hash',
] as const satisfies readonly (keyof AuditRow)[];
const SELECT_COLUMNS = COLUMNS.join(', ');
/** Separates the values of one column in an append's text parameters (ASCII unit separator). */
const FIELD_SEPARATOR = '\u001f';
/** Stands for NULL among them (ASCII record separator). */
const NULL_MARK = '\u001e';
/** Whether a value holds either; such a batch goes as column arrays. */
function holdsSeparator(value: string): boolean {
  return value.includes(FIELD_SEPARATOR) || value.includes(NULL_MARK);
}
/** The 20 columns of an append, each split from its text parameter `$n` and cast to the column's type. */
const SEPARATED_COLUMNS = [
  'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'json', 'text', 'text', 'text', 'integer',
  'text', 'text', 'text', 'text', 'text',
].map((type, index) => `string_to_array($${index + 1}, E'\\x1f', E'\\x1e')::${type}[]`).join(', ');

/** The chain head's row, as `AUDIT_HEAD_LOCK` reads it. */
export interface AuditHead {
  readonly last_id: string;
  readonly row_hash: string;
}

/**
 * Locks and reads the chain head (`AuditHead`): every append runs it in its
 * transaction, after its other writes, before `appendStatement`.
 */
export const AUDIT_HEAD_LOCK: PgStatement = { text: 'SELECT last_id, row_hash FROM audit_chain_head FOR UPDATE', values: [] };

/** Rows verified per round trip; verify streams the chain in pages of this many, in constant memory. */
const VERIFY_PAGE = 5000;

/**
 * Reads a row back into a record. Throws when a column holds something no
 * sealed record can hold; `verify` reports that as a broken row.
 */
function toRecord(row: AuditRow): AuditRecord {
  if (!Array.isArray(row.changes)) throw new Error('changes is not a JSON array');
  const actorKind = ACTOR_KINDS.find((kind) => kind === row.actor_kind);
  if (actorKind === undefined) throw new Error(`unknown actor kind "${row.actor_kind}"`);
  const outcome = AUDIT_OUTCOMES.find((known) => known === row.outcome);
  if (outcome === undefined) throw new Error(`unknown outcome "${row.outcome}"`);
  return {
    id: row.id,
    time: row.time,
    leadKey: row.lead_key,
    source: row.source,
    eventId: row.event_id,
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    mappingVersion: row.mapping_version,
    schemaVersion: row.schema_version,
    object: row.object,
    changes: row.changes as AuditChange[],
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
 * The append-only audit log on PostgreSQL. Triggers refuse UPDATE, DELETE
 * and TRUNCATE. Every append locks the one `audit_chain_head` row first, so
 * appends from any number of connections and processes form one chain:
 * each reads the head only after the previous append committed. Callers
 * append last in their transactions, so the lock is held only for the
 * inserts and the commit.
 */
export class PgAuditStore implements AuditStore {
  constructor(private readonly database: PgDatabase) {}

  /** Seals and inserts drafts in order. Call inside the caller's transaction, after its other writes. */
  async appendInTransaction(client: PgClient, drafts: readonly AuditDraft[]): Promise<string[]> {
    if (drafts.length === 0) return [];
    const head = (await client.query<AuditHead>(AUDIT_HEAD_LOCK.text)).rows[0];
    const { statement, ids } = this.appendStatement(drafts, head);
    await client.query(statement.text, [...statement.values]);
    return ids;
  }

  /**
   * The drafts sealed after `head` (the row `AUDIT_HEAD_LOCK` returned, in the
   * same transaction) and the one statement inserting them and moving the
   * head; for a caller sending it with others in one message. The ids in order.
   */
  appendStatement(drafts: readonly AuditDraft[], head: AuditHead | undefined): { statement: PgStatement; ids: string[] } {
    if (head === undefined) throw new Error('audit_chain_head has no row; the schema was changed by hand');
    let prevHash = head.row_hash;
    let nextId = BigInt(head.last_id) + 1n;
    // Each column's values in row order; `changes` as the text the json column stores (what
    // JSON.stringify(record.changes) writes).
    const columns: (string | number | null)[][] = COLUMNS.map(() => []);
    const ids: string[] = [];
    let separated = drafts.length > 1;
    for (const draft of drafts) {
      const record = sealAuditRecord(draft, { id: nextId.toString(), prevHash });
      const row = [
        record.id, record.time, record.leadKey, record.source, record.eventId, record.idempotencyKey, record.payloadHash,
        record.mappingVersion, record.schemaVersion, record.object, JSON.stringify(record.changes), record.actor.kind,
        record.actor.name, record.outcome, record.attempt, record.errorCode, record.errorTrace, record.crmRecordId,
        record.prevHash, record.rowHash,
      ] satisfies (string | number | null)[];
      for (const [index, value] of row.entries()) {
        columns[index]?.push(value);
        if (separated && typeof value === 'string' && holdsSeparator(value)) separated = false;
      }
      ids.push(record.id);
      prevHash = record.rowHash;
      nextId += 1n;
    }
    const newHead = [(nextId - 1n).toString(), prevHash];
    if (separated) {
      // Each column as one text of its values joined by a control character no value holds
      // (NULL as another), split by the server (string_to_array): no quoting or escaping on either
      // side, where a json parameter read with json_to_recordset cost the server ~1.5 times as
      // much CPU per settle, and column arrays cost escaping on both sides.
      return {
        statement: {
          text: `WITH appended AS (
           INSERT INTO audit_log (${SELECT_COLUMNS})
           SELECT * FROM unnest(${SEPARATED_COLUMNS})
         )
         UPDATE audit_chain_head SET last_id = $21, row_hash = $22`,
          values: [...columns.map((values) => values.map((value) => (value === null ? NULL_MARK : String(value))).join(FIELD_SEPARATOR)), ...newHead],
        },
        ids,
      };
    }
    // One row (string_to_array('') is an empty array, not one empty value), or a value holding a
    // separator: the columns as arrays, quoted and escaped by the driver.
    return {
      statement: {
        text: `WITH appended AS (
         INSERT INTO audit_log (${SELECT_COLUMNS})
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::json[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::text[], $17::text[],
           $18::text[], $19::text[], $20::text[])
       )
       UPDATE audit_chain_head SET last_id = $21, row_hash = $22`,
        values: [...columns, ...newHead],
      },
      ids,
    };
  }

  append(entries: readonly AuditDraft[]): Promise<readonly string[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.database.withTransaction((client) => this.appendInTransaction(client, entries));
  }

  async history(leadKey: string): Promise<readonly AuditRecord[]> {
    const result = await this.database.query<AuditRow>(`SELECT ${SELECT_COLUMNS} FROM audit_log WHERE lead_key = $1 ORDER BY id`, [leadKey]);
    return result.rows.map(toRecord);
  }

  async search(query: AuditQuery = {}): Promise<Page<AuditRecord>> {
    const limit = pageLimit(query.limit);
    const filters = new SqlFilters();
    if (query.leadKey !== undefined) filters.add('lead_key = ?', query.leadKey);
    if (query.source !== undefined) filters.add('source = ?', query.source);
    if (query.outcome !== undefined) filters.add('outcome = ?', query.outcome);
    // Audit times are toISOString text in a COLLATE "C" column, so comparing text compares times.
    if (query.from !== undefined) filters.add('time >= ?', checkDate(query.from).toISOString());
    if (query.to !== undefined) filters.add('time < ?', checkDate(query.to).toISOString());
    if (query.cursor !== undefined) {
      const cursor = decodeTimeIdCursor(query.cursor);
      filters.add('(time, id) < (?, ?::bigint)', cursor.time, cursor.id);
    }
    const limitParam = filters.next(limit + 1);
    const result = await this.database.query<AuditRow>(
      `SELECT ${SELECT_COLUMNS} FROM audit_log ${filters.where()} ORDER BY time DESC, id DESC LIMIT ${limitParam}`,
      filters.params,
    );
    const page = takePage(result.rows, limit);
    return {
      items: page.rows.map(toRecord),
      nextCursor: page.last === undefined ? null : encodeTimeIdCursor(page.last.time, page.last.id),
    };
  }

  async verify(): Promise<ChainVerification> {
    // Keyset pages by id: constant memory at millions of rows, and no
    // long-lived cursor holding a connection. The checks are verifyChain's.
    let expectedPrev = GENESIS_HASH;
    let verified = 0;
    for (let after = '0'; ; ) {
      const { rows } = await this.database.query<AuditRow>(
        `SELECT ${SELECT_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT ${VERIFY_PAGE}`,
        [after],
      );
      for (const row of rows) {
        let record: AuditRecord;
        try {
          record = toRecord(row);
        } catch (error) {
          return {
            ok: false, rows: verified, firstBrokenId: row.id, reason: 'row_hash_mismatch',
            detail: `row ${row.id} cannot be read back as an audit record: ${String(error)}`,
          };
        }
        if (record.prevHash !== expectedPrev) {
          return {
            ok: false, rows: verified, firstBrokenId: record.id, reason: 'prev_hash_mismatch',
            detail: `row ${record.id} points at ${record.prevHash}, but the row before it hashes to ${expectedPrev}`,
          };
        }
        const recomputed = auditRowHash(record);
        if (recomputed !== record.rowHash) {
          return {
            ok: false, rows: verified, firstBrokenId: record.id, reason: 'row_hash_mismatch',
            detail: `row ${record.id} content hashes to ${recomputed}, but its stored rowHash is ${record.rowHash}`,
          };
        }
        expectedPrev = record.rowHash;
        verified += 1;
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < VERIFY_PAGE) return { ok: true, rows: verified, headHash: expectedPrev };
      after = last.id;
    }
  }
}
