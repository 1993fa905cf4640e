import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isSqliteBusy, useWriteTurn, writeWithoutBlocking } from '../../src/adapter-support/sqlite-nonblocking-write.js';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { SqliteWriteTurn } from '../../src/adapter-support/sqlite-write-turn.js';
import { loadConfig } from '../../src/config/config-loader.js';
import { startIngestWriter } from '../../src/server/ingest-writer.js';
import { startService } from '../../src/server/leadsync-service.js';
import { openRuntime } from '../../src/server/runtime.js';
import { createLogger } from '../../src/server/logger.js';
import type { CrmDestination } from '../../src/ports/crm-destination.js';
import { gateCrm, gatePort, gateStorage, holdingForIngest } from '../../src/server/write-turn-gated-ports.js';
import { signStandardWebhooks } from '../../src/core/signatures/webhook-signature.js';
import { newEvent } from '../support/storage-fixtures.js';
import { waitUntil } from '../support/wait-for.js';
import { tempDirForThisTest } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';

// The write-turn handoff between the ingest writer thread and the worker thread
// (docs/decisions/0020-write-turn-handoff.md): an ingest commit that meets the
// write lock raises the gate, and the worker side lets it have the lock next.

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database file in a temp directory removed when the test finishes (after the cleanups above). */
function tempFile(): string {
  return join(tempDirForThisTest('leadsync-write-turn-'), 'leadsync.db');
}

/** A connection playing the worker thread: its write transactions on the same file. */
function workerConnection(file: string): Database.Database {
  const db = new Database(file);
  cleanups.push(() => {
    if (db.inTransaction) db.prepare('ROLLBACK').run();
    db.close();
  });
  return db;
}

describe('SqliteWriteTurn', () => {
  it('lets the worker side through at once while nobody waits', async () => {
    const turn = SqliteWriteTurn.create();
    expect(turn.raised).toBe(false);
    // Not raised: the hold ends without waiting for its bound (which would outlast the test's timeout).
    await turn.hold(600_000);
  });

  it('is shared through its buffer, and counts a turn each time a raised flag is lowered', () => {
    const turn = SqliteWriteTurn.create();
    const other = new SqliteWriteTurn(turn.buffer);
    turn.raise();
    expect(other.raised).toBe(true);
    other.lower();
    other.lower();
    expect(turn.raised).toBe(false);
    expect(turn.turns).toBe(1);
  });

  it('wakes the ingest side\'s pause as soon as the worker side holds back, not after its delay', async () => {
    const turn = SqliteWriteTurn.create();
    const holds = turn.holds;
    let woken = false;
    const pausing = turn.untilHeldOr(holds, 600_000).then(() => (woken = true));
    await Promise.resolve();
    expect(woken).toBe(false);
    turn.raise();
    const holding = turn.hold(600_000);
    await pausing;
    turn.lower();
    await holding;
    expect(woken).toBe(true);
    expect(turn.holds).toBe(holds + 1);
  });

  it('keeps the worker side held while another side still waits: each side lowers only its own flag', async () => {
    const ingest = SqliteWriteTurn.create();
    const http = new SqliteWriteTurn(ingest.buffer, 'http-thread');
    // The ingest writer's host, which lowers the ingest side's flag when its thread ends.
    const host = new SqliteWriteTurn(ingest.buffer);
    ingest.raise();
    http.raise();
    let held = true;
    const holding = ingest.hold(600_000).then(() => (held = false));

    ingest.lower();
    host.lower();
    expect(ingest.raised).toBe(true);
    expect(http.raisedHere).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held).toBe(true);
    http.lower();
    await holding;
    expect(ingest.raised).toBe(false);
    expect(ingest.turns).toBe(2);
  });

  it('refuses a buffer too small for its slots', () => {
    expect(() => new SqliteWriteTurn(new SharedArrayBuffer(4))).toThrow(RangeError);
  });
});

