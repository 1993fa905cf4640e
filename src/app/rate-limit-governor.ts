import type { Lane } from '../core/mapping/mapping-types.js';
import { bucketShape } from '../core/rate-limit/token-bucket.js';
import type { CrmRateLimitStatus, CrmRecordFailure } from '../ports/crm-destination.js';
import type { RateLimitPolicy, RateLimitStatus, RateLimitStore } from '../ports/rate-limit-store.js';
import type { StructuredLogger } from '../ports/structured-logger.js';

export interface RateLimitGovernorOptions {
  /** The destination's name: its bucket in the store. */
  readonly destination: string;
  readonly store: RateLimitStore;
  /** The configured limit; replaced by the CRM's own figures when its headers give them. */
  readonly policy: RateLimitPolicy;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Pauses, 429 blocks and limit changes are logged here. (Default: none) */
  readonly logger?: StructuredLogger;
  /**
   * Longest a call waits for a token. A longer wait (a paused destination, a
   * long Retry-After) fails the call at once as retryable, so the job is
   * rescheduled instead of holding its claim. (Default: 10000)
   */
  readonly maxWaitMs?: number;
  /** How long calls are held after a 429 without Retry-After. (Default: 1000) */
  readonly defaultRetryAfterMs?: number;
}

/** The governor's view for operators (/readyz, `leadsync` status lines). */
export interface GovernorStatus extends RateLimitStatus {
  /** The limit enforced now: the configured one, or what the CRM's headers said. */
  readonly policy: RateLimitPolicy;
  /** The CRM's daily calls left, when its headers say. */
  readonly dailyRemaining: number | null;
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly failure: CrmRecordFailure };

/**
 * The rate-limit governor of one CRM destination. Every CRM call of the
 * worker asks it for a token first (through `GovernedDestination`), whichever
 * lane and process makes the call; the bucket lives in a `RateLimitStore`
 * shared by the processes. After each call it learns from the answer: the
 * CRM's rate-limit headers (remaining calls, the real limit), a 429 (no call
 * before Retry-After), a daily limit (the whole destination pauses).
 */
export class RateLimitGovernor {
  readonly destination: string;
  private policyNow: RateLimitPolicy;
  private dailyRemaining: number | null = null;
  private readonly maxWaitMs: number;
  private readonly defaultRetryAfterMs: number;
  private readonly waits: Record<Lane, { admitted: number; waitedMs: number }> = { realtime: { admitted: 0, waitedMs: 0 }, batch: { admitted: 0, waitedMs: 0 } };

  constructor(private readonly options: RateLimitGovernorOptions) {
    this.destination = options.destination;
    this.policyNow = options.policy;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1_000;
  }

  /** The limit enforced now. */
  get policy(): RateLimitPolicy {
    return this.policyNow;
  }

  /**
   * Waits for `cost` tokens of the lane's share. Resolves `ok: false` with a
   * retryable failure, without waiting, when the destination is paused or
   * blocked for longer than `maxWaitMs`.
   */
  async admit(lane: Lane, cost = 1): Promise<Admission> {
    let waited = 0;
    for (;;) {
      const now = this.options.now();
      const decision = await this.options.store.take({ destination: this.destination, lane, cost, now, policy: this.policyNow });
      if (decision.granted) {
        this.waits[lane].admitted += 1;
        this.waits[lane].waitedMs += waited;
        return { ok: true };
      }
      if (decision.reason === 'blocked' && waited + decision.waitMs > this.maxWaitMs) return { ok: false, failure: await this.refusal(now, decision.waitMs) };
      // Short waits are slept through; a bucket shared with other processes may be emptied meanwhile, so ask again.
      const wait = Math.min(decision.waitMs, this.maxWaitMs);
      waited += wait;
      await this.options.sleep(wait);
    }
  }

  private async refusal(now: Date, waitMs: number): Promise<CrmRecordFailure> {
    const status = await this.options.store.status(this.destination, now, this.policyNow);
    if (status.pause) {
      const pauseMs = Math.max(1, status.pause.until.getTime() - now.getTime());
      return { ok: false, code: 'CRM_DESTINATION_PAUSED', message: `destination ${this.destination} is paused until ${status.pause.until.toISOString()} (${status.pause.reason})`, retryable: true, retryAfterMs: pauseMs, pauseDestinationMs: pauseMs };
    }
    return { ok: false, code: 'CRM_RATE_LIMITED', message: `destination ${this.destination} holds calls for ${waitMs} ms after a 429`, retryable: true, retryAfterMs: waitMs };
  }

