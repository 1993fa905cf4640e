import type BetterSqlite3 from 'better-sqlite3';

export interface NonblockingWriteOptions {
  /** Give up with the SQLITE_BUSY error after waiting this long for the write lock. (Default: the connection's busy timeout) */
  readonly timeoutMs?: number;
  /** Pause between two attempts while another connection holds the write lock. (Default: 1 ms) */
  readonly retryDelayMs?: number;
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
 * `write` must be safe to run again after a SQLITE_BUSY (a whole
 * transaction, all-or-nothing): it is the unit that is retried.
 */
export async function writeWithoutBlocking<T>(db: BetterSqlite3.Database, write: () => T, options: NonblockingWriteOptions = {}): Promise<T> {
  const busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }));
  const timeoutMs = options.timeoutMs ?? busyTimeoutMs;
  const retryDelayMs = options.retryDelayMs ?? 1;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    db.pragma('busy_timeout = 0');
    try {
      return write();
    } catch (error) {
      if (!isSqliteBusy(error) || performance.now() >= deadline) throw error;
    } finally {
      // Synchronously restored: no other statement of this connection ran in between.
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
  }
}
