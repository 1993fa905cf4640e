/** Retry settings (config `retry`). */
export interface RetryPolicy {
  /** Retries of a transient failure before the event is dead-lettered. (Default: 3) */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'dead_letter'; readonly why: 'permanent' | 'exhausted' };

/**
 * What to do after attempt number `attempt` (1 = first try) failed.
 * Transient failures are retried up to `maxRetries` times with exponential
 * backoff and full jitter (delay drawn from [0, min(max, base·2^(n-1))]), and
 * never sooner than the CRM's Retry-After. `random` is injected so tests and
 * the pure core stay deterministic.
 */
export function decideRetry(
  failure: { readonly retryable: boolean; readonly retryAfterMs?: number },
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (!failure.retryable) return { kind: 'dead_letter', why: 'permanent' };
  if (attempt > policy.maxRetries) return { kind: 'dead_letter', why: 'exhausted' };
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return { kind: 'retry', delayMs: Math.max(jittered, failure.retryAfterMs ?? 0) };
}
