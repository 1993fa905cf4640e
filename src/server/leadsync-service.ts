import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { createAlertDispatcher } from '../app/alert-dispatcher.js';
import { bootstrapAdminToken } from '../app/api-token-actions.js';
import { startMaintenanceLoop } from '../app/maintenance-loop.js';
import { timedCrmDestination } from '../app/timed-crm-destination.js';
import { startWorkerLoop } from '../app/worker-loop.js';
import type { LoadedConfig } from '../config/config-loader.js';
import { buildAlertChannels } from './alert-channel-factory.js';
import { buildHttpApp } from './http-app.js';
import { createLogger, type Logger } from './logger.js';
import { startMetricsServer } from './metrics-route.js';
import { openRuntime, type Runtime } from './runtime.js';
import { createServiceMetrics } from './service-metrics.js';
import { systemScheduler } from './system-scheduler.js';
import { useNonblockingWrites, useWriteTurn } from '../adapter-support/sqlite-nonblocking-write.js';
import { SqliteWriteTurn } from '../adapter-support/sqlite-write-turn.js';
import { startIngestWriter, type IngestWriter } from './ingest-writer.js';
import { checkpointInThread, type ThreadCheckpointOptions, type ThreadCheckpoints } from './wal-checkpointer.js';
import { startWorkerThread, type WorkerThreadHandle } from './worker-thread-host.js';

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
  /**
   * Run the worker in a `worker_threads` thread with its own SQLite connection, so claims, CRM calls and
   * synchronous commits never hold up HTTP. (Default: true when serving HTTP on a database file; the worker
   * runs on the service's own event loop without HTTP (`leadsync worker`) or on an in-memory database)
   */
  readonly workerThread?: boolean;
  /** Also serve `GET /metrics` alone on this port (for `leadsync worker`; the HTTP API serves it anyway). (Default: none) */
  readonly metricsPort?: number;
  /** The checkpoint thread's interval and WAL bounds (wal-checkpointer.ts). (Default: its defaults) */
  readonly walCheckpoints?: ThreadCheckpointOptions;
}

export interface RunningService {
  readonly url: string;
  readonly runtime: Runtime;
  readonly storage: Runtime['storage'];
  readonly app: FastifyInstance;
  readonly logger: Logger;
  /**
   * This process's metrics; `/metrics` serves them. A worker thread's registry is added with
   * `metrics.addRemote(() => snapshotFromTheThread())` (docs/metrics.md).
   */
  readonly metrics: ReturnType<typeof createServiceMetrics>;
  /** Where `--metrics-port` serves `/metrics`; '' without one. */
  readonly metricsUrl: string;
  /**
   * The admin token created because the storage had never held one (first
   * start); null otherwise. Print it once, to the person, never to the log.
   */
  readonly firstAdminToken: string | null;
  /** Where the worker runs: its own thread (the default with HTTP), the service's event loop, or nowhere (`--no-worker`). */
  readonly workerMode: 'thread' | 'event-loop' | 'none';
  /** The worker thread, when `workerMode` is 'thread' (tests and benchmarks look at it); undefined otherwise. */
  readonly workerThread: WorkerThreadHandle | undefined;
  /**
   * The thread that checkpoints the SQLite WAL for every connection of this process (docs/decisions/0027);
   * undefined on PostgreSQL, an in-memory database, or when it did not start (the connections then checkpoint inside their commits).
   */
  readonly walCheckpoints: ThreadCheckpoints | undefined;
  /** Graceful stop: no new requests or claims, in-flight work finished, database closed. */
  stop(): Promise<void>;
}

/**
 * Serving HTTP on a SQLite file, ingest batches are committed by a thread of its own (ingest-writer.ts): the HTTP
 * event loop never runs a commit, its fsync or a wait for the worker's write lock. If that thread cannot start,
 * the HTTP thread commits them itself, still without sleeping on a busy lock (sqlite-nonblocking-write.ts).
 */
async function ingestOffTheHttpThread(runtime: Runtime, config: LoadedConfig, options: ServiceOptions, logger: Logger, checkpoints: ThreadCheckpoints | undefined, writeTurn: SqliteWriteTurn | undefined): Promise<IngestWriter | undefined> {
  if (runtime.backend.kind !== 'sqlite' || options.http === false || runtime.storage.location === ':memory:') return undefined;
  try {
    const writer = await startIngestWriter({ file: runtime.storage.location, synchronous: config.document.storage.synchronous, autoCheckpoint: checkpoints?.running !== true, logger, ...(writeTurn === undefined ? {} : { writeTurn: writeTurn.buffer }) });
    checkpoints?.onGone(() => writer.checkpointAutomatically());
    return writer;
  } catch (error) {
    logger.warn({ err: error }, 'ingest writer thread did not start; the HTTP thread commits ingest batches itself');
    return undefined;
  }
}

