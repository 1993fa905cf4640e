import { describe } from 'vitest';
import { PgRateLimitStore } from '../../src/adapters/postgres/pg-rate-limit-store.js';
import { postgresStoragesForThisTest } from '../support/postgres-test-storage.js';
import { rateLimitStoreContract } from './rate-limit-store.contract.js';

describe('PostgreSQL rate-limit store', () => {
  // Two pools on one schema, as two worker processes would have; the schema is kept when a test fails.
  rateLimitStoreContract(async () => {
    const [first, second] = await postgresStoragesForThisTest(2, { maxConnections: 2 });
    if (first === undefined || second === undefined) throw new Error('two storages were asked for');
    return { store: new PgRateLimitStore(first.database), peer: new PgRateLimitStore(second.database) };
  });
});
