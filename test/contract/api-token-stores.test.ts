import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { postgresStorageForThisTest } from '../support/postgres-test-storage.js';
import { apiTokenStoreContract } from './api-token-store.contract.js';
import { makeTempDir, removeTempDirUnlessFailed } from '../support/temp-dir.js';

// The ApiTokenStore contract against every adapter: SQLite (a temp file per
// test) and PostgreSQL (a fresh schema per test; fails, not skips, when
// PostgreSQL is down). Both are kept when the test fails.

apiTokenStoreContract('SQLite', () => {
  const directory = makeTempDir('leadsync-tokens-');
  const storage = openSqliteStorage({ file: join(directory, 'leadsync.db'), synchronous: 'normal' });
  onTestFinished(async (context) => {
    await storage.close();
    removeTempDirUnlessFailed(context, directory);
  });
  return Promise.resolve(storage.apiTokens);
});

apiTokenStoreContract('PostgreSQL', async () => {
  const storage = await postgresStorageForThisTest();
  return storage.apiTokens;
});
