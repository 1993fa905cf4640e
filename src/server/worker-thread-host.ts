import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DeadLetterNotice } from '../app/job-processor.js';
import type { LoadedConfig } from '../config/config-loader.js';
import type { Logger } from './logger.js';
import { deserializeError, type FromWorkerThread, type ToWorkerThread, type WorkerThreadData } from './worker-thread-protocol.js';

export interface WorkerThreadOptions {
  readonly config: LoadedConfig;
  readonly loop: WorkerThreadData['loop'];
  readonly logger: Logger;
  /** A job was dead-lettered in the thread (the service alerts). */
  readonly onDeadLetter: (notice: DeadLetterNotice) => void;
  /** How long `stop()` waits for in-flight jobs before ending the thread; its claims then expire and are reclaimed. (Default: 60000 ms) */
  readonly stopTimeoutMs?: number;
  /** The write-turn gate shared with the ingest writer thread (sqlite-write-turn.ts); none by default. */
  readonly writeTurn?: SharedArrayBuffer;
  /** Whether the thread's connection checkpoints inside its commits; false while the process's checkpoint thread runs. (Default: true) */
  readonly autoCheckpoint?: boolean;
  /** First wait before restarting a thread that ended unexpectedly; doubles up to 30 s. (Default: 1000 ms) */
  readonly restartDelayMs?: number;
}

export interface WorkerThreadHandle {
  /** Stop claiming, finish in-flight jobs, close the thread's connection; resolves when the thread has ended. */
  stop(): Promise<void>;
  /** Hands a newly loaded config to the thread (its runtime's `reload`); a restarted thread starts with it too. */
  reload(config: LoadedConfig): void;
  /** The thread's prom-client metrics as JSON (for `AggregatorRegistry.aggregate`); [] while no thread runs. */
  metrics(timeoutMs?: number): Promise<readonly object[]>;
  /** The process's checkpoint thread ended: the thread's connection (and a restarted thread's) checkpoints inside its commits again. */
  checkpointAutomatically(): void;
  /** The running thread's SQLite `wal_autocheckpoint` as it last reported it (0: left to the checkpoint thread); undefined on PostgreSQL or while no thread runs. */
  walAutocheckpoint(): number | undefined;
}

/**
 * How to start a thread whose entry is `./<name>.js` beside this module. Built
 * (dist/), it is the compiled entry. Under tsx or vitest this module is the
 * TypeScript source: the thread then registers tsx's loader first and imports
 * the `.ts` entry (a worker's `execArgv` cannot carry `--import`).
 */
export function threadEntry(name: string): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL(`./${name}.js`, import.meta.url), eval: false };
  // tsx's ESM hooks, registered in the thread (tsx's own `register()` API fails to resolve them inside a worker on Node 20;
  // given `data`, the hooks accept being registered this way).
  const tsxHooks = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
  const source = new URL(`./${name}.ts`, import.meta.url).href;
  return { entry: `require('node:module').register(${JSON.stringify(tsxHooks)}, { data: {} }); import(${JSON.stringify(source)});`, eval: true };
}

/**
 * Runs the worker loop in a `worker_threads` thread with its own SQLite
 * connection, so claims, CRM calls and synchronous commits (fsync) never hold
 * up the HTTP event loop. Resolves once the thread has opened its runtime and
 * started; rejects if that fails. A thread that ends unexpectedly later is
 * logged and restarted with a growing delay; its claimed jobs are reclaimed
 * after the visibility timeout like those of any dead worker.
 */
