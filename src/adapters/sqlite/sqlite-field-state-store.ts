import type BetterSqlite3 from 'better-sqlite3';
import type { FieldStateEntry, FieldStateKey, FieldStateStore, FieldStateUpdate } from '../../ports/field-state-store.js';
import { promised } from './sqlite-async-bridge.js';
import { decodeFieldStateRow, encodeFieldStateRow, fieldStateTuples, putFieldTuple, type FieldTuples } from './sqlite-field-state-row-codec.js';

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
 * Per-lead per-field state on SQLite, one JSON row per lead and CRM object
 * (migration 002, in the compact form of migration 009: see
 * `sqlite-field-state-row-codec.ts`): the planner reads a record's fields
 * together and a settle writes them together. Written only by the job outcome
 * and approval stores.
 */
export class SqliteFieldStateStore implements FieldStateStore {
  private readonly selectRow: BetterSqlite3.Statement<[string, string], { id: number; fields_json: string }>;
  private readonly selectRows: BetterSqlite3.Statement<[string], { id: number; lead_key: string; object: string; fields_json: string }>;
  private readonly insertRow: BetterSqlite3.Statement<[string, string, string]>;
  private readonly updateRow: BetterSqlite3.Statement<[string, number]>;

  constructor(db: BetterSqlite3.Database) {
    this.selectRow = db.prepare('SELECT id, fields_json FROM field_state WHERE lead_key = ? AND object = ?');
    // Many records at once, given as a JSON array of [lead_key, object] pairs: one statement
    // (one unique-index probe per pair) instead of one statement per record.
    this.selectRows = db.prepare(
      `SELECT f.id, f.lead_key, f.object, f.fields_json FROM json_each(?) AS k
       JOIN field_state AS f ON f.lead_key = k.value ->> 0 AND f.object = k.value ->> 1`,
    );
    // The settle has just read the records it writes, in the same write transaction: a stored
    // record is rewritten by rowid, a new one inserted (the unique index still refuses a second row).
    this.insertRow = db.prepare('INSERT INTO field_state (lead_key, object, fields_json) VALUES (?, ?, ?)');
    this.updateRow = db.prepare('UPDATE field_state SET fields_json = ? WHERE id = ?');
  }

  /**
   * Stores the given states as they are: whether a change is newer is the
   * merge planner's call, made before the write. Later updates of a field win.
   * Call inside the caller's write transaction.
   */
  upsertInTransaction(updates: readonly FieldStateUpdate[]): void {
    updates.forEach(checkUpdate);
    const byRecord = new Map<string, FieldStateUpdate[]>();
    for (const update of updates) {
      const key = `${update.leadKey}\u0000${update.object}`;
      const list = byRecord.get(key);
      if (list === undefined) byRecord.set(key, [update]);
      else list.push(update);
    }
    const stored = this.rowsOf([...byRecord.values()].map((list) => list[0]).filter((first) => first !== undefined));
    for (const [key, list] of byRecord) {
      const [first] = list;
      if (first === undefined) continue;
      const row = stored.get(key);
      const fields: FieldTuples = row === undefined ? {} : fieldStateTuples(row.json);
      for (const update of list) putFieldTuple(fields, update.field, update);
      const json = encodeFieldStateRow(fields);
      if (row === undefined) this.insertRow.run(first.leadKey, first.object, json);
      else this.updateRow.run(json, row.id);
    }
  }

  /** The stored rows of some records, by `lead_key \0 object`, with one statement. */
  private rowsOf(keys: readonly FieldStateKey[]): Map<string, { readonly id: number; readonly json: string }> {
    const rows = new Map<string, { readonly id: number; readonly json: string }>();
    if (keys.length === 0) return rows;
    if (keys.length === 1) {
      const [only] = keys;
      const row = only === undefined ? undefined : this.selectRow.get(only.leadKey, only.object);
      if (only !== undefined && row !== undefined) rows.set(`${only.leadKey}\u0000${only.object}`, { id: row.id, json: row.fields_json });
      return rows;
    }
    for (const row of this.selectRows.all(JSON.stringify(keys.map((key) => [key.leadKey, key.object])))) {
      rows.set(`${row.lead_key}\u0000${row.object}`, { id: row.id, json: row.fields_json });
    }
    return rows;
  }

  read(leadKey: string, object: string): Promise<Readonly<Record<string, FieldStateEntry>>> {
    return promised(() => {
      const row = this.selectRow.get(leadKey, object);
      return row === undefined ? {} : decodeFieldStateRow(row.fields_json);
    });
  }

  readMany(keys: readonly FieldStateKey[]): Promise<readonly Readonly<Record<string, FieldStateEntry>>[]> {
    // One statement for all keys (a statement per key cost ~6 µs, most of it the statement itself).
    return promised(() => {
      const rows = this.rowsOf(keys);
      // Parsed per key, so a key asked for twice gets two objects, as when each was read on its own.
      return keys.map(({ leadKey, object }) => {
        const row = rows.get(`${leadKey}\u0000${object}`);
        return row === undefined ? {} : decodeFieldStateRow(row.json);
      });
    });
  }
}
