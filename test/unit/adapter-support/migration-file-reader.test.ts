import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readMigrationFiles, type MigrationFileLayout } from '../../../src/adapter-support/migration-file-reader.js';
import { loadPgMigrations } from '../../../src/adapters/postgres/pg-migrator.js';
import { loadMigrations } from '../../../src/adapters/sqlite/sqlite-migrator.js';
import { tempDirForThisTest } from '../../support/temp-dir.js';

// The reader both storage adapters use for their numbered migration files.

const DASHED: MigrationFileLayout = { fileName: /^(\d{3})-([a-z0-9-]+)\.sql$/, sourceFolder: 'src/adapters/example/migrations' };

/** A migrations folder holding `files` (name → SQL), as the URL the adapters pass. */
function folderWith(files: Record<string, string>): URL {
  const dir = tempDirForThisTest('leadsync-migration-files-');
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return pathToFileURL(`${dir}/`);
}

describe('readMigrationFiles', () => {
  it('reads the files that match, in version order, with their name and SQL, and ignores the rest', () => {
    const folder = folderWith({ '002-add-index.sql': 'CREATE INDEX i ON t (a);', '001-initial.sql': 'CREATE TABLE t (a);', 'README.md': '#', '003_wrong_separator.sql': 'x' });
    expect(readMigrationFiles(folder, DASHED)).toEqual([
      { version: 1, name: 'initial', sql: 'CREATE TABLE t (a);' },
      { version: 2, name: 'add-index', sql: 'CREATE INDEX i ON t (a);' },
    ]);
  });

  it('reads an empty folder as no migrations', () => {
    expect(readMigrationFiles(folderWith({}), DASHED)).toEqual([]);
  });

  it('refuses a gap in the versions, naming the version, its position and the folder', () => {
    const folder = folderWith({ '001-initial.sql': 'a', '003-later.sql': 'c' });
    expect(() => readMigrationFiles(folder, DASHED)).toThrow(`migration versions must run 1, 2, 3… without gaps; found 3 at position 2 in ${folder.href}`);
  });

  it('names the source folder the build must copy when the folder is missing', () => {
    const missing = new URL('missing/', folderWith({}));
    expect(() => readMigrationFiles(missing, DASHED)).toThrow(`migrations directory not found: ${missing.href}; the build must copy src/adapters/example/migrations/*.sql next to the compiled adapter`);
  });

  it('reads the files of both storage adapters, each by its own layout', () => {
    for (const migrations of [loadMigrations(), loadPgMigrations()]) {
      expect(migrations.length).toBeGreaterThan(0);
      expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1));
    }
  });
});
