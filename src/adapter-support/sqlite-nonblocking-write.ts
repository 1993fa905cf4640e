import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteWriteTurn } from './sqlite-write-turn.js';

export interface NonblockingWriteOptions {
  /** Give up with the SQLITE_BUSY error after waiting this long for the write lock. (Default: the connection's busy timeout) */
  readonly timeoutMs?: number;
  /** Pause between two attempts while another connection holds the write lock. (Default: 1 ms) */
  readonly retryDelayMs?: number;
}

const turns = new WeakMap<BetterSqlite3.Database, SqliteWriteTurn>();
/** Writes of this thread waiting with a side's flag raised: the flag is lowered when the last of them is done. */
const raisedBy = new WeakMap<SqliteWriteTurn, number>();
const nonblocking = new WeakSet<BetterSqlite3.Database>();

/**
 * Writes through `writeAsConfigured` on this connection go through
 * `writeWithoutBlocking`; on every other connection they keep SQLite's busy
 * handler. For adapters whose writes run both on the HTTP thread of
 * `leadsync serve` and on its worker thread (the sandbox CRM's upsert, the
 * rate-limit buckets): the worker's writes keep the busy handler, which backs
 * off and so leaves a waiting ingest commit the lock (0014, 0020); the
 * service marks its HTTP thread's connection, whose event loop must not sleep
 * (docs/decisions/0033-operator-writes-off-the-busy-handler.md).
 */
export function useNonblockingWrites(db: BetterSqlite3.Database, on = true): void {
  if (on) nonblocking.add(db);
  else nonblocking.delete(db);
}

/** `write` (one transaction, all-or-nothing) through `writeWithoutBlocking` on a connection marked by `useNonblockingWrites`, else at once. */
export function writeAsConfigured<T>(db: BetterSqlite3.Database, write: () => T): Promise<T> {
  if (nonblocking.has(db)) return writeWithoutBlocking(db, write);
  // A throw inside the executor becomes a rejection, as from every other port method.
  return new Promise<T>((resolve) => {
    resolve(write());
  });
}

/**
 * Writes through `writeWithoutBlocking` on this connection raise `turn`'s flag
 * (its side's) when they meet a busy write lock and lower it once they have
 * committed or given up, so a thread of the same process that honours the gate
 * lets them have the lock next (sqlite-write-turn.ts): the ingest writer
 * thread's connection and the HTTP thread's (operator writes) in `leadsync
 * serve`, each with its own side. `undefined` removes it.
 */
export function useWriteTurn(db: BetterSqlite3.Database, turn: SqliteWriteTurn | undefined): void {
  if (turn) turns.set(db, turn);
  else turns.delete(db);
}

/** The write-turn gate `useWriteTurn` gave this connection, if any (the service's wiring is checked with it). */
export function writeTurnOf(db: BetterSqlite3.Database): SqliteWriteTurn | undefined {
  return turns.get(db);
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, …). */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `write` — one synchronous IMMEDIATE transaction — without letting
 * SQLite's busy handler sleep this thread. better-sqlite3 is synchronous: a
 * write that meets another connection's write lock (the worker thread's, a
 * `leadsync worker` process's) would otherwise sleep the whole event loop in
 * growing steps up to the busy timeout, and every HTTP request with it. Here
 * the attempt is made with a busy timeout of 0; on SQLITE_BUSY nothing was
 * written (the transaction rolled back), and it is tried again after a timer,
 * so the event loop keeps reading requests meanwhile. After `timeoutMs` the
 * SQLITE_BUSY error is thrown, as a blocking write would have.
 *
 * With a write-turn gate on the connection (`useWriteTurn`), a busy attempt
 * raises its side's flag (at once for ingest commits, after the side's
 * `raiseAfterMs` of waiting for operator writes), so the worker thread of the
 * same process lets this write have the lock next; the next attempt comes as
 * soon as the worker holds back, and the flag is lowered once this write — and
 * every other write of this thread that raised it on the same side meanwhile —
 * has committed or given up.
 *
 * `write` must be safe to run again after a SQLITE_BUSY (a whole
 * transaction, all-or-nothing): it is the unit that is retried.
 */
export async function writeWithoutBlocking<T>(db: BetterSqlite3.Database, write: () => T, options: NonblockingWriteOptions = {}): Promise<T> {
  const busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }));
  const timeoutMs = options.timeoutMs ?? busyTimeoutMs;
  const retryDelayMs = options.retryDelayMs ?? 1;
  const started = performance.now();
  const deadline = started + timeoutMs;
  const turn = turns.get(db);
  let raised = false;
  try {
    for (;;) {
      db.pragma('busy_timeout = 0');
      const holds = turn?.holds ?? 0;
      try {
        return write();
      } catch (error) {
        if (!isSqliteBusy(error) || performance.now() >= deadline) throw error;
      } finally {
        // Synchronously restored: no other statement of this connection ran in between.
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
      if (!turn) {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
        continue;
      }
      // Busy, with a gate on this connection: once raised, the worker thread holds back before its next write transaction.
      if (!raised && performance.now() - started >= turn.raiseAfterMs) {
        const waiting = raisedBy.get(turn) ?? 0;
        if (waiting === 0) turn.raise();
        raisedBy.set(turn, waiting + 1);
        raised = true;
      }
      // Tried again as soon as the worker side holds back (its transaction ended), else after the delay.
      await turn.untilHeldOr(holds, retryDelayMs);
    }
  } finally {
    if (raised && turn) {
      // Another write of this thread still waiting on this side (two operator requests at once) keeps the flag up.
      const waiting = (raisedBy.get(turn) ?? 1) - 1;
      raisedBy.set(turn, waiting);
      if (waiting === 0) turn.lower();
    }
  }
}
