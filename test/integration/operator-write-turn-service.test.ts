import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { writeTurnOf } from '../../src/adapter-support/sqlite-nonblocking-write.js';
import { loadConfig } from '../../src/config/config-loader.js';
import { startService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { withStorage } from '../support/config-overrides.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

// `leadsync serve` puts its HTTP thread's connection on a side of the write-turn gate of its own when the worker runs
// in its thread beside it, so operator writes take the turn like ingest commits
// (docs/decisions/0036-operator-writes-take-the-write-turn.md; the mechanism is tested in operator-write-turn.test.ts).

async function served(worker: boolean): Promise<Awaited<ReturnType<typeof startService>>> {
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  const file = join(tempDirForThisTest('leadsync-operator-turn-'), 'leadsync.db');
  const service = await startService(withStorage(config, { file }), { port: 0, host: '127.0.0.1', worker, log: () => undefined, logger: createLogger({ level: 'silent' }) });
  onTestFinished(() => service.stop());
  return service;
}

describe("the HTTP thread's side of the write-turn gate in the service", () => {
  it('is its connection\'s when the worker runs in its thread beside it', async () => {
    const service = await served(true);
    expect(service.workerMode).toBe('thread');
    if (service.runtime.backend.kind !== 'sqlite') throw new Error('expected the SQLite backend');

    expect(writeTurnOf(service.runtime.backend.storage.database)?.side).toBe('http-thread');
  });

  it('is not set up without a worker thread (nothing to take the turn from)', async () => {
    const service = await served(false);
    if (service.runtime.backend.kind !== 'sqlite') throw new Error('expected the SQLite backend');

    expect(writeTurnOf(service.runtime.backend.storage.database)).toBeUndefined();
  });
});