/** The composition root of `leadsync serve`: storage, CRM, HTTP and the worker, wired from one config. */
export async function startService(config: LoadedConfig, options: ServiceOptions): Promise<RunningService> {
  // Before the runtime: the CRM rate-limit governor logs pauses and 429 blocks with the rest.
  const logger = options.logger ?? createLogger();
  const runtime = await openRuntime(config, { logger });
  // What has been started so far, closed in reverse if a later step fails (a port in use, a thread that does not
  // start), so a failed start leaves no open database, thread or timer behind.
  const started: (() => Promise<unknown>)[] = [() => runtime.close()];
  try {
    // Writes on the HTTP thread's connection that adapters share with the worker thread (the sandbox CRM's upsert, the
    // rate-limit buckets) wait for a busy write lock without sleeping the event loop (docs/decisions/0033).
    if (runtime.backend.kind === 'sqlite' && options.http !== false) useNonblockingWrites(runtime.backend.storage.database);
    const firstAdmin = options.http === false ? null : await bootstrapAdminToken({ tokens: runtime.storage.apiTokens, now: () => new Date(), randomBytes: () => randomBytes(32) });
    const alerts = createAlertDispatcher({ channels: buildAlertChannels(config.document.alerts, logger), logger, scheduler: systemScheduler });
    started.push(() => alerts.stop());
    const metrics = createServiceMetrics({ storage: runtime.storage, crm: runtime.crm, logger });
    let ready = false;
    // Every connection of the process leaves WAL checkpoints to one thread: the HTTP thread's (a checkpoint inside a
    // commit would stall requests), the ingest writer's and the worker's (docs/decisions/0014, 0027).
    const walCheckpoints = await checkpointInThread(runtime, logger, options.walCheckpoints);
    if (walCheckpoints) started.push(() => walCheckpoints.stop());
    const inThread = options.worker && (options.workerThread ?? (options.http !== false && runtime.storage.location !== ':memory:'));
    // Ingest commits and the worker thread's write transactions share one write lock: with both in this process, a
    // waiting ingest commit gets it next (docs/decisions/0020-write-turn-handoff.md).
    const writeTurn = inThread && options.http !== false && runtime.backend.kind === 'sqlite' ? SqliteWriteTurn.create() : undefined;
    const ingestWriter = await ingestOffTheHttpThread(runtime, config, options, logger, walCheckpoints, writeTurn);
    // The HTTP thread's own writes (operator actions, the payload purge, a token's use) take the turn too, on a side of
    // their own that raises its flag only after a write has waited a while, so they cannot lose every race for the lock
    // to a worker writing back to back (docs/decisions/0036). Without the ingest writer thread the HTTP thread commits
    // ingest batches itself and takes the ingest writer's side, which raises its flag at once.
    if (writeTurn && runtime.backend.kind === 'sqlite') useWriteTurn(runtime.backend.storage.database, ingestWriter ? new SqliteWriteTurn(writeTurn.buffer, 'http-thread') : writeTurn);
    if (ingestWriter) started.push(() => ingestWriter.stop());
    const app = buildHttpApp({
      runtime,
      ...(ingestWriter === undefined ? {} : { ingest: ingestWriter }),
      metrics,
      bodyLimitBytes: config.document.service.bodyLimitBytes,
      now: () => new Date(),
      isReady: () => ready,
    });
    started.push(() => app.close());
    const url = options.http === false ? '' : await app.listen({ port: options.port ?? config.document.service.port, host: options.host ?? config.document.service.host });
    const metricsServer = options.metricsPort === undefined ? undefined : await startMetricsServer(metrics, { host: options.host ?? config.document.service.host, port: options.metricsPort });
    if (metricsServer) started.push(() => metricsServer.close());
    const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const loopOptions = {
      workerId,
      visibilityMs: config.document.retry.visibilityTimeoutMs,
      realtimeConcurrency: config.document.lanes.realtime.concurrency,
      batchMaxSize: config.document.lanes.batch.maxSize,
      batchMaxAgeMs: config.document.lanes.batch.maxAgeMs,
      batchInFlight: config.document.lanes.batch.inFlight,
    };
    const workerThread = inThread
      ? await startWorkerThread({
          config,
          logger,
          ...(writeTurn === undefined ? {} : { writeTurn: writeTurn.buffer }),
          autoCheckpoint: walCheckpoints?.running !== true,
          onDeadLetter: (notice) => alerts.notify(notice),
          loop: loopOptions,
        })
      : undefined;
    if (workerThread) started.push(() => workerThread.stop());
    if (workerThread) metrics.addRemote(() => workerThread.metrics());
    if (workerThread) walCheckpoints?.onGone(() => workerThread.checkpointAutomatically());
    // A config reload (SIGHUP, POST /v1/config/reload) reaches the worker thread's own runtime too.
    if (workerThread) runtime.onReload((next) => workerThread.reload(next));
    const worker = options.worker && !inThread
      ? startWorkerLoop({ ...runtime.processorDeps, crm: timedCrmDestination(runtime.crm, metrics, () => performance.now()), batchCrm: timedCrmDestination(runtime.processorDeps.batchCrm ?? runtime.crm, metrics, () => performance.now()) }, {
          ...loopOptions,
          metrics,
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
      metrics,
      metricsUrl: metricsServer?.url ?? '',
      workerMode: workerThread ? 'thread' : worker ? 'event-loop' : 'none',
      workerThread,
      walCheckpoints,
      firstAdminToken: firstAdmin?.secret ?? null,
      async stop() {
        ready = false;
        await app.close();
        await ingestWriter?.stop();
        await metricsServer?.close();
        await worker?.stop();
        await workerThread?.stop();
        await walCheckpoints?.stop();
        await maintenance.stop();
        // After the worker: its last dead letters still alert. Bounded by the dispatcher's stop deadline.
        await alerts.stop();
        await runtime.close();
      },
    };
  } catch (error) {
    for (const close of started.reverse()) await close().catch(() => undefined);
    throw error;
  }
}
