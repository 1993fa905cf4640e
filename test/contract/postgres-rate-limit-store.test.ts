import { describe } from 'vitest';
import { PgRateLimitStore } from '../../src/adapters/postgres/pg-rate-limit-store.js';
import { openPostgresStorage, type PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { schemaForThisTest, testDatabaseUrl } from '../support/postgres-test-schema.js';
import { rateLimitStoreContract } from './rate-limit-store.contract.js';

describe('PostgreSQL rate-limit store', () => {
  // Two pools on one schema, as two worker processes would have; the schema is kept when a test fails.
  rateLimitStoreContract(async () => {
    const opened: PostgresStorage[] = [];
    const schema = schemaForThisTest(async () => {
      for (const storage of opened) await storage.close();
    });
    const first = await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: 2 });
    opened.push(first);
    const second = await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: 2 });
    opened.push(second);
    return { store: new PgRateLimitStore(first.database), peer: new PgRateLimitStore(second.database) };
  });
});
