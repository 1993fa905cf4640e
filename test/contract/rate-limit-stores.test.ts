import { join } from 'node:path';
import { describe, onTestFinished } from 'vitest';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store.js';
import { SqliteRateLimitStore } from '../../src/adapters/sqlite/sqlite-rate-limit-store.js';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { rateLimitStoreContract } from './rate-limit-store.contract.js';
import { makeTempDir, removeTempDirUnlessFailed } from '../support/temp-dir.js';

describe('in-memory rate-limit store', () => {
  rateLimitStoreContract(() => {
    const store = new MemoryRateLimitStore();
    return Promise.resolve({ store, peer: store });
  });
});

describe('SQLite rate-limit store', () => {
  // Two connections to one file, as two worker processes would have; the file is kept when a test fails.
  rateLimitStoreContract(() => {
    const directory = makeTempDir('leadsync-rate-limit-');
    const file = join(directory, 'leadsync.db');
    const first = openSqliteStorage({ file, synchronous: 'normal' });
    const second = openSqliteStorage({ file, synchronous: 'normal' });
    onTestFinished(async (context) => {
      await first.close();
      await second.close();
      removeTempDirUnlessFailed(context, directory, file);
    });
    return Promise.resolve({ store: new SqliteRateLimitStore(first.database), peer: new SqliteRateLimitStore(second.database) });
  });
});
