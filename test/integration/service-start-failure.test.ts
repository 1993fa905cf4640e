import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config-loader.js';
import { startService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { withStorage } from '../support/config-overrides.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

// startService opens storage and starts threads with connections of their own (WAL checkpoints, the ingest writer)
// before it listens. When a later step fails — here the port is taken — all of it must be closed again. SQLite
// removes a database's WAL file when its last connection closes, so a WAL file left behind means a connection (the
// runtime's or a thread's) is still open.

let held: Server | undefined;
afterEach(() => {
  held?.close();
  held = undefined;
});

function holdPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      held = server;
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
}

describe('startService when a later step fails', () => {
  it('closes the storage and the threads it had started', { timeout: 60_000 }, async () => {
    const port = await holdPort();
    const file = join(tempDirForThisTest('leadsync-start-failure-'), 'leadsync.db');
    const config = withStorage(await loadConfig('examples/leadsync.yaml', { env: {} }), { file, synchronous: 'normal' });
    await expect(startService(config, { port, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
