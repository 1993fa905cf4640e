import type { Lane } from '../../ports/job-queue.js';
import type { PgClient, PgStatement } from './pg-database.js';

/** A job to enqueue for a stored event, behind any unfinished job of the same lead. */
export interface PgNewJob {
  readonly eventId: string;
  readonly leadKey: string;
  readonly lane: Lane;
  /** Enqueue time; the job is due from then on. */
  readonly at: Date;
}

/**
 * What the storage adapters need from the job queue (`pg-job-queue.ts`), all
 * inside the caller's transaction so an event and its job, or an outcome and
 * the job's completion, commit together. The queue module exports functions
 * of these names; `pg-storage.ts` wires them in, so the stores depend on this
 * shape only.
 */
export interface PgJobQueueTransactions {
  /** Enqueues jobs in order; returns their ids in the same order. */
  enqueueJobsInTransaction(client: PgClient, jobs: readonly PgNewJob[]): Promise<readonly string[]>;
  /**
   * `enqueueJobsInTransaction` in two parts, for a caller that enqueues in the
   * statement storing the events (ingest): the leads' locks, taken by a
   * statement of their own before it, …
   */
  lockLeadsInTransaction(client: PgClient, leadKeys: readonly string[]): Promise<void>;
  /**
   * … and the enqueue as SQL over `source`, a FROM item with the columns
   * `event_id`, `lead_key`, `lane`, `at`, `ord` (input order), returning `id`
   * and `event_id` (usable as a data-modifying `WITH` member).
   */
  enqueueJobsSql(source: string): string;
  /**
   * Completes (removes) a job claimed by `workerId`, releasing the lead's
   * next job. False, with nothing changed, when the job is gone or claimed by
   * another worker.
   */
  completeJobInTransaction(client: PgClient, jobId: string, workerId: string): Promise<boolean>;
  /**
   * `completeJobInTransaction` for many jobs in a fixed number of statements:
   * the ids completed; a job missing from the result is gone or held by another worker.
   */
  completeJobsInTransaction(client: PgClient, jobs: readonly { readonly id: string; readonly workerId: string }[]): Promise<ReadonlySet<string>>;
  /**
   * The statements of `completeJobsInTransaction`, for a caller sending them with others in one
   * message: the leads' locks, then the completion, whose rows' `id` are the jobs completed.
   * Undefined when there is nothing to run.
   */
  completeJobsStatements(jobs: readonly { readonly id: string; readonly workerId: string }[]): readonly [PgStatement, PgStatement] | undefined;
  /** Of `leadKeys`, the ones with an unfinished job (queued, claimed or waiting for a retry). */
  leadKeysWithUnfinishedJobs(client: PgClient, leadKeys: readonly string[]): Promise<ReadonlySet<string>>;
}