describe('the worker side of the gate', () => {
  it('proceeds after its bounded wait when the flag is never lowered', async () => {
    const turn = SqliteWriteTurn.create();
    turn.raise();
    const calls: string[] = [];
    const store = { write: (value: string) => Promise.resolve(calls.push(value)) };
    const gated = gatePort(store, holdingForIngest(turn, 5));

    await gated.write('first');
    await gated.write('second');

    // Both writes ran though the flag is still up: no deadlock when the ingest side is gone.
    expect(calls).toEqual(['first', 'second']);
    expect(turn.raised).toBe(true);
  });

  it('makes a call wait while the flag is raised and goes on once it is lowered', async () => {
    const turn = SqliteWriteTurn.create();
    const calls: string[] = [];
    const store = { write: (value: string) => Promise.resolve(calls.push(value)) };
    const gated = gatePort(store, holdingForIngest(turn, 600_000));

    await gated.write('down');
    turn.raise();
    const waiting = gated.write('raised');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(['down']);
    turn.lower();
    await waiting;
    expect(calls).toEqual(['down', 'raised']);
  });

  it('gates the stores\' writes but not their reads, and keeps `this`', async () => {
    const storage = openSqliteStorage({ file: ':memory:' });
    cleanups.push(() => storage.close());
    const asked: number[] = [];
    const gated = gateStorage(storage, { mustWait: () => asked.push(1) < 0, wait: () => Promise.resolve() });

    expect((await gated.jobs.depth()).realtime).toBe(0);
    expect(asked).toHaveLength(0);
    const [accepted] = await gated.ingest.acceptMany([newEvent({ leadId: 'a' })]);
    expect(accepted?.status).toBe('queued');
    expect(asked).toHaveLength(1);
    const jobs = await gated.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: new Date(), visibilityMs: 60_000 });
    expect(jobs).toHaveLength(1);
    expect(asked).toHaveLength(2);
    expect(await gated.ingest.getEvent(jobs[0]?.eventId ?? '')).toBeDefined();
    expect(asked).toHaveLength(2);
  });

  it('runs a read on the store itself while the gate is raised, so the store\'s own helpers are not gated', async () => {
    const storage = openSqliteStorage({ file: ':memory:' });
    cleanups.push(() => storage.close());
    // Raised for every call: a gated call waits for `wait()`, a read must not wait at all.
    let waits = 0;
    const gated = gateStorage(storage, { mustWait: () => true, wait: () => ((waits += 1), Promise.resolve()) });
    // fieldState.readMany calls its own private helper (rowsOf) through `this`; through the proxy that helper was
    // gated, returned a promise, and the read threw "rows.get is not a function" whenever an ingest commit waited.
    const read = await gated.fieldState.readMany([{ leadKey: 'email:a@example.com', object: 'contacts' }]);
    expect(read).toEqual([{}]);
    expect(waits).toBe(0);
    expect((await gated.jobs.depth()).batch).toBe(0);
    expect(waits).toBe(0);
    await gated.ingest.acceptMany([newEvent({ leadId: 'a' })]);
    expect(waits).toBe(1);
  });

  it('gates the sandbox CRM\'s upsert (it writes the storage file), never its reads nor a remote CRM\'s calls', async () => {
    const calls: string[] = [];
    const crm = {
      describe: () => Promise.resolve({ objects: [] }),
      read: () => Promise.resolve(calls.push('read')).then(() => []),
      upsert: () => Promise.resolve(calls.push('upsert')).then(() => []),
    } as unknown as CrmDestination;
    const turn = SqliteWriteTurn.create();
    turn.raise();
    const sandbox = gateCrm(crm, holdingForIngest(turn, 600_000), { writesStorageFile: true });
    await sandbox.read('contacts', []);
    const upserting = sandbox.upsert('contacts', []);
    const remote = gateCrm(crm, holdingForIngest(turn, 600_000), { writesStorageFile: false });
    await remote.read('contacts', []);
    await remote.upsert('contacts', []);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(['read', 'read', 'upsert']);
    turn.lower();
    await upserting;
    expect(calls).toEqual(['read', 'read', 'upsert', 'upsert']);
  });

  it('gates the rate-limit governor\'s token store, which the runtime wraps (its bucket is written on every call)', async () => {
    const turn = SqliteWriteTurn.create();
    const config = await loadConfig('examples/leadsync.yaml', { env: {} });
    let wrapped = 0;
    const runtime = await openRuntime(
      { ...config, document: { ...config.document, storage: { ...config.document.storage, file: tempFile() }, destination: { ...config.document.destination, rateLimit: { requests: 100, intervalMs: 10_000, realtimeReserve: 0.2, burst: 0.02, headroom: 0.02, maxWaitMs: 60_000 } } } },
      { wrapRateLimitStore: (store) => ((wrapped += 1), gatePort(store, holdingForIngest(turn, 600_000))) },
    );
    cleanups.push(() => runtime.close());
    expect(runtime.governor).toBeDefined();
    expect(wrapped).toBe(1);
    turn.raise();
    let done = false;
    const reading = runtime.crm.describe().then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(done).toBe(false);
    turn.lower();
    await reading;
    expect(done).toBe(true);
  });
});

