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
  /**
   * Most jobs of one lead to hand out in this claim, so the batch lane can
   * coalesce a lead's updates into one write. (Default: 1 — one job per lead.)
   *
   * With n > 1: when the claim hands out a lead's first unfinished job (as it
   * would with 1), it also hands out the jobs of that lead that follow it in
   * enqueue order, one after another, and stops at the first that is
   * - in another lane, or
   * - not due at `now` (a retry not yet due, or a job still held by a claim
   *   that has not expired), or
   * - one too many: n jobs of the lead taken, or `limit` jobs taken in all.
   * No job is ever skipped: a lead's jobs in one result are consecutive and
   * start at its first unfinished job, so a job is still never handed out
   * while an earlier job of its lead is unfinished and held by anyone else.
   *
   * `limit` counts jobs, not leads. Leads are taken in the usual order (the
   * first job's due time, then enqueue order); a lead's run cut short by
   * `limit` leaves the rest for a later claim. Every job handed out gets this
   * claim (`workerId`, expiry `now + visibilityMs`, attempt + 1), and the
   * result lists them in enqueue order.
   *
   * The holder finishes a lead's jobs in enqueue order (settle the earlier
   * one first, or all in one `settleMany` in order). A later job it still
   * holds when the earlier one is retried stays claimed until it is settled,
   * retried, or its claim expires; it is not the lead's first job, so no
   * claim hands it out before the earlier one is finished. After the earlier
   * job is settled, the held job keeps its claim (it is handed out again only
   * when that claim expires, counting the attempt).
   */
  readonly consecutivePerLead?: number;
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
  /**
   * Hands out up to `limit` due jobs of a lane, oldest due first: one per lead,
   * or a lead's consecutive jobs with `consecutivePerLead`.
   */
  claim(request: ClaimRequest): Promise<readonly Job[]>;
  /** Releases a claimed job to run again at `runAt`. The attempt count moves on at the next claim. */
  retry(jobId: string, request: RetryRequest): Promise<RetryResult>;
  /** Unfinished jobs per lane (queued, claimed or waiting for a retry). */
  depth(): Promise<Readonly<Record<Lane, number>>>;
  /** Age of the oldest unfinished job per lane, by enqueue order; 0 for an empty lane. */
  oldestAgeMs(now: Date): Promise<Readonly<Record<Lane, number>>>;
}
