import type { Lane } from '../core/mapping/mapping-types.js';
import type { RateLimitPolicy, TakeDecision } from '../core/rate-limit/token-bucket.js';

export type { RateLimitPolicy, TakeDecision };

/** One request for tokens of a destination's bucket. */
export interface TakeRequest {
  /** The destination's name; one bucket per name, whichever process asks. */
  readonly destination: string;
  readonly lane: Lane;
  /** Tokens the call costs (one per CRM request). */
  readonly cost: number;
  readonly now: Date;
  /** The limit to enforce. Passed on every call, so processes with a changed config converge at once. */
  readonly policy: RateLimitPolicy;
}

/** Why a destination is paused, and until when. */
export interface DestinationPause {
  readonly until: Date;
  readonly since: Date;
  /** Error code and message of the failure that paused it (no PII). */
  readonly reason: string;
}

/** A destination's bucket as operators see it (/readyz, logs). */
export interface RateLimitStatus {
  readonly destination: string;
  /** Tokens in the bucket now, after refill. */
  readonly tokens: number;
  /** No call goes out before this time (Retry-After or pause); null when calls may go out. */
  readonly blockedUntil: Date | null;
  /** Set while the destination is paused (daily limit exhausted), until the pause ends. */
  readonly pause: DestinationPause | null;
}

/**
 * Token buckets of CRM destinations, shared by every worker process that
 * writes to the same CRM (the CRM counts all of them against one limit).
 * Each call is atomic: two processes never both take the last token. The
 * bucket arithmetic is the core's (src/core/rate-limit/token-bucket.ts);
 * stores only keep the state.
 *
 * Adapters: in-memory (one process), SQLite (processes sharing the file).
 * A PostgreSQL adapter must pass the same contract suite
 * (test/contract/rate-limit-store.contract.ts).
 */
export interface RateLimitStore {
  /** Takes tokens for one call, or says how long to wait before asking again. */
  take(request: TakeRequest): Promise<TakeDecision>;
  /** No token before `until` (a 429's Retry-After); the bucket restarts empty then. Never shortens an existing block. */
  block(destination: string, request: { readonly until: Date; readonly now: Date; readonly policy: RateLimitPolicy }): Promise<void>;
  /** Blocks until `until` and records why, for status: the daily limit is used up. */
  pause(destination: string, request: { readonly until: Date; readonly now: Date; readonly reason: string; readonly policy: RateLimitPolicy }): Promise<void>;
  /** The CRM reported how many calls it still allows in its window: the bucket keeps no more than that. */
  observe(destination: string, request: { readonly remaining: number; readonly now: Date; readonly policy: RateLimitPolicy }): Promise<void>;
  status(destination: string, now: Date, policy: RateLimitPolicy): Promise<RateLimitStatus>;
}
