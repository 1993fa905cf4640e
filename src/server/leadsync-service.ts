import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { openSqliteStorage, type SqliteStorage } from '../adapters/sqlite/sqlite-storage.js';
import { SandboxCrmDestination } from '../adapters/sandbox-crm/sandbox-crm-destination.js';
import type { IngestSource } from '../app/event-ingestion.js';
import type { JobProcessorDeps } from '../app/job-processor.js';
import { startWorkerLoop } from '../app/worker-loop.js';
import type { LoadedConfig } from '../config/config-loader.js';
import { planContextFor } from '../config/plan-context.js';
import type { PlanContext } from '../core/plan/event-plan-types.js';
import { buildHttpApp } from './http-app.js';

export interface ServiceOptions {
  readonly port?: number;
  readonly host?: string;
  readonly worker: boolean;
  readonly log: (line: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly storage: SqliteStorage;
  readonly app: FastifyInstance;
  /** Graceful stop: no new requests or claims, in-flight work finished, database closed. */
  stop(): Promise<void>;
}

/** The composition root: storage, CRM, HTTP and the worker, wired from one config. */
export async function startService(config: LoadedConfig, options: ServiceOptions): Promise<RunningService> {
  if (config.document.storage.url) throw new Error('storage.url (PostgreSQL) is not supported yet; remove it to use the SQLite file');
  if (config.document.destination.kind !== 'sandbox') throw new Error(`destination.kind ${config.document.destination.kind} is not supported yet; use sandbox`);

  const storage = openSqliteStorage({ file: config.document.storage.file, synchronous: config.document.storage.synchronous });
  const crm = new SandboxCrmDestination(storage.database, { schema: config.schema });
  const contexts = new Map<string, PlanContext>();
  const sources = new Map<string, IngestSource>();
  const matchFields = new Map<string, string>();
  for (const source of config.sources.values()) {
    const context = planContextFor(config, source);
    contexts.set(source.name, context);
    sources.set(source.name, {
      name: source.name,
      signature: source.config.signature,
      lane: source.config.lane,
      ...(source.config.eventTypePath === undefined ? {} : { eventTypePath: source.config.eventTypePath }),
      ...(source.config.lanesByEventType === undefined ? {} : { lanesByEventType: source.config.lanesByEventType }),
      context,
    });
    for (const object of source.mapping.objects) if (!matchFields.has(object.object)) matchFields.set(object.object, object.match);
  }

  let ready = false;
  const app = buildHttpApp({
    storage,
    crm,
    sources,
    matchFields,
    bodyLimitBytes: config.document.service.bodyLimitBytes,
    now: () => new Date(),
    isReady: () => ready,
  });
  const url = await app.listen({ port: options.port ?? config.document.service.port, host: options.host ?? config.document.service.host });

  const deps: JobProcessorDeps = {
    storage,
    crm,
    contextFor: (name) => contexts.get(name),
    retry: config.document.retry,
    now: () => new Date(),
    random: Math.random,
  };
  const worker = options.worker
    ? startWorkerLoop(deps, {
        workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        visibilityMs: config.document.retry.visibilityTimeoutMs,
        claimLimits: { realtime: config.document.lanes.realtime.concurrency, batch: config.document.lanes.batch.maxSize },
        onError: (error) => options.log(`worker error: ${error instanceof Error ? error.message : String(error)}`),
      })
    : undefined;
  ready = true;

  return {
    url,
    storage,
    app,
    async stop() {
      ready = false;
      await app.close();
      await worker?.stop();
      await storage.close();
    },
  };
}
