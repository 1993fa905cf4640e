/** Processing lanes: `realtime` (one small CRM call, at once) and `batch` (coalesced, CRM batch APIs). */
export { LANES, type Lane } from '../core/mapping/mapping-types.js';
import type { Lane } from '../core/mapping/mapping-types.js';

/** A unit of work: process one stored event. */
export interface Job {
  readonly id: string;
  readonly eventId: string;
  readonly leadKey: string;
  readonly lane: Lane;
  /**
   * Number of times the job has been handed out, this claim included (1 on the
   * first try). A reclaim after an expired visibility timeout counts: the dead
   * worker may have called the CRM, and a job that kills its worker must run
   * out of attempts instead of looping.
   */
  readonly attempt: number;
  readonly enqueuedAt: Date;
  /** When the job became (or becomes) due: enqueue time, or the retry time. */
  readonly runAt: Date;
  /** Error recorded by the last `retry`, for the next attempt's logs and the DLQ trace. */
  readonly lastError: string | null;
}

export interface ClaimRequest {
  readonly lane: Lane;
  /** Most jobs to hand out. */
  readonly limit: number;
  /** Who holds the claim; settle and retry must present the same id. */
  readonly workerId: string;
  readonly now: Date;
  /** How long the claim lasts; after it the job is handed out again (the worker is presumed dead). */
  readonly visibilityMs: number;
}

export interface RetryRequest {
  /** The worker holding the claim. */
  readonly workerId: string;
  /** When the job is due again (backoff, Retry-After). */
  readonly runAt: Date;
  /** What went wrong, kept as `lastError`. No raw PII. */
  readonly error: string;
}

export type RetryResult =
  | { readonly status: 'scheduled'; readonly runAt: Date }
  /** The job is gone or another worker holds it now (our claim expired); nothing was changed. */
  | { readonly status: 'lost_claim' };

/**
 * The durable work queue. Jobs are enqueued by the ingest store (atomically
 * with the event) and by DLQ replay; they are completed through the job
 * outcome store, atomically with their audit entries.
 *
 * Ordering: a job is never handed out while an earlier job (by enqueue
 * order) of the same lead key is unfinished — queued, claimed or waiting for
 * a retry — whatever the lanes of the two jobs.
 */
export interface JobQueue {
  /** Hands out up to `limit` due jobs of a lane, oldest due first. */
  claim(request: ClaimRequest): Promise<readonly Job[]>;
  /** Releases a claimed job to run again at `runAt`. The attempt count moves on at the next claim. */
  retry(jobId: string, request: RetryRequest): Promise<RetryResult>;
  /** Unfinished jobs per lane (queued, claimed or waiting for a retry). */
  depth(): Promise<Readonly<Record<Lane, number>>>;
  /** Age of the oldest unfinished job per lane, by enqueue order; 0 for an empty lane. */
  oldestAgeMs(now: Date): Promise<Readonly<Record<Lane, number>>>;
}
