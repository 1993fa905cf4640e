import type BetterSqlite3 from 'better-sqlite3';
import type { FieldStateEntry, FieldStateKey, FieldStateStore, FieldStateUpdate } from '../../ports/field-state-store.js';
import { promised } from './sqlite-async-bridge.js';

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
 * Per-lead per-field state on SQLite, one JSON row per lead and CRM object
 * (migration 002): the planner reads a record's fields together and a settle
 * writes them together. Written only by the job outcome and approval stores.
 */
export class SqliteFieldStateStore implements FieldStateStore {
  private readonly selectRow: BetterSqlite3.Statement<[string, string], { fields_json: string }>;
  private readonly upsertRow: BetterSqlite3.Statement<[string, string, string]>;

  constructor(db: BetterSqlite3.Database) {
    this.selectRow = db.prepare('SELECT fields_json FROM field_state WHERE lead_key = ? AND object = ?');
    this.upsertRow = db.prepare(
      `INSERT INTO field_state (lead_key, object, fields_json) VALUES (?, ?, ?)
       ON CONFLICT (lead_key, object) DO UPDATE SET fields_json = excluded.fields_json`,
    );
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
    for (const list of byRecord.values()) {
      const [first] = list;
      if (first === undefined) continue;
      const row = this.selectRow.get(first.leadKey, first.object);
      const fields = row === undefined ? {} : (JSON.parse(row.fields_json) as StoredFields);
      for (const update of list) {
        const entry = { value: update.value, appliedAt: update.appliedAt, confidence: update.confidence, source: update.source };
        // A field named "__proto__" must stay a field: assignment would set the prototype (defineProperty is slower, so only then).
        if (update.field === '__proto__') Object.defineProperty(fields, update.field, { value: entry, enumerable: true, writable: true, configurable: true });
        else fields[update.field] = entry;
      }
      this.upsertRow.run(first.leadKey, first.object, JSON.stringify(fields));
    }
  }

  read(leadKey: string, object: string): Promise<Readonly<Record<string, FieldStateEntry>>> {
    return promised(() => {
      const row = this.selectRow.get(leadKey, object);
      // JSON.parse defines own properties, so a field named like an Object.prototype member stays data.
      return row === undefined ? {} : (JSON.parse(row.fields_json) as StoredFields);
    });
  }

  readMany(keys: readonly FieldStateKey[]): Promise<readonly Readonly<Record<string, FieldStateEntry>>[]> {
    // In process, a prepared statement per key costs microseconds: no need for one statement over all keys.
    return promised(() =>
      keys.map(({ leadKey, object }) => {
        const row = this.selectRow.get(leadKey, object);
        return row === undefined ? {} : (JSON.parse(row.fields_json) as StoredFields);
      }),
    );
  }
}
