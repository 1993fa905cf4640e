import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isSqliteBusy, useWriteTurn, writeWithoutBlocking } from '../../src/adapter-support/sqlite-nonblocking-write.js';
import { SqliteWriteTurn } from '../../src/adapter-support/sqlite-write-turn.js';
import { gatePort, holdingForIngest } from '../../src/server/write-turn-gated-ports.js';
import { tempDirForThisTest } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-for.js';

// Operator writes on the HTTP thread (DLQ replay/discard, approval decisions, tokens) take the write turn like ingest
// commits, on a side of their own (docs/decisions/0036-operator-writes-take-the-write-turn.md): a worker writing
// back to back cannot keep them from SQLite's write lock until their busy timeout, and one side's commit does not
// lower the gate while the other side still waits.

/** A WAL database file with a `marks` table, in a temp directory removed when the test finishes. */
function markedDatabase(): string {
  const file = join(tempDirForThisTest('leadsync-operator-turn-'), 'leadsync.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.prepare('CREATE TABLE marks (who TEXT)').run();
  db.close();
  return file;
}

function connection(file: string, options: Database.Options = {}): Database.Database {
  const db = new Database(file, options);
  onTestFinished(() => {
    db.close();
  });
  return db;
}

/**
 * A worker writing back to back, as `serve`'s worker thread does during a backfill: each transaction holds the
 * write lock across a timer tick (its thread busy with other work meanwhile), and the next begins in the same task
 * the previous one commits in, so a writer that polls on a timer never finds the lock free. Its transactions go
 * through the worker thread's gate when `turn` is given.
 */
function backToBackWorker(file: string, turn: SqliteWriteTurn | undefined): { readonly transactions: number } {
  const db = new Database(file);
  const insert = db.prepare("INSERT INTO marks VALUES ('worker')");
  let transactions = 0;
  const store = {
    transaction(): Promise<void> {
      db.prepare('BEGIN IMMEDIATE').run();
      insert.run();
      return new Promise((resolve) =>
        setTimeout(() => {
          db.prepare('COMMIT').run();
          transactions += 1;
          resolve();
        }, 1),
      );
    },
  };
  const port = turn === undefined ? store : gatePort(store, holdingForIngest(turn));
  let stopped = false;
  const running = (async () => {
    while (!stopped) await port.transaction();
  })();
  onTestFinished(async () => {
    stopped = true;
    await running;
    db.close();
  });
  return {
    get transactions() {
      return transactions;
    },
  };
}

const operatorWrite = (db: Database.Database): Promise<unknown> => writeWithoutBlocking(db, () => db.transaction(() => db.prepare("INSERT INTO marks VALUES ('operator')").run()).immediate());
const marksBy = (db: Database.Database, who: string): number => db.prepare('SELECT count(*) FROM marks WHERE who = ?').pluck().get(who) as number;

describe('an operator write against a worker writing back to back', () => {
  it('without the write turn, loses every race for the lock and fails at its busy timeout (the code before 0036)', async () => {
    const file = markedDatabase();
    const worker = backToBackWorker(file, SqliteWriteTurn.create());
    const http = connection(file, { timeout: 200 });
    await waitUntil(() => worker.transactions >= 3, 'the worker to write', { intervalMs: 5 });

    const error: unknown = await operatorWrite(http).then(
      () => undefined,
      (failure: unknown) => failure,
    );

    expect(isSqliteBusy(error)).toBe(true);
    expect(marksBy(http, 'operator')).toBe(0);
  });

  it("on the HTTP thread's side of the gate, gets the lock: the worker holds back before its next transaction", async () => {
    const file = markedDatabase();
    const turn = SqliteWriteTurn.create();
    const worker = backToBackWorker(file, turn);
    const http = connection(file);
    useWriteTurn(http, new SqliteWriteTurn(turn.buffer, 'http-thread'));
    await waitUntil(() => worker.transactions >= 3, 'the worker to write', { intervalMs: 5 });

    await operatorWrite(http);

    expect(marksBy(http, 'operator')).toBe(1);
    // It met the worker's lock, raised its flag and took its turn; the flag is down again.
    expect(turn.turns).toBe(1);
    expect(turn.raised).toBe(false);
    const after = worker.transactions;
    await waitUntil(() => worker.transactions > after, 'the worker to go on writing', { intervalMs: 5 });
  });

  it('with the ingest writer waiting too, both get the lock', async () => {
    const file = markedDatabase();
    const turn = SqliteWriteTurn.create();
    const worker = backToBackWorker(file, turn);
    const http = connection(file);
    useWriteTurn(http, new SqliteWriteTurn(turn.buffer, 'http-thread'));
    const ingest = connection(file);
    useWriteTurn(ingest, new SqliteWriteTurn(turn.buffer, 'ingest-writer'));
    await waitUntil(() => worker.transactions >= 3, 'the worker to write', { intervalMs: 5 });

    await Promise.all([operatorWrite(http), writeWithoutBlocking(ingest, () => ingest.transaction(() => ingest.prepare("INSERT INTO marks VALUES ('ingest')").run()).immediate())]);

    expect(marksBy(http, 'operator')).toBe(1);
    expect(marksBy(http, 'ingest')).toBe(1);
    expect(turn.raised).toBe(false);
  });
});

describe("the HTTP thread's side of the gate", () => {
  const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

  it('is raised only once a write has waited its `raiseAfterMs`: a short wait costs the worker nothing', async () => {
    const file = markedDatabase();
    const turn = SqliteWriteTurn.create();
    const http = connection(file);
    useWriteTurn(http, new SqliteWriteTurn(turn.buffer, 'http-thread', { raiseAfterMs: 600_000 }));
    const other = connection(file);
    other.prepare('BEGIN IMMEDIATE').run();
    let attempts = 0;

    const writing = writeWithoutBlocking(http, () => {
      attempts += 1;
      return http.transaction(() => http.prepare("INSERT INTO marks VALUES ('operator')").run()).immediate();
    });
    await waitUntil(() => attempts >= 3, 'the write to try a few times', { intervalMs: 2 });
    expect(turn.raised).toBe(false);
    other.prepare('COMMIT').run();
    await writing;

    expect(marksBy(http, 'operator')).toBe(1);
    expect(turn.turns).toBe(0);
  });

  it('stays raised while another of its writes still waits (two operator requests at once)', async () => {
    const db = connection(join(tempDirForThisTest('leadsync-operator-turn-'), 'leadsync.db'));
    const turn = SqliteWriteTurn.create();
    const http = new SqliteWriteTurn(turn.buffer, 'http-thread', { raiseAfterMs: 0 });
    useWriteTurn(db, http);
    const free = { first: false, second: false };
    const first = writeWithoutBlocking(db, () => {
      if (!free.first) throw busy();
      return 'first';
    });
    const second = writeWithoutBlocking(db, () => {
      if (!free.second) throw busy();
      return 'second';
    });
    expect(http.raisedHere).toBe(true);

    free.first = true;
    expect(await first).toBe('first');
    expect(turn.raised).toBe(true);
    free.second = true;
    expect(await second).toBe('second');
    expect(turn.raised).toBe(false);
    expect(turn.turns).toBe(1);
  });
});
