import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type { StoragePorts } from '../../ports/storage-ports.js';
import { SqliteApiTokenStore } from './sqlite-api-token-store.js';
import { SqliteApprovalStore } from './sqlite-approval-store.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { SqliteDashboardStatsStore } from './sqlite-dashboard-stats-store.js';
import { SqliteDeadLetterStore } from './sqlite-dead-letter-store.js';
import { SqliteFieldStateStore } from './sqlite-field-state-store.js';
import { SqliteIngestStore } from './sqlite-ingest-store.js';
import { SqliteJobOutcomeStore } from './sqlite-job-outcome-store.js';
import { SqliteJobQueue } from './sqlite-job-queue.js';
import { loadMigrations, migrate } from './sqlite-migrator.js';
import { sqliteOpenError } from './sqlite-open-errors.js';

/**
 * How hard SQLite pushes each commit to disk (WAL mode):
 * - `full`: the WAL is fsynced at every commit. A commit that returned
 *   survives a process kill, an OS crash and a power loss.
 * - `normal`: the WAL is fsynced only at checkpoints. A commit survives a
 *   process kill (it is in the OS page cache), but an OS crash or power loss
 *   can roll back the last commits. The database is never corrupted either way.
 */
export const SYNCHRONOUS_MODES = ['normal', 'full'] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

/** Where the embedded database lives when no file is given. */
export const DEFAULT_SQLITE_FILE = './data/leadsync.db';

export interface SqliteStorageOptions {
  /** Database file; its directory is created. `:memory:` for a throwaway database. (Default: `./data/leadsync.db`) */
  readonly file?: string;
  /**
   * (Default: `full`) because ingest answers 202 only after a durable commit,
   * and "durable" should include a power loss. Choose `normal` where losing
   * the last moments of accepted events on an OS crash is acceptable.
   */
  readonly synchronous?: SynchronousMode;
  /** How long a write waits for another process's write lock before failing with SQLITE_BUSY. (Default: 5000) */
  readonly busyTimeoutMs?: number;
  /**
   * Page cache of this connection in KiB. A process that only appends events
   * (`leadsync ingest`) needs little and keeps its memory small with less. (Default: 65536)
   */
  readonly cacheSizeKiB?: number;
}

/** Every storage port over one SQLite connection. */
export interface SqliteStorage extends StoragePorts {
  readonly ingest: SqliteIngestStore;
  readonly jobs: SqliteJobQueue;
  readonly outcomes: SqliteJobOutcomeStore;
  readonly deadLetters: SqliteDeadLetterStore;
  readonly approvals: SqliteApprovalStore;
  readonly audit: SqliteAuditStore;
  readonly fieldState: SqliteFieldStateStore;
  /** API tokens of the HTTP API and dashboard. */
  readonly apiTokens: SqliteApiTokenStore;
  /** The dashboard's aggregate reads. */
  readonly dashboardStats: SqliteDashboardStatsStore;
  /** Absolute path of the database file (or `:memory:`). */
  readonly file: string;
  /** The connection, for the composition root to share (the sandbox CRM keeps its tables in the same file). */
  readonly database: BetterSqlite3.Database;
}

/**
 * Opens (creating if needed) the database, applies pending migrations and
 * wires every port to one connection. Re-opening a migrated file applies nothing.
 * A place the file cannot be created or written in throws `STORAGE_FILE_UNUSABLE`,
 * a full disk `STORAGE_DISK_FULL` (sqlite-open-errors.ts).
 */
export function openSqliteStorage(options: SqliteStorageOptions = {}): SqliteStorage {
  const synchronous = options.synchronous ?? 'full';
  if (!SYNCHRONOUS_MODES.includes(synchronous)) throw new RangeError(`synchronous must be one of ${SYNCHRONOUS_MODES.join(', ')}`);
  const requested = options.file ?? DEFAULT_SQLITE_FILE;
  const file = requested === ':memory:' ? requested : resolve(requested);
  let db: BetterSqlite3.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw sqliteOpenError(error, file) ?? error;
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    db.pragma('foreign_keys = ON');
    // 64 MiB of page cache (SQLite's default is 2 MiB): the audit indexes of a
    // million-row log stay in memory, so appends do not thrash the disk.
    db.pragma(`cache_size = -${Math.max(1, Math.floor(options.cacheSizeKiB ?? 65536))}`);
    migrate(db, loadMigrations());
  } catch (error) {
    db.close();
    throw sqliteOpenError(error, file) ?? error;
  }

  const jobs = new SqliteJobQueue(db);
  const audit = new SqliteAuditStore(db);
  const fieldState = new SqliteFieldStateStore(db);
  const deadLetters = new SqliteDeadLetterStore(db, jobs, audit);
  const approvals = new SqliteApprovalStore(db, audit, fieldState);
  return {
    file,
    database: db,
    jobs,
    audit,
    fieldState,
    deadLetters,
    approvals,
    ingest: new SqliteIngestStore(db, jobs),
    outcomes: new SqliteJobOutcomeStore(db, { jobs, audit, deadLetters, approvals, fieldState }),
    apiTokens: new SqliteApiTokenStore(db),
    dashboardStats: new SqliteDashboardStatsStore(db, approvals),
    close: () =>
      new Promise<void>((resolveClose) => {
        if (db.open) db.close();
        resolveClose();
      }),
  };
}
