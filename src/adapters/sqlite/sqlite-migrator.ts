import type BetterSqlite3 from 'better-sqlite3';
import { readMigrationFiles, type MigrationFile } from '../../adapter-support/migration-file-reader.js';
import { LeadsyncError } from '../../core/errors/error-codes.js';

/** One numbered schema change, from `migrations/NNN-name.sql`. */
export type Migration = MigrationFile;

/**
 * Reads the migration files of a directory, in version order. Versions must
 * run 1, 2, 3… without gaps, so a missing file is found at start, not after
 * half a schema was applied. A file must not contain BEGIN/COMMIT: each one
 * runs inside the migrator's transaction. Shipped files are never edited;
 * a change is a new file.
 * @param directory (Default: the `migrations/` folder next to this module)
 */
export function loadMigrations(directory: URL = new URL('./migrations/', import.meta.url)): readonly Migration[] {
  return readMigrationFiles(directory, { fileName: /^(\d{3})-([a-z0-9-]+)\.sql$/, sourceFolder: 'src/adapters/sqlite/migrations' });
}

/**
 * Applies the migrations the database does not have yet, each in its own
 * IMMEDIATE transaction that re-reads the applied version, so two processes
 * opening the same new file at once do not both apply a migration.
 * Refuses a database migrated by a newer leadsync. Returns the versions applied.
 */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[]): readonly number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const currentVersion = db.prepare<[], { version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  const record = db.prepare<[number, string]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  );
  const latestKnown = migrations.at(-1)?.version ?? 0;

  const applied: number[] = [];
  const applyOne = db.transaction((migration: Migration): void => {
    const current = currentVersion.get()?.version ?? 0;
    if (current > latestKnown) {
      throw new LeadsyncError('STORAGE_SCHEMA_NEWER', `database schema is at version ${current}; this leadsync knows up to ${latestKnown}`);
    }
    if (migration.version <= current) return;
    db.exec(migration.sql);
    record.run(migration.version, migration.name);
    applied.push(migration.version);
  });

  const initial = currentVersion.get()?.version ?? 0;
  if (initial > latestKnown) {
    throw new LeadsyncError('STORAGE_SCHEMA_NEWER', `database schema is at version ${initial}; this leadsync knows up to ${latestKnown}`);
  }
  for (const migration of migrations) {
    if (migration.version <= initial) continue;
    try {
      applyOne.immediate(migration);
    } catch (error) {
      if (error instanceof LeadsyncError) throw error;
      throw new LeadsyncError('STORAGE_MIGRATION_FAILED', `migration ${migration.version}-${migration.name} failed: ${String(error)}`, { cause: error });
    }
  }
  return applied;
}
