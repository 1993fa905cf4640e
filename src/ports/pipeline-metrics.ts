import type { ErrorCode } from '../core/errors/error-codes.js';
import type { CrmRateLimitStatus } from './crm-destination.js';
import type { Lane } from './job-queue.js';

/** What happened to one delivery at ingest (the HTTP answer: 202, 200, 409, 4xx). */
export const INGEST_OUTCOMES = ['queued', 'duplicate', 'conflict', 'rejected'] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

/** How the worker finished with one claimed job. */
export const JOB_RESULTS = [
  /** Settled without a DLQ item: written, no change, stale, pending approval. */
  'completed',
  /** Settled with a DLQ item (permanent failure, partial rejection, retries exhausted). */
  'dead_lettered',
  /** A transient CRM failure; the job runs again after a backoff. */
  'retry_scheduled',
  /** Our claim expired while we worked; another worker owns the job now. */
  'lost_claim',
  /** Processing threw (a bug or the database); the claim expires and the job is handed out again. */
  'error',
] as const;
export type JobResult = (typeof JOB_RESULTS)[number];

/** The CrmDestination calls that are timed. */
export const CRM_OPERATIONS = ['describe', 'read', 'upsert'] as const;
export type CrmOperation = (typeof CRM_OPERATIONS)[number];

/**
 * The outcome class of one CRM call. The port reports per-record results,
 * not HTTP statuses, so the class says what the records got: all ok, some
 * failed, or a transient (429, 5xx, timeout) / permanent (4xx, validation)
 * failure of every record; `error` when the call threw.
 */
export const CRM_STATUS_CLASSES = ['ok', 'partial', 'transient', 'permanent', 'error'] as const;
export type CrmStatusClass = (typeof CRM_STATUS_CLASSES)[number];

/**
 * Counters and timings the pipeline reports as it runs. Every label value is
 * from a bounded set: a configured source name, a lane, an outcome, an error
 * code of the registry, a destination name. Never a lead key, an email, an
 * event or record id: those would make one time series per lead.
 */
export interface PipelineMetrics {
  /** One delivery to a source answered; `code` for conflicts and rejections. */
  eventIngested(source: string, outcome: IngestOutcome, code?: ErrorCode): void;
  /** One claimed job finished by the worker. */
  jobProcessed(lane: Lane, result: JobResult): void;
  /** A job was scheduled to run again after a transient failure with this code. */
  jobRetried(lane: Lane, code: ErrorCode): void;
  /** A job ended in the dead-letter queue with this code. */
  jobDeadLettered(lane: Lane, code: ErrorCode): void;
  /** One call to the CRM, with its duration. */
  crmRequest(destination: string, operation: CrmOperation, status: CrmStatusClass, seconds: number): void;
}

/** Records nothing: the default where no metrics are wanted (tests, CLI commands). */
export const noPipelineMetrics: PipelineMetrics = {
  eventIngested: () => undefined,
  jobProcessed: () => undefined,
  jobRetried: () => undefined,
  jobDeadLettered: () => undefined,
  crmRequest: () => undefined,
};

/**
 * Values read from storage (and the CRM) when metrics are scraped, not
 * counted as events happen: they are true however many processes work on
 * the same database.
 */
export interface PipelineGaugeSource {
  /** Unfinished jobs per lane. */
  queueDepth(): Promise<Readonly<Record<Lane, number>>>;
  /** Age of the oldest unfinished job per lane, in milliseconds (0 when empty). */
  oldestJobAgeMs(): Promise<Readonly<Record<Lane, number>>>;
  /** Open DLQ items per error code. */
  openDeadLetters(): Promise<readonly { readonly code: ErrorCode; readonly count: number }[]>;
  /** Approval items waiting for a person. */
  pendingApprovals(): Promise<number>;
  /** The destination's rate-limit budget, when it reports one (`CrmDestination.rateLimitStatus`). (Default: none) */
  rateLimit?(): CrmRateLimitStatus | undefined;
}