export function startWorkerThread(options: WorkerThreadOptions): Promise<WorkerThreadHandle> {
  const stopTimeoutMs = options.stopTimeoutMs ?? 60_000;
  let data: WorkerThreadData = {
    config: options.config,
    loop: options.loop,
    ...(options.writeTurn === undefined ? {} : { writeTurn: options.writeTurn }),
    ...(options.autoCheckpoint === undefined ? {} : { autoCheckpoint: options.autoCheckpoint }),
  };
  let current: Worker | undefined;
  let stopping = false;
  let restartDelay = options.restartDelayMs ?? 1000;
  let restartTimer: NodeJS.Timeout | undefined;
  let nextMetricsId = 1;
  const metricsWaiting = new Map<number, (metrics: readonly object[]) => void>();
  let walAutocheckpoint: number | undefined;

  const spawn = (onReady: () => void, onFailed: (error: Error) => void): Worker => {
    const entry = threadEntry('worker-thread');
    const worker = new Worker(entry.entry, { eval: entry.eval, workerData: data, name: 'leadsync-worker' });
    let ready = false;
    let stopped = false;
    worker.on('message', (message: FromWorkerThread) => {
      switch (message.type) {
        case 'ready':
          ready = true;
          walAutocheckpoint = message.walAutocheckpoint;
          onReady();
          break;
        case 'checkpointing':
          walAutocheckpoint = message.walAutocheckpoint;
          options.logger.info({ walAutocheckpoint: message.walAutocheckpoint }, 'worker thread checkpoints inside its commits again');
          break;
        case 'failed':
          onFailed(deserializeError(message.error));
          break;
        case 'error':
          options.logger.error({ err: deserializeError(message.error) }, 'worker error');
          break;
        case 'dead-letter':
          options.onDeadLetter(message.notice);
          break;
        case 'metrics':
          if (message.error) options.logger.warn({ err: deserializeError(message.error) }, 'worker thread metrics failed');
          metricsWaiting.get(message.id)?.(message.metrics);
          metricsWaiting.delete(message.id);
          break;
        case 'stopped':
          stopped = true;
          break;
      }
    });
    worker.on('error', (error) => {
      options.logger.error({ err: error }, 'worker thread crashed');
      if (!ready) onFailed(error);
    });
    worker.on('exit', (code) => {
      if (current === worker) {
        current = undefined;
        walAutocheckpoint = undefined;
      }
      if (!ready || stopped || stopping) return;
      options.logger.error({ exitCode: code, restartInMs: restartDelay }, 'worker thread ended unexpectedly; restarting it');
      const delay = restartDelay;
      restartDelay = Math.min(30_000, restartDelay * 2);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopping) return;
        current = spawn(
          () => options.logger.info('worker thread restarted'),
          (error) => options.logger.error({ err: error }, 'worker thread failed to restart'),
        );
      }, delay);
    });
    return worker;
  };

  return new Promise<WorkerThreadHandle>((resolve, reject) => {
    current = spawn(
      () =>
        resolve({
          async stop() {
            stopping = true;
            if (restartTimer) clearTimeout(restartTimer);
            const worker = current;
            if (!worker) return;
            const exited = new Promise<void>((done) => worker.once('exit', () => done()));
            worker.postMessage({ type: 'stop' } satisfies ToWorkerThread);
            const timer = setTimeout(() => {
              options.logger.error({ stopTimeoutMs }, 'worker thread did not finish in time; ending it (its claims will be reclaimed)');
              void worker.terminate();
            }, stopTimeoutMs);
            await exited;
            clearTimeout(timer);
          },
          reload(config) {
            data = { ...data, config };
            current?.postMessage({ type: 'reload', config } satisfies ToWorkerThread);
          },
          checkpointAutomatically() {
            data = { ...data, autoCheckpoint: true };
            current?.postMessage({ type: 'checkpoint-automatically' } satisfies ToWorkerThread);
          },
          walAutocheckpoint: () => walAutocheckpoint,
          metrics(timeoutMs = 2000) {
            const worker = current;
            if (!worker) return Promise.resolve([]);
            const id = nextMetricsId++;
            return new Promise<readonly object[]>((answer) => {
              const timer = setTimeout(() => {
                metricsWaiting.delete(id);
                answer([]);
              }, timeoutMs);
              metricsWaiting.set(id, (metrics) => {
                clearTimeout(timer);
                answer(metrics);
              });
              worker.postMessage({ type: 'metrics', id } satisfies ToWorkerThread);
            });
          },
        }),
      (error) => {
        stopping = true;
        void current?.terminate();
        reject(error);
      },
    );
  });
}
