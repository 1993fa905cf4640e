import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { createAlertDispatcher } from '../app/alert-dispatcher.js';
import { startMaintenanceLoop } from '../app/maintenance-loop.js';
import { startWorkerLoop } from '../app/worker-loop.js';
import type { LoadedConfig } from '../config/config-loader.js';
import { buildAlertChannels } from './alert-channel-factory.js';
import { buildHttpApp } from './http-app.js';
import { createLogger, type Logger } from './logger.js';
import { openRuntime, type Runtime } from './runtime.js';
import { systemScheduler } from './system-scheduler.js';

export interface ServiceOptions {
  readonly port?: number;
  readonly host?: string;
  readonly worker: boolean;
  /** Serve HTTP; `leadsync worker` runs the worker alone. (Default: true) */
  readonly http?: boolean;
  /** Human lines for the person running `serve`. */
  readonly log: (line: string) => void;
  /** Structured JSON log with PII masked: worker errors, alerts, maintenance. (Default: createLogger() to stderr) */
  readonly logger?: Logger;
}

export interface RunningService {
  readonly url: string;
  readonly runtime: Runtime;
  readonly storage: Runtime['storage'];
  readonly app: FastifyInstance;
  readonly logger: Logger;
  /** Graceful stop: no new requests or claims, in-flight work finished, database closed. */
  stop(): Promise<void>;
}

/** The composition root of `leadsync serve`: storage, CRM, HTTP and the worker, wired from one config. */
export async function startService(config: LoadedConfig, options: ServiceOptions): Promise<RunningService> {
  const runtime = openRuntime(config);
  const logger = options.logger ?? createLogger();
  const alerts = createAlertDispatcher({ channels: buildAlertChannels(config.document.alerts, logger), logger, scheduler: systemScheduler });
  let ready = false;
  const app = buildHttpApp({
    runtime,
    bodyLimitBytes: config.document.service.bodyLimitBytes,
    now: () => new Date(),
    isReady: () => ready,
  });
  const url = options.http === false ? '' : await app.listen({ port: options.port ?? config.document.service.port, host: options.host ?? config.document.service.host });
  const worker = options.worker
    ? startWorkerLoop(runtime.processorDeps, {
        workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        visibilityMs: config.document.retry.visibilityTimeoutMs,
        realtimeConcurrency: config.document.lanes.realtime.concurrency,
        batchMaxSize: config.document.lanes.batch.maxSize,
        batchMaxAgeMs: config.document.lanes.batch.maxAgeMs,
        onError: (error) => logger.error({ err: error }, 'worker error'),
        onOutcome: (_job, outcome) => {
          if (outcome.kind === 'settled' && outcome.deadLetter) alerts.notify(outcome.deadLetter);
        },
      })
    : undefined;
  const maintenance = startMaintenanceLoop({
    ingest: runtime.storage.ingest,
    approvals: runtime.storage.approvals,
    scheduler: systemScheduler,
    logger,
    payloadRetentionDays: config.document.storage.payloadRetentionDays,
    approvalExpiryDays: config.document.approvals.expireAfterDays,
  });
  ready = true;

  return {
    url,
    runtime,
    storage: runtime.storage,
    app,
    logger,
    async stop() {
      ready = false;
      await app.close();
      await worker?.stop();
      await maintenance.stop();
      // After the worker: its last dead letters still alert. Bounded by the dispatcher's stop deadline.
      await alerts.stop();
      await runtime.close();
    },
  };
}
