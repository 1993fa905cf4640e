import type { FieldStateEntry, FieldStateKey, FieldStateStore, FieldStateUpdate } from '../../ports/field-state-store.js';
import { JSON_UNSAFE_ESCAPE } from './pg-column-codecs.js';
import type { PgClient, PgDatabase, PgStatement } from './pg-database.js';

type StoredFields = Record<string, FieldStateEntry>;

function checkUpdate(update: FieldStateUpdate): void {
  if (!(update.confidence >= 0 && update.confidence <= 1)) {
    throw new RangeError(`field state ${update.object}.${update.field}: confidence must be within 0..1, got ${update.confidence}`);
  }
  // JSON would store NaN and Infinity as null; refuse them instead.
  if (typeof update.value === 'number' && !Number.isFinite(update.value)) {
    throw new TypeError(`field state ${update.object}.${update.field}: non-finite number ${String(update.value)}`);
  }
}

/**
 * Per-lead per-field state on PostgreSQL, one jsonb row per lead and CRM
 * object. A write merges its fields into the row (`||`) under the row lock,
 * so two processes writing different fields of one record both keep theirs.
 * Written only by the job outcome and approval stores.
 */
export class PgFieldStateStore implements FieldStateStore {
  constructor(private readonly database: PgDatabase) {}

  /**
   * Stores the given states as they are: whether a change is newer is the
   * merge planner's call, made before the write. Later updates of a field
   * win. Call inside the caller's transaction.
   */
  async upsertInTransaction(client: PgClient, updates: readonly FieldStateUpdate[]): Promise<void> {
    const statement = this.upsertStatement(updates);
    if (statement !== undefined) await client.query(statement.text, [...statement.values]);
  }

  /**
   * `upsertInTransaction`'s one statement, for a caller sending it with others
   * in one message; undefined when there is nothing to write. Throws on an
   * invalid update, as `upsertInTransaction` does.
   */
  upsertStatement(updates: readonly FieldStateUpdate[]): PgStatement | undefined {
    updates.forEach(checkUpdate);
    const byRecord = new Map<string, { leadKey: string; object: string; fields: StoredFields }>();
    for (const update of updates) {
      const key = `${update.leadKey}\u0000${update.object}`;
      let record = byRecord.get(key);
      if (record === undefined) {
        record = { leadKey: update.leadKey, object: update.object, fields: {} };
        byRecord.set(key, record);
      }
      // defineProperty, not assignment: a field named "__proto__" must stay a field.
      Object.defineProperty(record.fields, update.field, {
        value: { value: update.value, appliedAt: update.appliedAt, confidence: update.confidence, source: update.source },
        enumerable: true, writable: true, configurable: true,
      });
    }
    if (byRecord.size === 0) return undefined;
    // Rows in key order: two transactions touching the same records lock them in the same order.
    const records = [...byRecord.values()].sort((a, b) => (a.leadKey === b.leadKey ? cmp(a.object, b.object) : cmp(a.leadKey, b.leadKey)));
    // The rows as one jsonb parameter: the fields travel as plain JSON, parsed once by the
    // server, not as jsonb[] elements quoted and escaped a second time by the driver.
    const json = JSON.stringify(records.map((r) => ({ lead_key: r.leadKey, object: r.object, fields: r.fields })));
    if (!JSON_UNSAFE_ESCAPE.test(json)) {
      return {
        text: `INSERT INTO field_state (lead_key, object, fields)
         SELECT lead_key, object, fields FROM jsonb_to_recordset($1::jsonb) AS r (lead_key text, object text, fields jsonb)
         ON CONFLICT (lead_key, object) DO UPDATE SET fields = field_state.fields || excluded.fields`,
        values: [json],
      };
    }
    // A lone surrogate or NUL (see JSON_UNSAFE_ESCAPE): as column arrays, stored or refused as before.
    return {
      text: `INSERT INTO field_state (lead_key, object, fields)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
       ON CONFLICT (lead_key, object) DO UPDATE SET fields = field_state.fields || excluded.fields`,
      values: [records.map((r) => r.leadKey), records.map((r) => r.object), records.map((r) => JSON.stringify(r.fields))],
    };
  }

  async read(leadKey: string, object: string): Promise<Readonly<Record<string, FieldStateEntry>>> {
    // Read as text and parsed here: JSON.parse defines own properties, so a
    // field named like an Object.prototype member stays data.
    const result = await this.database.query<{ fields: string }>('SELECT fields::text AS fields FROM field_state WHERE lead_key = $1 AND object = $2', [leadKey, object]);
    const row = result.rows[0];
    return row === undefined ? {} : (JSON.parse(row.fields) as StoredFields);
  }

  async readMany(keys: readonly FieldStateKey[]): Promise<readonly Readonly<Record<string, FieldStateEntry>>[]> {
    if (keys.length === 0) return [];
    // One round trip for a whole batch's records.
    const result = await this.database.query<{ lead_key: string; object: string; fields: string }>(
      // LATERAL … LIMIT 1: one primary-key lookup per key, whatever the table's statistics say
      // (a plain join can be planned as a scan of the whole table while they are stale).
      `SELECT k.lead_key, k.object, f.fields::text AS fields
       FROM unnest($1::text[], $2::text[]) AS k (lead_key, object)
       CROSS JOIN LATERAL (SELECT s.fields FROM field_state s WHERE s.lead_key = k.lead_key AND s.object = k.object LIMIT 1) AS f`,
      [keys.map((key) => key.leadKey), keys.map((key) => key.object)],
    );
    const found = new Map(result.rows.map((row) => [`${row.lead_key}\u0000${row.object}`, row.fields]));
    return keys.map((key) => {
      const fields = found.get(`${key.leadKey}\u0000${key.object}`);
      return fields === undefined ? {} : (JSON.parse(fields) as StoredFields);
    });
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
