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
import { checkDate, JSON_UNSAFE_ESCAPE, parseErrorCode } from './pg-column-codecs.js';
import type { PgClient, PgDatabase } from './pg-database.js';
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
/** The columns with their types, for reading rows out of a json parameter (`json_to_recordset`). */
const RECORDSET_COLUMNS = [
  'id bigint', 'time text', 'lead_key text', 'source text', 'event_id text', 'idempotency_key text', 'payload_hash text',
  'mapping_version text', 'schema_version text', 'object text', 'changes json', 'actor_kind text', 'actor_name text',
  'outcome text', 'attempt integer', 'error_code text', 'error_trace text', 'crm_record_id text', 'prev_hash text', 'row_hash text',
].join(', ');

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
    const head = (await client.query<{ last_id: string; row_hash: string }>('SELECT last_id, row_hash FROM audit_chain_head FOR UPDATE')).rows[0];
    if (head === undefined) throw new Error('audit_chain_head has no row; the schema was changed by hand');
    let prevHash = head.row_hash;
    let nextId = BigInt(head.last_id) + 1n;
    // One multi-row INSERT from one json parameter (an array of row objects): a settle batch of
    // 100 costs one round trip, and the rows travel as plain JSON rather than 20 array literals
    // whose every element is quoted and escaped by the driver and parsed again by the server.
    const rows: Record<(typeof COLUMNS)[number], unknown>[] = [];
    const ids: string[] = [];
    for (const draft of drafts) {
      const record = sealAuditRecord(draft, { id: nextId.toString(), prevHash });
      rows.push({
        id: record.id, time: record.time, lead_key: record.leadKey, source: record.source, event_id: record.eventId,
        idempotency_key: record.idempotencyKey, payload_hash: record.payloadHash, mapping_version: record.mappingVersion,
        schema_version: record.schemaVersion, object: record.object,
        // Embedded as JSON, stored (json column) as this text: what JSON.stringify(record.changes) writes.
        changes: record.changes,
        actor_kind: record.actor.kind, actor_name: record.actor.name, outcome: record.outcome, attempt: record.attempt,
        error_code: record.errorCode, error_trace: record.errorTrace, crm_record_id: record.crmRecordId,
        prev_hash: record.prevHash, row_hash: record.rowHash,
      });
      ids.push(record.id);
      prevHash = record.rowHash;
      nextId += 1n;
    }
    // The rows and the new head in one statement (two sub-statements on different tables).
    const json = JSON.stringify(rows);
    if (!JSON_UNSAFE_ESCAPE.test(json)) {
      await client.query(
        `WITH appended AS (
           INSERT INTO audit_log (${SELECT_COLUMNS})
           SELECT ${SELECT_COLUMNS} FROM json_to_recordset($1::json) AS r (${RECORDSET_COLUMNS})
         )
         UPDATE audit_chain_head SET last_id = $2, row_hash = $3`,
        [json, (nextId - 1n).toString(), prevHash],
      );
      return ids;
    }
    // A lone surrogate or NUL somewhere (JSON.stringify escapes them): PostgreSQL's JSON parser
    // refuses those escapes, where the json column and the text columns take them as before
    // (the escape text, resp. the driver's UTF-8 encoding). Rare: the rows go as column arrays.
    await client.query(
      `WITH appended AS (
         INSERT INTO audit_log (${SELECT_COLUMNS})
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::json[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::text[], $17::text[],
           $18::text[], $19::text[], $20::text[])
       )
       UPDATE audit_chain_head SET last_id = $21, row_hash = $22`,
      [...COLUMNS.map((column) => rows.map((row) => (column === 'changes' ? JSON.stringify(row.changes) : row[column]))), (nextId - 1n).toString(), prevHash],
    );
    return ids;
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
