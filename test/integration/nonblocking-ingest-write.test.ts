import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isSqliteBusy, writeWithoutBlocking } from '../../src/adapter-support/sqlite-nonblocking-write.js';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { loadConfig } from '../../src/config/config-loader.js';
import { startService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { sqliteDatabaseOf } from '../../src/server/runtime.js';
import { startIngestWriter } from '../../src/server/ingest-writer.js';
import { startWalCheckpointer } from '../../src/server/wal-checkpointer.js';
import { newEvent } from '../support/storage-fixtures.js';
import { waitUntil } from '../support/wait-for.js';
import { tempDirForThisTest } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';

// Ingest on the HTTP thread must not sleep its event loop while another connection (the worker
// thread's, a `leadsync worker` process's) holds SQLite's write lock, and the HTTP connection
// leaves WAL checkpoints to a thread of its own (docs/decisions/0014-nonblocking-ingest-writes.md).

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database file in a temp directory removed when the test finishes (after the cleanups above). */
function tempFile(): string {
  return join(tempDirForThisTest('leadsync-nonblocking-'), 'leadsync.db');
}

/** A second connection on the same file, holding the write lock until `release`. */
function lockHolder(file: string): { release(): void } {
  const other = new Database(file);
  cleanups.push(() => {
    if (other.inTransaction) other.prepare('ROLLBACK').run();
    other.close();
  });
  other.prepare('BEGIN IMMEDIATE').run();
  return { release: () => other.prepare('COMMIT').run() };
}

describe('acceptMany while another connection holds the write lock', () => {
  it('waits with the event loop free, then commits once the lock is released', async () => {
    const file = tempFile();
    const storage = openSqliteStorage({ file, busyTimeoutMs: 3000 });
    cleanups.push(() => storage.close());
    const holder = lockHolder(file);

    const accepting = storage.ingest.acceptMany([newEvent({ leadId: 'a' }), newEvent({ leadId: 'b' })]);
    // Released from a timer: a write that slept this thread in SQLite's busy handler would keep the timer from
    // running until its busy timeout ran out, and fail with SQLITE_BUSY.
    setTimeout(() => holder.release(), 20);

    const results = await accepting;
    expect(results.map((result) => result.status)).toEqual(['queued', 'queued']);
    expect(await storage.jobs.depth()).toEqual({ realtime: 2, batch: 0 });
    // The connection's own busy timeout is back for every other statement.
    expect(storage.database.pragma('busy_timeout', { simple: true })).toBe(3000);
  });

  it('fails with SQLITE_BUSY after the busy timeout, having written nothing', async () => {
    const file = tempFile();
    const storage = openSqliteStorage({ file, busyTimeoutMs: 50 });
    cleanups.push(() => storage.close());
    const holder = lockHolder(file);

    const error: unknown = await storage.ingest.acceptMany([newEvent()]).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isSqliteBusy(error)).toBe(true);
    holder.release();
    expect(await storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    expect(storage.database.pragma('busy_timeout', { simple: true })).toBe(50);
  });

  it('passes on other errors at once, without retrying', async () => {
    const file = tempFile();
    const db = new Database(file);
    cleanups.push(() => {
      db.close();
    });
    let attempts = 0;
    const failing = writeWithoutBlocking(db, () => {
      attempts += 1;
      throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' });
    });
    await expect(failing).rejects.toThrow('constraint');
    expect(attempts).toBe(1);
  });
});

describe('the ingest writer thread', () => {
  it('commits batches in its own thread, in order, answering each once committed; stop answers the batches before it', async () => {
    const file = tempFile();
    const storage = openSqliteStorage({ file });
    cleanups.push(() => storage.close());
    const writer = await startIngestWriter({ file, synchronous: 'full', autoCheckpoint: true, logger: createLogger({ level: 'silent' }) });
    const holder = lockHolder(file);

    const first = writer.acceptMany([newEvent({ leadId: 'a' }), newEvent({ leadId: 'b' })]);
    const second = writer.acceptMany([newEvent({ leadId: 'a' }), newEvent({ leadId: 'c' })]);
    const stopped = writer.stop();
    // This thread's timers run while the writer waits for the lock held here.
    setTimeout(() => holder.release(), 20);

    expect((await first).map((result) => result.status)).toEqual(['queued', 'queued']);
    expect((await second).map((result) => result.status)).toEqual(['duplicate', 'queued']);
    await stopped;
    expect(await storage.jobs.depth()).toEqual({ realtime: 3, batch: 0 });
    await expect(writer.acceptMany([newEvent({ leadId: 'd' })])).rejects.toThrow('stopping');
  });
});

describe('WAL checkpoints off the HTTP thread', () => {
  it('a checkpoint thread moves committed pages from the WAL into the database file', async () => {
    const file = tempFile();
    const db = new Database(file);
    cleanups.push(() => {
      db.close();
    });
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.prepare('CREATE TABLE filler (body TEXT)').run();
    const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 200; i += 1) insert.run('x'.repeat(2000));
    })();
    const before = statSync(file).size;

    const checkpointer = await startWalCheckpointer({ file, synchronous: 'full', intervalMs: 20, logger: createLogger({ level: 'silent' }), onGone: () => undefined });
    cleanups.push(() => checkpointer.stop());
    // Nothing else checkpoints (this connection's automatic checkpoints are off): the file grows only by the thread's.
    await waitUntil(() => statSync(file).size > before + 200 * 2000, 'the checkpoint thread to copy the WAL into the database file', { intervalMs: 10 });
  });

  it('the service turns the HTTP connection\'s automatic checkpoints off while its thread checkpoints', async () => {
    const config = await loadConfig('examples/leadsync.yaml', { env: { WEBFORM_SECRET: 'whsec_bGVhZHN5bmMtdGVzdC1zZWNyZXQ=' } });
    const withTempDb = withStorage(config, { file: tempFile() });
    const service = await startService(withTempDb, { port: 0, host: '127.0.0.1', worker: false, log: () => undefined, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => service.stop());
    expect(sqliteDatabaseOf(service.runtime).pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  });
});
