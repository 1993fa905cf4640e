import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { startWorkerLoop } from '../app/worker-loop.js';
import type { LoadedConfig } from '../config/config-loader.js';
import { buildHttpApp } from './http-app.js';
import { openRuntime, type Runtime } from './runtime.js';

export interface ServiceOptions {
  readonly port?: number;
  readonly host?: string;
  readonly worker: boolean;
  readonly log: (line: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly runtime: Runtime;
  readonly storage: Runtime['storage'];
  readonly app: FastifyInstance;
  /** Graceful stop: no new requests or claims, in-flight work finished, database closed. */
  stop(): Promise<void>;
}

/** The composition root of `leadsync serve`: storage, CRM, HTTP and the worker, wired from one config. */
export async function startService(config: LoadedConfig, options: ServiceOptions): Promise<RunningService> {
  const runtime = openRuntime(config);
  let ready = false;
  const app = buildHttpApp({
    runtime,
    bodyLimitBytes: config.document.service.bodyLimitBytes,
    now: () => new Date(),
    isReady: () => ready,
  });
  const url = await app.listen({ port: options.port ?? config.document.service.port, host: options.host ?? config.document.service.host });
  const worker = options.worker
    ? startWorkerLoop(runtime.processorDeps, {
        workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        visibilityMs: config.document.retry.visibilityTimeoutMs,
        realtimeConcurrency: config.document.lanes.realtime.concurrency,
        batchMaxSize: config.document.lanes.batch.maxSize,
        batchMaxAgeMs: config.document.lanes.batch.maxAgeMs,
        onError: (error) => options.log(`worker error: ${error instanceof Error ? error.message : String(error)}`),
      })
    : undefined;
  ready = true;

  return {
    url,
    runtime,
    storage: runtime.storage,
    app,
    async stop() {
      ready = false;
      await app.close();
      await worker?.stop();
      await runtime.close();
    },
  };
}
