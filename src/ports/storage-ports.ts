import type { ApprovalStore } from './approval-store.js';
import type { AuditStore } from './audit-store.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { FieldStateStore } from './field-state-store.js';
import type { IngestStore } from './ingest-store.js';
import type { JobOutcomeStore } from './job-outcome-store.js';
import type { JobQueue } from './job-queue.js';

/** Every storage port, as one backend (SQLite, PostgreSQL) provides them over one database. */
export interface StoragePorts {
  readonly ingest: IngestStore;
  readonly jobs: JobQueue;
  readonly outcomes: JobOutcomeStore;
  readonly deadLetters: DeadLetterStore;
  readonly approvals: ApprovalStore;
  readonly audit: AuditStore;
  readonly fieldState: FieldStateStore;
  /** Closes the database connection(s); the ports must not be used afterwards. */
  close(): Promise<void>;
}
