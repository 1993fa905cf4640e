import type BetterSqlite3 from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { SynchronousMode } from '../adapters/sqlite/sqlite-storage.js';
import type { Logger } from './logger.js';
import type { Runtime } from './runtime.js';
import { threadEntry } from './worker-thread-host.js';
import { deserializeError, type SerializedError } from './worker-thread-protocol.js';

/** What the checkpoint thread is started with. */
export interface WalCheckpointThreadData {
  readonly file: string;
  readonly synchronous: SynchronousMode;
  readonly intervalMs: number;
  readonly restartAtPages: number;
  readonly restartWaitMs: number;
}

/** Messages from the checkpoint thread. */
export type FromCheckpointThread =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'error'; readonly error: SerializedError }
  /** A round: frames in the WAL when it began, and whether writers now start again from the WAL's beginning (RESTART, or TRUNCATE when idle). */
  | ({ readonly type: 'checkpointed' } & CheckpointRound)
  | { readonly type: 'stopped' };

/** What one round of the checkpoint thread did (`onCheckpoint`; tests and benchmarks watch the WAL with it). */
export interface CheckpointRound {
  /** Frames in the WAL when the round began. */
  readonly walPages: number;
  /** Whether writers now start again from the WAL's beginning (RESTART, or TRUNCATE when idle). */
  readonly restarted: boolean;
  /** RESTART or TRUNCATE checkpoints tried this round (each takes the write lock if it is free); 0 when the round ran PASSIVE only. */
  readonly restartAttempts: number;
  /** Time spent inside those attempts, in ms: a successful one holds the write lock meanwhile (its page copy and fsync). */
  readonly restartMs: number;
}

/** SQLite's own `wal_autocheckpoint` default, in pages: what a connection goes back to without the thread. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

export interface WalCheckpointerOptions {
  readonly file: string;
  readonly synchronous: SynchronousMode;
  readonly logger: Logger;
  /** How often the WAL is checkpointed (PASSIVE); a quarter of it while a round finds a quarter of `restartAtPages` or more. (Default: 1000 ms) */
  readonly intervalMs?: number;
  /**
   * WAL frames (pages) at which a round also runs a RESTART checkpoint, so writers start again at the WAL file's
   * beginning instead of growing it while they never let a PASSIVE checkpoint catch up. (Default: 4096, 16 MiB of 4 KiB pages)
   */
  readonly restartAtPages?: number;
  /** How long a round tries (every millisecond) to get the write lock and every reader off the WAL for RESTART before leaving it to the next round. (Default: 1000 ms) */
  readonly restartWaitMs?: number;
  /** The thread ended without being stopped: whoever turned automatic checkpoints off turns them on again. */
  readonly onGone: () => void;
  /** After every round (tests and benchmarks watch the WAL with it). (Default: none) */
  readonly onCheckpoint?: (round: CheckpointRound) => void;
}

export interface WalCheckpointer {
  /** One last checkpoint, then the thread closes its connection and ends. */
  stop(): Promise<void>;
  /** Ends the thread at once, as a crash would: `onGone` runs. For tests of the fallback. */
  terminate(): Promise<void>;
}

/**
 * Checkpoints the SQLite WAL from a thread of its own, so the process's writing connections can run with
 * `wal_autocheckpoint = 0`: SQLite's automatic checkpoint runs inside the commit that crosses the threshold, on
 * the committing thread — for the HTTP thread a request-path stall, for the worker a page copy and an fsync of
 * the database file in the middle of its pipeline. Resolves once the thread has opened its connection; rejects
 * if it cannot.
 */
