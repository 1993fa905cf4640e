import type { StoragePorts } from '../../ports/storage-ports.js';
import type { StructuredLogger } from '../../ports/structured-logger.js';
import { PgApiTokenStore } from './pg-api-token-store.js';
import { PgApprovalStore } from './pg-approval-store.js';
import { PgAuditStore } from './pg-audit-store.js';
import { PgDashboardStatsStore } from './pg-dashboard-stats-store.js';
import { PgDatabase } from './pg-database.js';
import { PgDeadLetterStore } from './pg-dead-letter-store.js';
import { PgFieldStateStore } from './pg-field-state-store.js';
import { PgIngestStore } from './pg-ingest-store.js';
import { PgJobOutcomeStore } from './pg-job-outcome-store.js';
import { completeJobInTransaction, completeJobsInTransaction, completeJobsStatements, enqueueJobsInTransaction, enqueueJobsSql, leadKeysWithUnfinishedJobs, lockLeadsInTransaction, PgJobQueue } from './pg-job-queue.js';
import type { PgJobQueueTransactions } from './pg-job-queue-link.js';
import { loadPgMigrations, migratePostgres } from './pg-migrator.js';

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Schema for leadsync's tables; created when missing. (Default: the role's search_path, normally `public`) */
  readonly schema?: string;
  /** Most connections this process opens. (Default: 10) */
  readonly maxConnections?: number;
  /** Where pool errors are logged. (Default: stderr) */
  readonly logger?: StructuredLogger;
  /** Shown in `pg_stat_activity`. (Default: `leadsync`) */
  readonly applicationName?: string;
}

/** Every storage port over one PostgreSQL database. */
export interface PostgresStorage extends StoragePorts {
  readonly ingest: PgIngestStore;
  readonly jobs: PgJobQueue;
  readonly outcomes: PgJobOutcomeStore;
  readonly deadLetters: PgDeadLetterStore;
  readonly approvals: PgApprovalStore;
  readonly audit: PgAuditStore;
  readonly fieldState: PgFieldStateStore;
  /** API tokens of the HTTP API and dashboard. */
  readonly apiTokens: PgApiTokenStore;
  /** The dashboard's aggregate reads. */
  readonly dashboardStats: PgDashboardStatsStore;
  /** The pool, for the composition root to share (the sandbox CRM keeps its tables in the same schema). */
  readonly database: PgDatabase;
}

/**
 * Connects, applies pending migrations (safe with several processes starting
 * at once) and wires every port to one pool. Rejects, with the pool closed,
 * when the database cannot be reached or migrated.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const database = new PgDatabase({
    url: options.url,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.applicationName === undefined ? {} : { applicationName: options.applicationName }),
  });
  try {
    await migratePostgres(database, loadPgMigrations());
  } catch (error) {
    await database.close();
    throw error;
  }
  const queue: PgJobQueueTransactions = { enqueueJobsInTransaction, lockLeadsInTransaction, enqueueJobsSql, completeJobInTransaction, completeJobsInTransaction, completeJobsStatements, leadKeysWithUnfinishedJobs };
  const jobs = new PgJobQueue(database);
  const audit = new PgAuditStore(database);
  const fieldState = new PgFieldStateStore(database);
  const deadLetters = new PgDeadLetterStore(database, queue, audit);
  const approvals = new PgApprovalStore(database, audit, fieldState);
  return {
    database,
    jobs,
    audit,
    fieldState,
    deadLetters,
    approvals,
    ingest: new PgIngestStore(database, queue),
    outcomes: new PgJobOutcomeStore(database, { queue, audit, deadLetters, approvals, fieldState }),
    apiTokens: new PgApiTokenStore(database),
    dashboardStats: new PgDashboardStatsStore(database, jobs, approvals),
    close: () => database.close(),
  };
}
