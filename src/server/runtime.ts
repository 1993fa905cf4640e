import { openSqliteStorage, type SqliteStorage } from '../adapters/sqlite/sqlite-storage.js';
import { SandboxCrmDestination } from '../adapters/sandbox-crm/sandbox-crm-destination.js';
import type { IngestSource } from '../app/event-ingestion.js';
import type { JobProcessorDeps } from '../app/job-processor.js';
import type { LoadedConfig, RuntimeSource } from '../config/config-loader.js';
import { planContextFor } from '../config/plan-context.js';
import type { PlanContext } from '../core/plan/event-plan-types.js';
import type { CrmDestination } from '../ports/crm-destination.js';

/**
 * Everything a process needs to act on one config: storage, the CRM, and
 * per-source planning contexts. The service, the worker and the CLI commands
 * that read or change stored state (dlq, approvals, audit, ingest) open one.
 */
export interface Runtime {
  readonly config: LoadedConfig;
  readonly storage: SqliteStorage;
  readonly crm: CrmDestination;
  readonly contexts: ReadonlyMap<string, PlanContext>;
  readonly sources: ReadonlyMap<string, IngestSource>;
  /** CRM object → the field its records are matched on. */
  readonly matchFields: ReadonlyMap<string, string>;
  /** Dependencies of the job processor, with the system clock and Math.random. */
  readonly processorDeps: JobProcessorDeps;
  close(): Promise<void>;
}

/** How a process that is not the service opens the runtime. */
export interface RuntimeOptions {
  /** SQLite page cache in KiB; `leadsync ingest` keeps it small to keep its memory flat. (Default: the storage adapter's, 64 MiB) */
  readonly sqliteCacheKiB?: number;
}

export function openRuntime(config: LoadedConfig, options: RuntimeOptions = {}): Runtime {
  if (config.document.storage.url) throw new Error('storage.url (PostgreSQL) is not supported yet; remove it to use the SQLite file');
  if (config.document.destination.kind !== 'sandbox') throw new Error(`destination.kind ${config.document.destination.kind} is not supported yet; use sandbox`);

  const storage = openSqliteStorage({
    file: config.document.storage.file,
    synchronous: config.document.storage.synchronous,
    ...(options.sqliteCacheKiB === undefined ? {} : { cacheSizeKiB: options.sqliteCacheKiB }),
  });
  const crm = new SandboxCrmDestination(storage.database, { schema: config.schema });
  const contexts = new Map<string, PlanContext>();
  const sources = new Map<string, IngestSource>();
  const matchFields = new Map<string, string>();
  for (const source of config.sources.values()) {
    const context = planContextFor(config, source);
    contexts.set(source.name, context);
    sources.set(source.name, ingestSourceFor(config, source, context));
    for (const object of source.mapping.objects) if (!matchFields.has(object.object)) matchFields.set(object.object, object.match);
  }
  return {
    config,
    storage,
    crm,
    contexts,
    sources,
    matchFields,
    processorDeps: {
      storage,
      crm,
      contextFor: (name) => contexts.get(name),
      retry: config.document.retry,
      now: () => new Date(),
      random: Math.random,
    },
    close: () => storage.close(),
  };
}

/**
 * A configured source as ingestion sees it. Also for clients that need no
 * storage: `leadsync demo` derives the lead keys the service will use.
 */
export function ingestSourceFor(config: LoadedConfig, source: RuntimeSource, context: PlanContext = planContextFor(config, source)): IngestSource {
  return {
    name: source.name,
    signature: source.config.signature,
    lane: source.config.lane,
    ...(source.config.eventTypePath === undefined ? {} : { eventTypePath: source.config.eventTypePath }),
    ...(source.config.lanesByEventType === undefined ? {} : { lanesByEventType: source.config.lanesByEventType }),
    context,
  };
}
