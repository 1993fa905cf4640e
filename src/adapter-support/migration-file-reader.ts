import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** One numbered schema change read from a migrations folder. */
export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** How one storage adapter names and ships its migration files. */
export interface MigrationFileLayout {
  /** File name pattern: group 1 is the three-digit version, group 2 the name; other files are ignored. */
  readonly fileName: RegExp;
  /** The folder under `src/` the files come from, named in the error when a build forgot to copy them. */
  readonly sourceFolder: string;
}

/**
 * Reads the migration files of a directory, in version order. Versions must
 * run 1, 2, 3… without gaps, so a missing file is found at start, not after
 * half a schema was applied. What a file may contain and how it is applied is
 * the adapter's business; this reads and checks the set only.
 */
export function readMigrationFiles(directory: URL, layout: MigrationFileLayout): readonly MigrationFile[] {
  if (!existsSync(directory)) {
    // tsc does not copy .sql files; a build that forgets them fails here, by name, rather than with a bare ENOENT.
    throw new Error(`migrations directory not found: ${directory.href}; the build must copy ${layout.sourceFolder}/*.sql next to the compiled adapter`);
  }
  const migrations = readdirSync(directory)
    .map((file) => ({ file, match: layout.fileName.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => ({
      version: Number(match[1]),
      name: match[2] ?? file,
      sql: readFileSync(new URL(file, directory), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration versions must run 1, 2, 3… without gaps; found ${migration.version} at position ${index + 1} in ${directory.href}`);
    }
  });
  return migrations;
}
