import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { postgresStorageForThisTest } from '../support/postgres-test-storage.js';
import { dashboardStatsStoreContract } from './dashboard-stats-store.contract.js';
import { makeTempDir, removeTempDirUnlessFailed } from '../support/temp-dir.js';

// The DashboardStatsStore contract against every adapter: SQLite (a temp
// file per test) and PostgreSQL (a fresh schema per test; fails, not skips,
// when PostgreSQL is down). Both are kept when the test fails.

dashboardStatsStoreContract('SQLite', () => {
  const directory = makeTempDir('leadsync-stats-');
  const storage = openSqliteStorage({ file: join(directory, 'leadsync.db'), synchronous: 'normal' });
  onTestFinished(async (context) => {
    await storage.close();
    removeTempDirUnlessFailed(context, directory);
  });
  return Promise.resolve({ stats: storage.dashboardStats, storage });
});

dashboardStatsStoreContract('PostgreSQL', async () => {
  const storage = await postgresStorageForThisTest();
  return { stats: storage.dashboardStats, storage };
});
