import { openPostgresStorage, type PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { schemaForThisTest, testDatabaseUrl } from './postgres-test-schema.js';

/**
 * `count` storages (pools) on one fresh schema of the test database, as that many processes would have:
 * closed when the current test finishes, the schema then dropped if it passed or kept (name printed) if
 * it failed. Fails, not skips, when PostgreSQL is down.
 */
export async function postgresStoragesForThisTest(count: number, options: { readonly maxConnections: number }): Promise<PostgresStorage[]> {
  const opened: PostgresStorage[] = [];
  const schema = schemaForThisTest(async () => {
    for (const storage of opened) await storage.close();
  });
  for (let i = 0; i < count; i += 1) opened.push(await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: options.maxConnections }));
  return opened;
}

/** One storage on a fresh schema for the current test ({@link postgresStoragesForThisTest}). @param maxConnections (Default: 4) */
export async function postgresStorageForThisTest(maxConnections = 4): Promise<PostgresStorage> {
  const [storage] = await postgresStoragesForThisTest(1, { maxConnections });
  if (storage === undefined) throw new Error('postgresStoragesForThisTest opened nothing');
  return storage;
}