  /**
   * Learns from one call's results and the CRM's rate-limit headers.
   * Resolves `resend: true` when the CRM refused the whole call for its rate
   * limit (every result a 429 with a short Retry-After): nothing was written,
   * so the same call may go out again once admitted.
   */
  async learn(results: readonly ({ readonly ok: true } | CrmRecordFailure)[], headers: CrmRateLimitStatus | undefined): Promise<{ resend: boolean }> {
    const now = this.options.now();
    if (headers) await this.adapt(headers, now);
    const failures = results.filter((result): result is CrmRecordFailure => !result.ok);
    const pause = failures.find((failure) => failure.pauseDestinationMs !== undefined && failure.pauseDestinationMs > 0);
    if (pause?.pauseDestinationMs !== undefined) {
      const until = new Date(now.getTime() + pause.pauseDestinationMs);
      const reason = `${pause.code}: ${pause.message}`;
      await this.options.store.pause(this.destination, { until, now, reason, policy: this.policyNow });
      this.options.logger?.warn({ destination: this.destination, pausedUntil: until.toISOString(), code: pause.code, reason: pause.message }, 'CRM destination paused: no call goes out until the pause ends');
      return { resend: false };
    }
    const refusedWhole = results.length > 0 && failures.length === results.length && failures.every((failure) => failure.code === 'CRM_RATE_LIMITED');
    if (!refusedWhole) return { resend: false };
    const retryAfterMs = Math.max(...failures.map((failure) => failure.retryAfterMs ?? this.defaultRetryAfterMs));
    const until = new Date(now.getTime() + retryAfterMs);
    await this.options.store.block(this.destination, { until, now, policy: this.policyNow });
    this.options.logger?.info({ destination: this.destination, retryAfterMs, blockedUntil: until.toISOString() }, 'CRM rate limit hit (429): every call waits for Retry-After');
    return { resend: retryAfterMs <= this.maxWaitMs };
  }

  private async adapt(headers: CrmRateLimitStatus, now: Date): Promise<void> {
    if (headers.dailyRemaining !== undefined) this.dailyRemaining = headers.dailyRemaining;
    if (usable({ ...this.policyNow, requests: headers.max, intervalMs: headers.intervalMs }) && (headers.max !== this.policyNow.requests || headers.intervalMs !== this.policyNow.intervalMs)) {
      const previous = this.policyNow;
      this.policyNow = { ...previous, requests: headers.max, intervalMs: headers.intervalMs };
      this.options.logger?.info(
        { destination: this.destination, configured: `${previous.requests}/${previous.intervalMs}ms`, reported: `${headers.max}/${headers.intervalMs}ms` },
        'CRM reports a different rate limit than configured: following the CRM',
      );
    }
    if (Number.isFinite(headers.remaining) && headers.remaining >= 0) {
      await this.options.store.observe(this.destination, { remaining: headers.remaining, now, policy: this.policyNow });
    }
  }

  /** Calls admitted per lane in this process, and the time they spent waiting for tokens: is the CRM's limit what holds the work back? */
  waitTotals(): Readonly<Record<Lane, { readonly admitted: number; readonly waitedMs: number }>> {
    return { realtime: { ...this.waits.realtime }, batch: { ...this.waits.batch } };
  }

  /** How long the destination stays paused (0 when not paused): the worker claims nothing meanwhile. */
  async pausedForMs(): Promise<number> {
    const now = this.options.now();
    const status = await this.options.store.status(this.destination, now, this.policyNow);
    return status.pause ? Math.max(0, status.pause.until.getTime() - now.getTime()) : 0;
  }

  async status(): Promise<GovernorStatus> {
    const status = await this.options.store.status(this.destination, this.options.now(), this.policyNow);
    return { ...status, policy: this.policyNow, dailyRemaining: this.dailyRemaining };
  }
}

/** Whether a limit leaves a steady rate after its burst (figures from headers are not trusted blindly). */
function usable(policy: RateLimitPolicy): boolean {
  if (!Number.isFinite(policy.requests) || !Number.isFinite(policy.intervalMs)) return false;
  try {
    bucketShape(policy);
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}
