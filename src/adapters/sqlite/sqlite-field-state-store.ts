import type BetterSqlite3 from 'better-sqlite3';
import type { FieldStateEntry, FieldStateStore, FieldStateUpdate } from '../../ports/field-state-store.js';
import { promised } from './sqlite-async-bridge.js';
import { decodeFieldValue, encodeFieldValue } from './sqlite-column-codecs.js';

interface FieldStateRow {
  field: string;
  value_json: string;
  applied_at: string;
  confidence: number;
  source: string;
}

/** Per-lead per-field state on SQLite; written only by the job outcome store. */
export class SqliteFieldStateStore implements FieldStateStore {
  private readonly selectFields: BetterSqlite3.Statement<[string, string], FieldStateRow>;
  private readonly upsertField: BetterSqlite3.Statement<[string, string, string, string, string, number, string]>;

  constructor(db: BetterSqlite3.Database) {
    this.selectFields = db.prepare(
      'SELECT field, value_json, applied_at, confidence, source FROM field_state WHERE lead_key = ? AND object = ?',
    );
    this.upsertField = db.prepare(
      `INSERT INTO field_state (lead_key, object, field, value_json, applied_at, confidence, source)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (lead_key, object, field) DO UPDATE SET
         value_json = excluded.value_json, applied_at = excluded.applied_at,
         confidence = excluded.confidence, source = excluded.source`,
    );
  }

  /**
   * Stores the given states as they are: whether a change is newer is the
   * merge planner's call, made before the write. Call inside the caller's
   * write transaction.
   */
  upsertInTransaction(updates: readonly FieldStateUpdate[]): void {
    for (const update of updates) {
      if (!(update.confidence >= 0 && update.confidence <= 1)) {
        throw new RangeError(`field state ${update.object}.${update.field}: confidence must be within 0..1, got ${update.confidence}`);
      }
      this.upsertField.run(
        update.leadKey, update.object, update.field, encodeFieldValue(update.value), update.appliedAt, update.confidence, update.source,
      );
    }
  }

  read(leadKey: string, object: string): Promise<Readonly<Record<string, FieldStateEntry>>> {
    return promised(() => {
      // fromEntries defines own properties, so a field named like an Object.prototype member stays data.
      return Object.fromEntries(
        this.selectFields.all(leadKey, object).map((row): [string, FieldStateEntry] => [
          row.field,
          { value: decodeFieldValue(row.value_json), appliedAt: row.applied_at, confidence: row.confidence, source: row.source },
        ]),
      );
    });
  }
}