export function startWalCheckpointer(options: WalCheckpointerOptions): Promise<WalCheckpointer> {
  const entry = threadEntry('wal-checkpoint-thread');
  const data: WalCheckpointThreadData = {
    file: options.file,
    synchronous: options.synchronous,
    intervalMs: options.intervalMs ?? 1000,
    restartAtPages: options.restartAtPages ?? 4096,
    restartWaitMs: options.restartWaitMs ?? 1000,
  };
  const worker = new Worker(entry.entry, { eval: entry.eval, workerData: data, name: 'leadsync-wal-checkpoint' });
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  let ready = false;
  let stopping = false;
  return new Promise<WalCheckpointer>((resolve, reject) => {
    worker.on('message', (message: FromCheckpointThread) => {
      switch (message.type) {
        case 'ready':
          ready = true;
          resolve({
            async stop() {
              stopping = true;
              // A thread that has already ended (crashed, terminated) answers nothing: its exit has happened.
              worker.postMessage('stop');
              await exited;
            },
            async terminate() {
              await worker.terminate();
              await exited;
            },
          });
          break;
        case 'failed':
          reject(deserializeError(message.error));
          break;
        case 'error':
          options.logger.warn({ err: deserializeError(message.error) }, 'WAL checkpoint failed; trying again at the next interval');
          break;
        case 'checkpointed':
          options.onCheckpoint?.({ walPages: message.walPages, restarted: message.restarted, restartAttempts: message.restartAttempts, restartMs: message.restartMs });
          break;
        case 'stopped':
          break;
      }
    });
    worker.on('error', (error) => {
      options.logger.error({ err: error }, 'WAL checkpoint thread crashed');
      if (!ready) reject(error);
    });
    worker.on('exit', () => {
      if (!ready || stopping) return;
      options.logger.error('WAL checkpoint thread ended unexpectedly; the connections checkpoint inside their commits again');
      options.onGone();
    });
  });
}

/** A process's checkpoint thread and the connections that leave their checkpoints to it. */
export interface ThreadCheckpoints {
  /** Whether the thread still checkpoints: a connection opened now runs with `wal_autocheckpoint = 0` while true. */
  readonly running: boolean;
  /** Turns this connection's automatic checkpoints off while the thread runs, and on again if it ends. */
  adopt(db: BetterSqlite3.Database): void;
  /**
   * Called once if the thread ends unexpectedly (at once if it already has): connections of other threads
   * (the worker thread's, the ingest writer's) are told to checkpoint automatically again.
   */
  onGone(listener: () => void): void;
  /** One last checkpoint, then the thread ends. Adopted connections keep `wal_autocheckpoint = 0`: close them after. */
  stop(): Promise<void>;
  /** Ends the thread at once, as a crash would: the fallback runs. For tests. */
  terminate(): Promise<void>;
}

export type ThreadCheckpointOptions = Pick<WalCheckpointerOptions, 'intervalMs' | 'restartAtPages' | 'restartWaitMs' | 'onCheckpoint'>;

/**
 * The one place that decides whether a process checkpoints its SQLite WAL in a thread: every process that writes a
 * SQLite file does (`leadsync serve`, `leadsync worker`, `leadsync ingest`); an in-memory database and PostgreSQL
 * do not. Starts the checkpoint thread and adopts the runtime's own connection. Undefined when the process
 * checkpoints inside its commits: no thread for this storage, or the thread did not start (logged).
 * docs/decisions/0027-checkpoints-off-every-writing-connection.md.
 */
export async function checkpointInThread(runtime: Runtime, logger: Logger, options: ThreadCheckpointOptions = {}): Promise<ThreadCheckpoints | undefined> {
  if (runtime.backend.kind !== 'sqlite' || runtime.storage.location === ':memory:') return undefined;
  const adopted: BetterSqlite3.Database[] = [];
  const listeners: (() => void)[] = [];
  let gone = false;
  let checkpointer: WalCheckpointer;
  try {
    checkpointer = await startWalCheckpointer({
      ...options,
      file: runtime.storage.location,
      synchronous: runtime.config.document.storage.synchronous,
      logger,
      onGone: () => {
        gone = true;
        for (const db of adopted.splice(0)) checkpointAutomatically(db);
        for (const listener of listeners.splice(0)) listener();
      },
    });
  } catch (error) {
    logger.warn({ err: error }, 'WAL checkpoint thread did not start; the connections checkpoint inside their commits');
    return undefined;
  }
  const checkpoints: ThreadCheckpoints = {
    get running() {
      return !gone;
    },
    adopt(db) {
      if (gone) return;
      db.pragma('wal_autocheckpoint = 0');
      adopted.push(db);
    },
    onGone(listener) {
      if (gone) listener();
      else listeners.push(listener);
    },
    stop: () => checkpointer.stop(),
    terminate: () => checkpointer.terminate(),
  };
  checkpoints.adopt(runtime.backend.storage.database);
  return checkpoints;
}

/** Back to SQLite's automatic checkpoints inside commits (the fallback when no thread checkpoints). */
export function checkpointAutomatically(db: BetterSqlite3.Database): void {
  if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
}
