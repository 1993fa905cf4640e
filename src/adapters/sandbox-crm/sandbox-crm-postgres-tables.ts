import type pg from 'pg';
import type { CrmSchema } from '../../core/crm-schema/crm-schema-types.js';
import { uniqueFieldsOf, type StoredFields } from './sandbox-crm-tables.js';

/** First half of the advisory lock keys the sandbox takes (the second is a hash of what is locked). */
export const SANDBOX_LOCK_CLASS = 0x5a4d;

/**
 * The sandbox CRM's own tables in PostgreSQL, in the pool's schema (its
 * search_path), next to leadsync's storage but owned by the "CRM": created
 * here, not by the storage migrations. The same layout as the SQLite
 * flavour: one row per record with its fields as jsonb, only unique fields
 * indexed, `crm_field_values` a view for people inspecting it in SQL.
 * Several processes may call this at once: an advisory lock serialises them.
 */
export async function ensurePostgresSandboxCrmTables(pool: pg.Pool, schema: CrmSchema): Promise<void> {
  const client = await pool.connect();
  const onError = (): void => undefined; // the query in flight rejects; the pool's owner logs pool errors
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [SANDBOX_LOCK_CLASS]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS crm_records (
        record_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        object      text   NOT NULL,
        created_at  text   NOT NULL,
        updated_at  text   NOT NULL,
        -- {"<field>": {"v": <value>, "at": <last modified>, "by": <last modifier>}}
        fields      jsonb  NOT NULL DEFAULT '{}'
      );
      CREATE TABLE IF NOT EXISTS crm_unique_values (
        object     text   NOT NULL,
        field      text   NOT NULL,
        value_json text   NOT NULL,
        record_id  bigint NOT NULL REFERENCES crm_records (record_id),
        PRIMARY KEY (object, field, value_json)
      );
      CREATE TABLE IF NOT EXISTS crm_unique_fields (
        object text NOT NULL,
        field  text NOT NULL,
        PRIMARY KEY (object, field)
      );
      CREATE OR REPLACE VIEW crm_field_values (record_id, object, field, value_json, modified_at, modified_by) AS
        SELECT r.record_id, r.object, f.key, (f.value -> 'v')::text, f.value ->> 'at', f.value ->> 'by'
        FROM crm_records r, jsonb_each(r.fields) f;
    `);
    await indexUniqueFields(client, schema);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release();
  }
}

async function indexUniqueFields(client: pg.PoolClient, schema: CrmSchema): Promise<void> {
  const unique = uniqueFieldsOf(schema);
  const wanted = [...unique].flatMap(([object, fields]) => [...fields].map((field) => `${object}\u0000${field}`)).sort();
  const indexed = (await client.query<{ object: string; field: string }>('SELECT object, field FROM crm_unique_fields'))
    .rows.map((row) => `${row.object}\u0000${row.field}`)
    .sort();
  if (wanted.join('\u0001') === indexed.join('\u0001')) return;
  // Rare (the schema changed which fields are unique): rebuild the lookup from the records.
  // Where two records hold one value, the older record keeps it.
  await client.query('DELETE FROM crm_unique_values');
  await client.query('DELETE FROM crm_unique_fields');
  for (const [object, fields] of unique) for (const field of fields) await client.query('INSERT INTO crm_unique_fields (object, field) VALUES ($1, $2)', [object, field]);
  for (let after = '0'; ; ) {
    const rows = (await client.query<{ record_id: string; object: string; fields: string }>(
      'SELECT record_id, object, fields::text AS fields FROM crm_records WHERE record_id > $1 ORDER BY record_id LIMIT 1000',
      [after],
    )).rows;
    if (rows.length === 0) break;
    for (const record of rows) {
      after = record.record_id;
      const fields = unique.get(record.object);
      if (fields === undefined || fields.size === 0) continue;
      const stored = JSON.parse(record.fields) as StoredFields;
      for (const field of fields) {
        const entry = Object.hasOwn(stored, field) ? stored[field] : undefined;
        if (entry !== undefined) {
          await client.query(
            'INSERT INTO crm_unique_values (object, field, value_json, record_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
            [record.object, field, JSON.stringify(entry.v), record.record_id],
          );
        }
      }
    }
  }
}
