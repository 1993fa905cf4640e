import type BetterSqlite3 from 'better-sqlite3';
import { redactPgUrl } from '../adapters/postgres/pg-connection-errors.js';
import { openPostgresStorage, type PostgresStorage } from '../adapters/postgres/pg-storage.js';
import { PgRateLimitStore } from '../adapters/postgres/pg-rate-limit-store.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/sqlite/sqlite-storage.js';
import { SqliteRateLimitStore } from '../adapters/sqlite/sqlite-rate-limit-store.js';
import type { RateLimitGovernor } from '../app/rate-limit-governor.js';
import type { IngestSource } from '../app/event-ingestion.js';
import type { JobProcessorDeps } from '../app/job-processor.js';
import type { LoadedConfig, RuntimeSource } from '../config/config-loader.js';
import { LeadsyncError } from '../core/errors/error-codes.js';
import { planContextFor } from '../config/plan-context.js';
import type { PlanContext } from '../core/plan/event-plan-types.js';
import type { ApiTokenStore } from '../ports/api-token-store.js';
import type { CrmDestination } from '../ports/crm-destination.js';
import type { DashboardStatsStore } from '../ports/dashboard-stats-store.js';
import type { StoragePorts } from '../ports/storage-ports.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import type { StructuredLogger } from '../ports/structured-logger.js';
import { buildCrmDestination, governDestination } from './crm-destination-factory.js';

/**
 * Everything a process needs to act on one config: storage, the CRM, and
 * per-source planning contexts. The service, the worker and the CLI commands
 * that read or change stored state (dlq, approvals, audit, ingest) open one.
 */
export interface Runtime {
  readonly config: LoadedConfig;
  readonly storage: RuntimeStorage;
  /** The backend behind `storage`, for the few places that must know it (tests, inspection). */
  readonly backend: StorageBackend;
  /** The CRM as the realtime lane (and operator reads) call it: through the rate-limit governor when the destination has one. */
  readonly crm: CrmDestination;
  /** The CRM adapter itself, ungoverned: for `describe` (schema pull, check --live). */
  readonly rawCrm: CrmDestination;
  /** The destination's rate-limit governor; undefined for a sandbox without `destination.rateLimit`. */
  readonly governor: RateLimitGovernor | undefined;
  readonly contexts: ReadonlyMap<string, PlanContext>;
  readonly sources: ReadonlyMap<string, IngestSource>;
  /** CRM object → the field its records are matched on. */
  readonly matchFields: ReadonlyMap<string, string>;
  /** Dependencies of the job processor, with the system clock and Math.random. */
  readonly processorDeps: JobProcessorDeps;
  /**
   * Swaps in a newly loaded config's sources, mappings, policies and
   * normalizers (the maps above are refilled in place, so every holder sees
   * them). Storage, destination, service, retry and lane settings need a
   * restart; `config` then still reports them as loaded at start.
   */
  reload(config: LoadedConfig): void;
  /** Calls `listener` after every `reload` (the service forwards the config to its worker thread). */
  onReload(listener: (config: LoadedConfig) => void): void;
  close(): Promise<void>;
}

/** Every storage port the service uses, whichever backend provides them. */
export type RuntimeStorage = StoragePorts & {
  readonly apiTokens: ApiTokenStore;
  readonly dashboardStats: DashboardStatsStore;
  /** Where the data lives, for people: the SQLite file (`:memory:` for a throwaway one) or the PostgreSQL URL without its password. */
  readonly location: string;
};

export type StorageBackend = { readonly kind: 'sqlite'; readonly storage: SqliteStorage } | { readonly kind: 'postgres'; readonly storage: PostgresStorage };

