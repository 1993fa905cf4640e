import type BetterSqlite3 from 'better-sqlite3';

/**
 * The sandbox CRM's own tables. They may share a database file with leadsync's
 * storage, but belong to the "CRM", so they are created here rather than by
 * the storage migrations (adapters never depend on each other).
 */
export function ensureSandboxCrmTables(db: BetterSqlite3.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS crm_records (
      record_id  INTEGER PRIMARY KEY AUTOINCREMENT,
      object     TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS crm_field_values (
      record_id   INTEGER NOT NULL REFERENCES crm_records (record_id),
      object      TEXT NOT NULL,
      field       TEXT NOT NULL,
      value_json  TEXT NOT NULL,
      modified_at TEXT NOT NULL,
      modified_by TEXT NOT NULL,
      PRIMARY KEY (record_id, field)
    ) STRICT, WITHOUT ROWID;
    -- Upsert and read find records by a unique field's value.
    CREATE INDEX IF NOT EXISTS crm_field_values_by_value ON crm_field_values (object, field, value_json);
  `);
}
