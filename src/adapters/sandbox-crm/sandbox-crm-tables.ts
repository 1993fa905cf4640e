import type BetterSqlite3 from 'better-sqlite3';
import type { CrmSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import { COMPACT_FIRST_LAYOUT_SQL, decodeSandboxRecord } from './sandbox-crm-sqlite-record-codec.js';

/** One stored field of a sandbox record: value, when it last changed, and who changed it. */
export interface StoredField {
  readonly v: Exclude<FieldValue, null>;
  /** Last modified (ISO 8601). */
  readonly at: string;
  /** Last modifier. */
  readonly by: string;
}

/** A record's fields with their last change (stored in `crm_records.fields_json` in the compact form of `sandbox-crm-sqlite-record-codec.ts`). */
export type StoredFields = Record<string, StoredField>;

/**
 * The sandbox CRM's own tables. They may share a database file with leadsync's
 * storage, but belong to the "CRM", so they are created here rather than by
 * the storage migrations (adapters never depend on each other).
 *
 * A record is one row with its fields as JSON, so an upsert reads and writes
 * one row however many fields it touches. Only unique fields (the ones records
 * are looked up by) are indexed, in `crm_unique_values`. `crm_field_values`
 * is a view with one row per field, for people inspecting the sandbox in SQL.
 */
export function ensureSandboxCrmTables(db: BetterSqlite3.Database, schema: CrmSchema): void {
  db.transaction(() => {
    const fieldValues = db.prepare<[], { type: string; sql: string }>("SELECT type, sql FROM sqlite_master WHERE name = 'crm_field_values'").get();
    if (fieldValues?.type === 'table') migratePerFieldRows(db);
    // The view of the first JSON layout reads "$.v" members: its rows are converted to the compact form. So are the
    // rows of a crm_records table found without any view (dropped by hand): the view created below reads only that form.
    const firstJsonLayout =
      fieldValues === undefined
        ? db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'crm_records'").get() !== undefined
        : fieldValues.type === 'table' || fieldValues.sql.includes("'$.v'");
    if (firstJsonLayout) compactFirstLayoutRows(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS crm_records (
        record_id   INTEGER PRIMARY KEY AUTOINCREMENT,
        object      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        -- [<at>, <by>, {"<field>": <value>}, {"<field>": [<at>, <by>]}?]: the row's own last change and modifier,
        -- the values, and the fields changed at another time or by another modifier (sandbox-crm-sqlite-record-codec.ts)
        fields_json TEXT NOT NULL DEFAULT '["","",{}]'
      ) STRICT;
      -- Records by the value of a unique field: how read and upsert find them.
      CREATE TABLE IF NOT EXISTS crm_unique_values (
        object     TEXT    NOT NULL,
        field      TEXT    NOT NULL,
        value_json TEXT    NOT NULL,
        record_id  INTEGER NOT NULL REFERENCES crm_records (record_id),
        PRIMARY KEY (object, field, value_json)
      ) STRICT, WITHOUT ROWID;
      -- Which (object, field) pairs crm_unique_values holds, so a schema that makes another field unique re-indexes.
      CREATE TABLE IF NOT EXISTS crm_unique_fields (
        object TEXT NOT NULL,
        field  TEXT NOT NULL,
        PRIMARY KEY (object, field)
      ) STRICT, WITHOUT ROWID;
      CREATE VIEW IF NOT EXISTS crm_field_values (record_id, object, field, value_json, modified_at, modified_by) AS
        SELECT r.record_id, r.object, f.key, r.fields_json -> f.fullkey, coalesce(o.value ->> 0, r.fields_json ->> 0), coalesce(o.value ->> 1, r.fields_json ->> 1)
        FROM crm_records r JOIN json_each(r.fields_json, '$[2]') f LEFT JOIN json_each(r.fields_json, '$[3]') o ON o.key = f.key;
    `);
    indexUniqueFields(db, schema);
  }).immediate();
}

/** The (object, field) pairs of a schema that records are looked up by. */
export function uniqueFieldsOf(schema: CrmSchema): Map<string, Set<string>> {
  const unique = new Map<string, Set<string>>();
  for (const object of Object.values(schema.objects)) {
    const fields = new Set(Object.values(object.fields).filter((field) => field.unique).map((field) => field.name));
    unique.set(object.name, fields);
  }
  return unique;
}

function indexUniqueFields(db: BetterSqlite3.Database, schema: CrmSchema): void {
  const wanted = [...uniqueFieldsOf(schema)].flatMap(([object, fields]) => [...fields].map((field) => `${object}\u0000${field}`)).sort();
  const indexed = db
    .prepare<[], { object: string; field: string }>('SELECT object, field FROM crm_unique_fields ORDER BY object, field')
    .all()
    .map((row) => `${row.object}\u0000${row.field}`)
    .sort();
  if (wanted.join('\u0001') === indexed.join('\u0001')) return;
  // Rare (the schema changed which fields are unique): rebuild the lookup from the records.
  // Where two records hold one value, the older record keeps it, as lookups found it before.
  db.exec('DELETE FROM crm_unique_values; DELETE FROM crm_unique_fields;');
  const insertField = db.prepare<[string, string]>('INSERT INTO crm_unique_fields (object, field) VALUES (?, ?)');
  const insertValue = db.prepare<[string, string, string, number]>('INSERT OR IGNORE INTO crm_unique_values (object, field, value_json, record_id) VALUES (?, ?, ?, ?)');
  const unique = uniqueFieldsOf(schema);
  for (const [object, fields] of unique) for (const field of fields) insertField.run(object, field);
  // In pages by record id: a statement cannot write while another one on the connection is still reading.
  const page = db.prepare<[number], { record_id: number; object: string; fields_json: string }>(
    'SELECT record_id, object, fields_json FROM crm_records WHERE record_id > ? ORDER BY record_id LIMIT 1000',
  );
  for (let after = 0, rows = page.all(after); rows.length > 0; rows = page.all(after)) {
    for (const record of rows) {
      after = record.record_id;
      const fields = unique.get(record.object);
      if (fields === undefined || fields.size === 0) continue;
      const stored = decodeSandboxRecord(record.fields_json);
      for (const field of fields) {
        const entry = stored[field];
        if (entry !== undefined) insertValue.run(record.object, field, JSON.stringify(entry.v), record.record_id);
      }
    }
  }
}

/** Moves a database of the first sandbox layout (one row per field, every value indexed) to one JSON row per record (the first JSON layout). */
function migratePerFieldRows(db: BetterSqlite3.Database): void {
  db.exec(`
    ALTER TABLE crm_records ADD COLUMN fields_json TEXT NOT NULL DEFAULT '{}';
    UPDATE crm_records SET fields_json = coalesce((
      SELECT json_group_object(field, json_object('v', json(value_json), 'at', modified_at, 'by', modified_by))
      FROM crm_field_values v WHERE v.record_id = crm_records.record_id
    ), '{}');
    DROP INDEX IF EXISTS crm_field_values_by_value;
    DROP TABLE crm_field_values;
  `);
}

/**
 * Converts rows of the first JSON layout (`{"<field>": {"v", "at", "by"}}`) to the compact form, in SQL with
 * `encodeSandboxRecord`'s rule, and replaces the view that read them.
 */
function compactFirstLayoutRows(db: BetterSqlite3.Database): void {
  db.exec(`
    UPDATE crm_records SET fields_json = ${COMPACT_FIRST_LAYOUT_SQL} WHERE json_type(fields_json) = 'object';
    DROP VIEW IF EXISTS crm_field_values;
  `);
}