describe('the ingest writer thread with the gate', () => {
  it('a commit that met the worker\'s lock goes before the worker\'s next write transaction', async () => {
    const file = tempFile();
    const storage = openSqliteStorage({ file });
    cleanups.push(() => storage.close());
    const turn = SqliteWriteTurn.create();
    const writer = await startIngestWriter({ file, synchronous: 'full', autoCheckpoint: true, logger: createLogger({ level: 'silent' }), writeTurn: turn.buffer });
    cleanups.push(() => writer.stop());
    const worker = workerConnection(file);
    const countEvents = worker.prepare('SELECT count(*) FROM events').pluck();
    // The worker's write transactions, gated as the worker thread gates them; the bound is far beyond any commit.
    const store = {
      write: () => Promise.resolve(worker.transaction(() => countEvents.get() as number).immediate()),
    };
    const gated = gatePort(store, holdingForIngest(turn, 600_000));

    // A worker transaction holds the write lock when the batch arrives: the writer meets SQLITE_BUSY and raises the gate.
    worker.prepare('BEGIN IMMEDIATE').run();
    const accepting = writer.acceptMany([newEvent({ leadId: 'a' }), newEvent({ leadId: 'b' })]);
    await waitUntil(() => turn.raised, 'the ingest writer to raise the gate', { intervalMs: 5 });
    worker.prepare('COMMIT').run();

    // The worker's very next write transaction begins only after the ingest commit: it sees its events.
    expect(await gated.write()).toBe(2);
    expect(turn.turns).toBe(1);
    expect(turn.raised).toBe(false);
    expect((await accepting).map((result) => result.status)).toEqual(['queued', 'queued']);
  });

  it('lowers a raised gate when its thread ends, so the worker does not hold back for nothing', async () => {
    const file = tempFile();
    await openSqliteStorage({ file }).close();
    const turn = SqliteWriteTurn.create();
    const writer = await startIngestWriter({ file, synchronous: 'full', autoCheckpoint: true, logger: createLogger({ level: 'silent' }), writeTurn: turn.buffer });
    turn.raise();
    await writer.stop();
    expect(turn.raised).toBe(false);
  });
});

describe('writeWithoutBlocking with a gate on its connection', () => {
  /**
   * A WAL database with a `marks` table, its connection gated by a new write turn, while a worker
   * connection holds the write lock (BEGIN IMMEDIATE, committed by the test).
   */
  function gatedWriteMeetingTheWorkerLock(options: Database.Options = {}): { db: Database.Database; turn: SqliteWriteTurn; worker: Database.Database } {
    const file = tempFile();
    const db = new Database(file, options);
    cleanups.push(() => {
      db.close();
    });
    db.pragma('journal_mode = WAL');
    db.prepare('CREATE TABLE marks (who TEXT)').run();
    const turn = SqliteWriteTurn.create();
    useWriteTurn(db, turn);
    const worker = workerConnection(file);
    worker.prepare('BEGIN IMMEDIATE').run();
    return { db, turn, worker };
  }

  it('raises it on SQLITE_BUSY and lowers it once committed', async () => {
    const { db, turn, worker } = gatedWriteMeetingTheWorkerLock();

    const writing = writeWithoutBlocking(db, () => db.transaction(() => db.prepare("INSERT INTO marks VALUES ('ingest')").run()).immediate());
    await waitUntil(() => turn.raised, 'the write to raise the gate', { intervalMs: 5 });
    worker.prepare('COMMIT').run();
    await writing;

    expect(turn.raised).toBe(false);
    expect(turn.turns).toBe(1);
  });

  it('lowers it when it gives up with SQLITE_BUSY', async () => {
    const { db, turn } = gatedWriteMeetingTheWorkerLock({ timeout: 30 });

    const error: unknown = await writeWithoutBlocking(db, () => db.transaction(() => db.prepare("INSERT INTO marks VALUES ('ingest')").run()).immediate()).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isSqliteBusy(error)).toBe(true);
    expect(turn.raised).toBe(false);
  });

  it('leaves a connection without a gate as it was', async () => {
    const { db, turn, worker } = gatedWriteMeetingTheWorkerLock();
    useWriteTurn(db, undefined);

    const writing = writeWithoutBlocking(db, () => db.transaction(() => db.prepare("INSERT INTO marks VALUES ('ingest')").run()).immediate());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(turn.raised).toBe(false);
    worker.prepare('COMMIT').run();
    await writing;
    expect(turn.turns).toBe(0);
  });
});

describe('leadsync serve with the worker thread', () => {
  it('answers 202 and processes every event with the gate between its ingest writer and its worker thread', async () => {
    const secret = 'whsec_bGVhZHN5bmMtdGVzdC1zZWNyZXQ=';
    const config = await loadConfig('examples/leadsync.yaml', { env: { WEBFORM_SECRET: secret } });
    const withTempDb = withStorage(config, { file: tempFile() });
    const service = await startService(withTempDb, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => service.stop());
    expect(service.workerMode).toBe('thread');

    const timestamp = Math.floor(Date.now() / 1000);
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const body = Buffer.from(JSON.stringify({ submission_id: `turn-${i}`, submitted_at: new Date().toISOString(), email: `turn${i}@gate.example.com`, first_name: 'Turn', company: 'Gate Ltd', country: 'UK', form: 'Demo Request' }));
        const id = `msg_turn_${i}`;
        const response = await fetch(`${service.url}/v1/events/webform`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(secret, id, timestamp, body) }, body });
        return response.status;
      }),
    );
    expect(statuses).toEqual(Array.from({ length: 30 }, () => 202));

    // Every accepted event was committed (202 only after the commit) and the worker thread drained the queue.
    let depth = await service.storage.jobs.depth();
    const deadline = Date.now() + 20_000;
    while (depth.realtime + depth.batch > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      depth = await service.storage.jobs.depth();
    }
    expect(depth).toEqual({ realtime: 0, batch: 0 });
    expect((await service.storage.dashboardStats.overview(new Date(0))).deadLettersOpen).toBe(0);
  });
});
