import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openPostgresStorage, type PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { schemaForThisTest, testDatabaseUrl } from '../support/postgres-test-schema.js';
import { dashboardStatsStoreContract } from './dashboard-stats-store.contract.js';

// The DashboardStatsStore contract against every adapter: SQLite (a temp
// file per test) and PostgreSQL (a fresh schema per test; fails, not skips,
// when PostgreSQL is down). Both are kept when the test fails.

dashboardStatsStoreContract('SQLite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'leadsync-stats-'));
  const storage = openSqliteStorage({ file: join(directory, 'leadsync.db'), synchronous: 'normal' });
  onTestFinished(async (context) => {
    await storage.close();
    if (context.task.result?.state === 'fail') console.error(`kept the database of failed test "${context.task.name}": ${directory}`);
    else rmSync(directory, { recursive: true, force: true });
  });
  return Promise.resolve({ stats: storage.dashboardStats, storage });
});

dashboardStatsStoreContract('PostgreSQL', async () => {
  const opened: PostgresStorage[] = [];
  const schema = schemaForThisTest(async () => {
    for (const storage of opened) await storage.close();
  });
  const storage = await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: 4 });
  opened.push(storage);
  return { stats: storage.dashboardStats, storage };
});
