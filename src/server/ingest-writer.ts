import { Worker } from 'node:worker_threads';
import type { SynchronousMode } from '../adapters/sqlite/sqlite-storage.js';
import { SqliteWriteTurn } from '../adapter-support/sqlite-write-turn.js';
import type { AcceptResult, IngestStore, NewEvent } from '../ports/ingest-store.js';
import type { Logger } from './logger.js';
import { threadEntry } from './worker-thread-host.js';
import { deserializeError, type SerializedError } from './worker-thread-protocol.js';

/** What the ingest writer thread is started with. */
export interface IngestWriterThreadData {
  readonly file: string;
  readonly synchronous: SynchronousMode;
  /** Whether its connection checkpoints the WAL inside its commits (false while a checkpoint thread runs). */
  readonly autoCheckpoint: boolean;
  /**
   * The write-turn gate shared with the worker thread (sqlite-write-turn.ts): raised while a commit waits for the
   * write lock, so the worker lets it have the lock next. Absent: no gate (no worker thread beside it).
   */
  readonly writeTurn?: SharedArrayBuffer;
}

/** Messages to the ingest writer thread. */
export type ToIngestWriter =
  | { readonly type: 'accept'; readonly id: number; readonly events: readonly NewEvent[] }
  /** The process's checkpoint thread ended: the writer's connection checkpoints inside its commits again. */
  | { readonly type: 'checkpoint-automatically' }
  | { readonly type: 'stop' };

/** Messages from the ingest writer thread. */
export type FromIngestWriter =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'accepted'; readonly id: number; readonly results: readonly AcceptResult[] }
  | { readonly type: 'refused'; readonly id: number; readonly error: SerializedError }
  | { readonly type: 'stopped' };

export interface IngestWriterOptions extends IngestWriterThreadData {
  readonly logger: Logger;
}

/** `acceptMany` in a thread of its own; `stop` ends the thread once its last batch is answered. */
export interface IngestWriter extends Pick<IngestStore, 'acceptMany'> {
  /** The process's checkpoint thread ended: this thread's connection (and a restarted one's) checkpoints inside its commits again. */
  checkpointAutomatically(): void;
  stop(): Promise<void>;
}

interface Waiting {
  readonly resolve: (results: readonly AcceptResult[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Commits ingest batches (`acceptMany`) in a `worker_threads` thread with its
 * own SQLite connection, so the HTTP event loop never runs a commit, its
 * fsync, or a wait for the worker's write lock: it posts the batch and awaits
 * the answer, which comes only after the durable commit ("202 only after a
 * durable commit" holds). Resolves once the thread has opened its connection;
 * rejects if it cannot. A thread that ends unexpectedly fails the batches it
 * held (their requests get a 5xx, the senders retry; nothing answered was
 * lost) and is started again by the next batch.
 */
export async function startIngestWriter(options: IngestWriterOptions): Promise<IngestWriter> {
  let data: IngestWriterThreadData = { file: options.file, synchronous: options.synchronous, autoCheckpoint: options.autoCheckpoint, ...(options.writeTurn === undefined ? {} : { writeTurn: options.writeTurn }) };
  // A thread that ends while its commit waits leaves the gate raised: lowered here, so the worker does not hold back for nothing.
  const turn = options.writeTurn === undefined ? undefined : new SqliteWriteTurn(options.writeTurn);
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let stopping = false;

  const spawn = (): Promise<Worker> =>
    new Promise<Worker>((resolve, reject) => {
      const entry = threadEntry('ingest-writer-thread');
      const worker = new Worker(entry.entry, { eval: entry.eval, workerData: data, name: 'leadsync-ingest-writer' });
      let ready = false;
      worker.on('message', (message: FromIngestWriter) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            resolve(worker);
            break;
          case 'failed':
            reject(deserializeError(message.error));
            break;
          case 'accepted':
            waiting.get(message.id)?.resolve(message.results);
            waiting.delete(message.id);
            break;
          case 'refused':
            waiting.get(message.id)?.reject(deserializeError(message.error));
            waiting.delete(message.id);
            break;
          case 'stopped':
            break;
        }
      });
      worker.on('error', (error) => {
        options.logger.error({ err: error }, 'ingest writer thread crashed');
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        turn?.lower();
        if (running === worker) {
          running = undefined;
          current = undefined;
        }
        const lost = [...waiting.values()];
        waiting.clear();
        for (const entry of lost) entry.reject(new Error(`the ingest writer thread ended (exit code ${code}) before answering; nothing of the batch was acknowledged`));
        if (ready && !stopping) options.logger.error({ exitCode: code, failedBatches: lost.length }, 'ingest writer thread ended unexpectedly; the next batch starts a new one');
      });
      running = worker;
    });

  let running: Worker | undefined;
  let current: Promise<Worker> | undefined = spawn();
  await current;
  const started = (): Promise<Worker> => {
    current ??= spawn().catch((error: unknown) => {
      // Not started: the next batch tries again.
      current = undefined;
      throw error;
    });
    return current;
  };

  return {
    acceptMany(events) {
      if (events.length === 0) return Promise.resolve([]);
      if (stopping) return Promise.reject(new Error('the ingest writer is stopping'));
      const id = nextId++;
      return new Promise<readonly AcceptResult[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const post = (worker: Worker): void => worker.postMessage({ type: 'accept', id, events } satisfies ToIngestWriter);
        // Posted at once while a thread runs, so batches (and a `stop` after them) reach it in call order.
        if (running) post(running);
        else
          started().then(post, (error: unknown) => {
            waiting.delete(id);
            reject(error instanceof Error ? error : new Error(String(error)));
          });
      });
    },
    checkpointAutomatically() {
      data = { ...data, autoCheckpoint: true };
      running?.postMessage({ type: 'checkpoint-automatically' } satisfies ToIngestWriter);
    },
    async stop() {
      stopping = true;
      const worker = running;
      if (!worker) return;
      const exited = new Promise<void>((done) => worker.once('exit', () => done()));
      // Messages are handled in order: batches posted before `stop` are answered first.
      worker.postMessage({ type: 'stop' } satisfies ToIngestWriter);
      await exited;
    },
  };
}
