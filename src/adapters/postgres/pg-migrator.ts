import { readMigrationFiles, type MigrationFile } from '../../adapter-support/migration-file-reader.js';
import { LeadsyncError } from '../../core/errors/error-codes.js';
import { pgStartError } from './pg-connection-errors.js';
import type { PgClient, PgDatabase } from './pg-database.js';

/** One numbered schema change, from `migrations/NNN_name.sql`. */
export type PgMigration = MigrationFile;

/**
 * Key of the advisory lock migrations take (first half; the second is the
 * schema's hash), so several processes starting at once against one new
 * database apply each migration exactly once: the others wait, then find it applied.
 */
const MIGRATION_LOCK_CLASS = 0x1ead5;

/**
 * Reads the migration files of a directory in version order. Versions must
 * run 1, 2, 3… without gaps. A file must not contain BEGIN/COMMIT: all
 * pending migrations run inside the migrator's one transaction. Shipped
 * files are never edited; a change is a new file.
 * @param directory (Default: the `migrations/` folder next to this module)
 */
export function loadPgMigrations(directory: URL = new URL('./migrations/', import.meta.url)): readonly PgMigration[] {
  return readMigrationFiles(directory, { fileName: /^(\d{3})_([a-z0-9_]+)\.sql$/, sourceFolder: 'src/adapters/postgres/migrations' });
}

/** Quotes an identifier for SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Applies the migrations the database does not have yet, in one transaction
 * holding an advisory lock for the schema: processes starting together
 * serialise here, and a failed migration leaves the database as it was.
 * Creates the schema when `database.schema` names one that does not exist.
 * Refuses a database migrated by a newer leadsync. Returns the versions applied.
 */
export async function migratePostgres(database: PgDatabase, migrations: readonly PgMigration[]): Promise<readonly number[]> {
  const latestKnown = migrations.at(-1)?.version ?? 0;
  try {
    return await database.withTransaction(async (client) => {
      if (database.requestedSearchPath !== undefined) await checkSearchPathArrived(client, database.requestedSearchPath);
      const schema = database.schema ?? (await currentSchema(client));
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
      if (database.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer     PRIMARY KEY,
        name       text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const current = (await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations')).rows[0]?.version ?? 0;
      if (current > latestKnown) {
        throw new LeadsyncError('STORAGE_SCHEMA_NEWER', `database schema ${schema} is at version ${current}; this leadsync knows up to ${latestKnown}`);
      }
      const applied: number[] = [];
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        try {
          await client.query(migration.sql);
        } catch (error) {
          throw new LeadsyncError('STORAGE_MIGRATION_FAILED', `migration ${String(migration.version).padStart(3, '0')}_${migration.name} failed: ${messageOf(error)}`, { cause: error });
        }
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        applied.push(migration.version);
      }
      return applied;
    });
  } catch (error) {
    if (error instanceof LeadsyncError) throw error;
    // The first statement is where a connection is made: a server that is down or refuses the login is not a failed migration.
    throw pgStartError(error, database.target, poolerHint(error)) ?? new LeadsyncError('STORAGE_MIGRATION_FAILED', `PostgreSQL migrations failed: ${messageOf(error)}${poolerHint(error)}`, { cause: error });
  }
}

/** An error's own message, without the "Error: " that String() puts before it. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const SEARCH_PATH_ON_THE_ROLE = 'put the schema on the role instead (ALTER ROLE <role> SET search_path = <schema>) and remove options= from the storage URL (docs/deploy.md, section 3)';

/** What to do when PgBouncer refused the connection's startup options (the search_path in the URL). */
function poolerHint(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!/unsupported startup parameter: options/.test(message)) return '';
  return `. A connection pooler (PgBouncer) refuses the options= of the storage URL (-c search_path=…): ${SEARCH_PATH_ON_THE_ROLE}`;
}

/** Names of a search_path as a list: `"$user", public` and `$user,public` are the same path. */
function searchPathList(searchPath: string): string {
  return searchPath.split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1')).join(',');
}

/**
 * Refuses to migrate when the search_path the URL asked for did not reach the
 * server: a pooler that drops startup options (PgBouncer with
 * `ignore_startup_parameters = options`) would otherwise put leadsync's tables
 * in the role's default schema, normally `public`, without a word.
 */
async function checkSearchPathArrived(client: PgClient, requested: string): Promise<void> {
  const actual = (await client.query<{ search_path: string }>('SHOW search_path')).rows[0]?.search_path ?? '';
  if (searchPathList(actual) === searchPathList(requested)) return;
  throw new Error(
    `the connection's search_path is ${actual}, not ${requested} as the storage URL's options ask: something between leadsync and PostgreSQL dropped the startup option (PgBouncer with ignore_startup_parameters = options does). Not migrating into the wrong schema; ${SEARCH_PATH_ON_THE_ROLE}`,
  );
}

async function currentSchema(client: PgClient): Promise<string> {
  const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema;
  if (schema === null || schema === undefined) {
    const searchPath = (await client.query<{ search_path: string }>('SHOW search_path')).rows[0]?.search_path ?? '';
    throw new Error(`no schema to migrate: none of the schemas on the search_path (${searchPath}) exists. Create it first (CREATE SCHEMA …), or fix the search_path in the storage URL's options (docs/deploy.md)`);
  }
  return schema;
}