/** How a process that is not the service opens the runtime. */
export interface RuntimeOptions {
  /** SQLite page cache in KiB; `leadsync ingest` keeps it small to keep its memory flat. (Default: the storage adapter's, 64 MiB) */
  readonly sqliteCacheKiB?: number;
  /** Where the rate-limit buckets live. (Default: the SQLite file, shared by every process opening it) */
  readonly rateLimitStore?: RateLimitStore;
  /** Wraps the rate-limit store the governor uses (the worker thread gates its writes for the ingest writer's turn). (Default: none) */
  readonly wrapRateLimitStore?: (store: RateLimitStore) => RateLimitStore;
  /** Rate-limit pauses and 429 blocks are logged here. (Default: none) */
  readonly logger?: StructuredLogger;
  /** HTTP for the HubSpot and Salesforce adapters. (Default: the global fetch) */
  readonly fetch?: typeof fetch;
  /** Environment read for DATABASE_URL. (Default: process.env) */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The PostgreSQL URL storage uses, if any: `storage.url` from the config first, else DATABASE_URL; undefined means the SQLite file. */
export function postgresUrlOf(config: LoadedConfig, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const configured = config.document.storage.url;
  const url = configured !== undefined && configured !== '' ? configured : env['DATABASE_URL'];
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    const from = configured !== undefined && configured !== '' ? `storage.url in ${config.file}` : 'DATABASE_URL';
    throw new LeadsyncError('CONFIG_INVALID', `${from} must be a postgres:// or postgresql:// URL (got "${url.replace(/\/\/[^@/]*@/, '//…@')}")`);
  }
  return url;
}

async function openStorage(config: LoadedConfig, options: RuntimeOptions): Promise<{ storage: RuntimeStorage; backend: StorageBackend }> {
  const url = postgresUrlOf(config, options.env);
  if (url !== undefined) {
    const postgres = await openPostgresStorage({ url, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    return { storage: { ...postgres, location: redactPgUrl(url) }, backend: { kind: 'postgres', storage: postgres } };
  }
  const sqlite = openSqliteStorage({
    file: config.document.storage.file,
    synchronous: config.document.storage.synchronous,
    ...(options.sqliteCacheKiB === undefined ? {} : { cacheSizeKiB: options.sqliteCacheKiB }),
  });
  return { storage: { ...sqlite, location: sqlite.file }, backend: { kind: 'sqlite', storage: sqlite } };
}

/** The SQLite connection of a runtime on the embedded backend; throws on PostgreSQL. */
export function sqliteDatabaseOf(runtime: Runtime): BetterSqlite3.Database {
  if (runtime.backend.kind !== 'sqlite') throw new Error('this runtime stores in PostgreSQL, not SQLite');
  return runtime.backend.storage.database;
}

/**
 * Opens storage (PostgreSQL when `storage.url` or DATABASE_URL gives a
 * postgres:// URL, `storage.url` first; else the SQLite file), the CRM and
 * the per-source planning contexts.
 */
export async function openRuntime(config: LoadedConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const { storage, backend } = await openStorage(config, options);
  const clock = { now: () => new Date() };
  const rawCrm = buildCrmDestination(config.document.destination, { configFile: config.file, schema: config.schema, ...(backend.kind === 'sqlite' ? { database: backend.storage.database } : { postgresPool: backend.storage.database.pool }), clock, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) });
  const lanes = governDestination(rawCrm, config, {
    store: (options.wrapRateLimitStore ?? ((store: RateLimitStore) => store))(
      options.rateLimitStore ?? (backend.kind === 'sqlite' ? new SqliteRateLimitStore(backend.storage.database) : new PgRateLimitStore(backend.storage.database)),
    ),
    clock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const crm = lanes.realtime;
  const contexts = new Map<string, PlanContext>();
  const sources = new Map<string, IngestSource>();
  const matchFields = new Map<string, string>();
  let current = config;
  const reloadListeners: ((config: LoadedConfig) => void)[] = [];
  const index = (loaded: LoadedConfig): void => {
    contexts.clear();
    sources.clear();
    matchFields.clear();
    for (const source of loaded.sources.values()) {
      const context = planContextFor(loaded, source);
      contexts.set(source.name, context);
      sources.set(source.name, ingestSourceFor(loaded, source, context));
      for (const object of source.mapping.objects) if (!matchFields.has(object.object)) matchFields.set(object.object, object.match);
    }
    current = loaded;
  };
  index(config);
  return {
    get config() {
      return current;
    },
    reload: (loaded) => {
      index(loaded);
      for (const listener of reloadListeners) listener(loaded);
    },
    onReload: (listener) => {
      reloadListeners.push(listener);
    },
    storage,
    backend,
    crm,
    rawCrm,
    governor: lanes.governor,
    contexts,
    sources,
    matchFields,
    processorDeps: {
      storage,
      crm,
      batchCrm: lanes.batch,
      ...(lanes.governor === undefined ? {} : { destinationPausedForMs: lanes.governor.pausedForMs.bind(lanes.governor) }),
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
