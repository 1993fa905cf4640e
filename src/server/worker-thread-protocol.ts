import type { DeadLetterNotice } from '../app/job-processor.js';
import type { WorkerLoopOptions } from '../app/worker-loop.js';
import type { LoadedConfig } from '../config/config-loader.js';

/** What the worker thread is started with (structured-cloned: plain data only). */
export interface WorkerThreadData {
  readonly config: LoadedConfig;
  readonly loop: Omit<WorkerLoopOptions, 'onError' | 'onOutcome'>;
  /**
   * The write-turn gate shared with the ingest writer thread (sqlite-write-turn.ts): the worker holds back
   * before each write transaction while an ingest commit waits for the lock. Absent: no gate.
   */
  readonly writeTurn?: SharedArrayBuffer;
  /**
   * Whether the thread's connection checkpoints the WAL inside its commits. False while the process's checkpoint
   * thread runs (wal-checkpointer.ts); a `checkpoint-automatically` message turns them on again. (Default: true)
   */
  readonly autoCheckpoint?: boolean;
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

/** Messages from the service's thread to the worker thread. */
export type ToWorkerThread =
  /** Stop claiming, finish in-flight jobs, close the connection, end the thread. */
  | { readonly type: 'stop' }
  /** Answer with this thread's metrics (prom-client `getMetricsAsJSON()`), for `AggregatorRegistry.aggregate`. */
  | { readonly type: 'metrics'; readonly id: number }
  /** A newly loaded config: the thread's runtime swaps in its sources and mappings (`Runtime.reload`). */
  | { readonly type: 'reload'; readonly config: LoadedConfig }
  /** The process's checkpoint thread ended: the thread's connection checkpoints inside its commits again. */
  | { readonly type: 'checkpoint-automatically' };

/** Messages from the worker thread to the service's thread. */
export type FromWorkerThread =
  /** Started; `walAutocheckpoint`: its SQLite connection's `wal_autocheckpoint` pages (0: the checkpoint thread's job; absent on PostgreSQL). */
  | { readonly type: 'ready'; readonly walAutocheckpoint?: number }
  /** Its connection's `wal_autocheckpoint` after a `checkpoint-automatically` message, read back from the connection. */
  | { readonly type: 'checkpointing'; readonly walAutocheckpoint: number }
  /** Opening the runtime failed; the thread ends. */
  | { readonly type: 'failed'; readonly error: SerializedError }
  /** A worker error (logged by the service; the job is retried or reclaimed). */
  | { readonly type: 'error'; readonly error: SerializedError }
  /** A job was dead-lettered: the service's alert dispatcher sends the alert. */
  | { readonly type: 'dead-letter'; readonly notice: DeadLetterNotice }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: readonly object[]; readonly error?: SerializedError }
  | { readonly type: 'stopped' };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/** An Error again on the service's side, with the worker thread's stack. */
export function deserializeError(error: SerializedError): Error {
  const revived = new Error(error.message);
  revived.name = error.name;
  if (error.stack !== undefined) revived.stack = error.stack;
  if (error.code !== undefined) Object.assign(revived, { code: error.code });
  return revived;
}
