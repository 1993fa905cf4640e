import { Worker } from 'node:worker_threads';
import type { SynchronousMode } from '../adapters/sqlite/sqlite-storage.js';
import type { Logger } from './logger.js';
import { threadEntry } from './worker-thread-host.js';
import { deserializeError, type SerializedError } from './worker-thread-protocol.js';

/** What the checkpoint thread is started with. */
export interface WalCheckpointThreadData {
  readonly file: string;
  readonly synchronous: SynchronousMode;
  readonly intervalMs: number;
}

/** Messages from the checkpoint thread. */
export type FromCheckpointThread =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'error'; readonly error: SerializedError }
  | { readonly type: 'stopped' };

export interface WalCheckpointerOptions extends Omit<WalCheckpointThreadData, 'intervalMs'> {
  readonly logger: Logger;
  /** How often the WAL is checkpointed (PASSIVE). (Default: 1000 ms) */
  readonly intervalMs?: number;
  /** The thread ended without being stopped: whoever turned automatic checkpoints off turns them on again. */
  readonly onGone: () => void;
}

export interface WalCheckpointer {
  /** One last checkpoint, then the thread closes its connection and ends. */
  stop(): Promise<void>;
}

/**
 * Checkpoints the SQLite WAL from a thread of its own, so the service's HTTP
 * connection can run with `wal_autocheckpoint = 0`: SQLite's automatic
 * checkpoint runs inside the commit that crosses the threshold, on the
 * committing thread — for the HTTP thread, a request-path stall of a page copy
 * and an fsync of the database file. Resolves once the thread has opened its
 * connection; rejects if it cannot.
 */
export function startWalCheckpointer(options: WalCheckpointerOptions): Promise<WalCheckpointer> {
  const entry = threadEntry('wal-checkpoint-thread');
  const data: WalCheckpointThreadData = { file: options.file, synchronous: options.synchronous, intervalMs: options.intervalMs ?? 1000 };
  const worker = new Worker(entry.entry, { eval: entry.eval, workerData: data, name: 'leadsync-wal-checkpoint' });
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
              const exited = new Promise<void>((done) => worker.once('exit', () => done()));
              worker.postMessage('stop');
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
      options.logger.error('WAL checkpoint thread ended unexpectedly; the HTTP connection checkpoints automatically again');
      options.onGone();
    });
  });
}
