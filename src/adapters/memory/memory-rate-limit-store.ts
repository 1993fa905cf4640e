import { blockBucket, observeRemaining, peekBucket, takeTokens, type BucketState } from '../../core/rate-limit/token-bucket.js';
import type { DestinationPause, RateLimitPolicy, RateLimitStatus, RateLimitStore, TakeDecision, TakeRequest } from '../../ports/rate-limit-store.js';

/**
 * Token buckets in this process's memory: for a single worker process (the
 * embedded default runs one). Processes sharing a CRM need a shared store
 * (SQLite file, PostgreSQL).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, BucketState>();
  private readonly pauses = new Map<string, DestinationPause>();

  take(request: TakeRequest): Promise<TakeDecision> {
    const { state, decision } = takeTokens(this.buckets.get(request.destination), request.policy, request.lane, request.cost, request.now.getTime());
    this.buckets.set(request.destination, state);
    return Promise.resolve(decision);
  }

  block(destination: string, request: { until: Date; now: Date; policy: RateLimitPolicy }): Promise<void> {
    this.buckets.set(destination, blockBucket(this.buckets.get(destination), request.policy, request.until.getTime(), request.now.getTime()));
    return Promise.resolve();
  }

  pause(destination: string, request: { until: Date; now: Date; reason: string; policy: RateLimitPolicy }): Promise<void> {
    this.buckets.set(destination, blockBucket(this.buckets.get(destination), request.policy, request.until.getTime(), request.now.getTime()));
    const current = this.pauses.get(destination);
    const live = current !== undefined && current.until.getTime() > request.now.getTime();
    this.pauses.set(destination, {
      since: live ? current.since : request.now,
      until: live && current.until.getTime() > request.until.getTime() ? current.until : request.until,
      reason: request.reason,
    });
    return Promise.resolve();
  }

  observe(destination: string, request: { remaining: number; now: Date; policy: RateLimitPolicy }): Promise<void> {
    this.buckets.set(destination, observeRemaining(this.buckets.get(destination), request.policy, request.remaining, request.now.getTime()));
    return Promise.resolve();
  }

  status(destination: string, now: Date, policy: RateLimitPolicy): Promise<RateLimitStatus> {
    const state = peekBucket(this.buckets.get(destination), policy, now.getTime());
    const pause = this.pauses.get(destination);
    return Promise.resolve({
      destination,
      tokens: state.blockedUntilMs > now.getTime() ? 0 : state.tokens,
      blockedUntil: state.blockedUntilMs > now.getTime() ? new Date(state.blockedUntilMs) : null,
      pause: pause !== undefined && pause.until.getTime() > now.getTime() ? pause : null,
    });
  }
}
