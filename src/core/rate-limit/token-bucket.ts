import type { Lane } from '../mapping/mapping-types.js';

/**
 * A CRM's rate limit as the governor enforces it: at most `requests` calls in
 * any rolling window of `intervalMs` (HubSpot: 190 per 10 s; a rolling
 * window, shared by every process of one app).
 */
export interface RateLimitPolicy {
  /** Calls the CRM allows in any window of `intervalMs`. */
  readonly requests: number;
  readonly intervalMs: number;
  /** Share (0..1) of the bucket the batch lane may never take, so a backfill cannot use up the realtime lane's tokens. */
  readonly realtimeReserve: number;
  /** Share (0..1) of `requests` the bucket holds: how many calls may go out back to back. */
  readonly burst: number;
  /** Share (0..1) of `requests` left unused, a margin for clock skew and the CRM counting by arrival time. */
  readonly headroom: number;
}

/** Bucket state, stored between calls (and between processes, by a rate-limit store). */
export interface BucketState {
  /** Tokens in the bucket at `updatedAtMs` (fractional: refill is continuous). */
  readonly tokens: number;
  readonly updatedAtMs: number;
  /** No token is handed out before this time (a 429's Retry-After, a paused destination). 0 when not blocked. */
  readonly blockedUntilMs: number;
}

export type TakeDecision =
  | { readonly granted: true }
  /** Ask again in `waitMs`; another lane or process may take the tokens first. */
  | { readonly granted: false; readonly waitMs: number; readonly reason: 'no_tokens' | 'blocked' };

/** The numbers a policy comes down to. */
export interface BucketShape {
  /** Most tokens the bucket holds. */
  readonly capacity: number;
  /** Tokens added per millisecond. */
  readonly refillPerMs: number;
  /** Tokens the batch lane must leave in the bucket. */
  readonly reserve: number;
}

/**
 * Shapes the bucket so that no rolling window of `intervalMs` ever sees more
 * than `requests × (1 − headroom)` grants: a full bucket (`capacity`) plus one
 * interval of refill stays within that, so `capacity + refill × interval =
 * requests × (1 − headroom)`. A small burst therefore leaves most of the limit
 * to the steady rate. Throws on a policy that leaves no room for a refill.
 */
export function bucketShape(policy: RateLimitPolicy): BucketShape {
  const usable = policy.requests * (1 - policy.headroom);
  // With a reserve the bucket holds at least two tokens: one the batch lane may take, one it may not.
  const capacity = Math.max(policy.realtimeReserve > 0 ? 2 : 1, Math.floor(policy.requests * policy.burst));
  const refill = usable - capacity;
  if (!(refill > 0) || !(policy.intervalMs > 0)) {
    throw new RangeError(`rate limit ${policy.requests}/${policy.intervalMs} ms leaves no steady rate after a burst of ${capacity} and headroom ${policy.headroom}`);
  }
  // The reserve is at least one whole token when asked for at all, so the realtime lane always finds one,
  // and leaves at least one to the batch lane, which would otherwise never run.
  const reserve = policy.realtimeReserve > 0 ? Math.min(capacity - 1, Math.max(1, capacity * policy.realtimeReserve)) : 0;
  return { capacity, refillPerMs: refill / policy.intervalMs, reserve };
}

/** A full bucket at `nowMs`: the state of a destination nothing has called yet. */
export function freshBucket(policy: RateLimitPolicy, nowMs: number): BucketState {
  return { tokens: bucketShape(policy).capacity, updatedAtMs: nowMs, blockedUntilMs: 0 };
}

function refilled(state: BucketState, shape: BucketShape, nowMs: number): BucketState {
  // A clock that went backwards (another process's clock) adds nothing rather than taking tokens away.
  const elapsed = Math.max(0, nowMs - state.updatedAtMs);
  const tokens = Math.min(shape.capacity, state.tokens + elapsed * shape.refillPerMs);
  return { tokens, updatedAtMs: Math.max(nowMs, state.updatedAtMs), blockedUntilMs: state.blockedUntilMs };
}

// Refill arithmetic in floating point: accept a grant this close to whole.
const EPSILON = 1e-9;

/**
 * Takes `cost` tokens for one call of a lane, or says how long to wait. The
 * realtime lane may empty the bucket; the batch lane must leave `reserve`
 * tokens in it. Because a waiting batch call needs the reserve refilled
 * first, the realtime lane gets the next token whenever both wait.
 */
export function takeTokens(
  previous: BucketState | undefined,
  policy: RateLimitPolicy,
  lane: Lane,
  cost: number,
  nowMs: number,
): { readonly state: BucketState; readonly decision: TakeDecision } {
  const shape = bucketShape(policy);
  const state = refilled(previous ?? freshBucket(policy, nowMs), shape, nowMs);
  if (state.blockedUntilMs > nowMs) return { state, decision: { granted: false, waitMs: state.blockedUntilMs - nowMs, reason: 'blocked' } };
  const floor = lane === 'batch' ? shape.reserve : 0;
  // A cost the bucket can never hold on top of the floor would wait forever: such a call goes out from a full bucket.
  const need = Math.min(cost, shape.capacity);
  const required = Math.min(floor + need, shape.capacity);
  if (state.tokens >= required - EPSILON) {
    return { state: { ...state, tokens: Math.max(0, state.tokens - need) }, decision: { granted: true } };
  }
  const missing = required - state.tokens;
  return { state, decision: { granted: false, waitMs: Math.max(1, Math.ceil(missing / shape.refillPerMs)), reason: 'no_tokens' } };
}

/**
 * The CRM refused calls (429) or stopped serving us (daily limit): no token
 * before `untilMs`, and the bucket restarts empty then, because the CRM's
 * window was full when it refused.
 */
export function blockBucket(previous: BucketState | undefined, policy: RateLimitPolicy, untilMs: number, nowMs: number): BucketState {
  const state = refilled(previous ?? freshBucket(policy, nowMs), bucketShape(policy), nowMs);
  const blockedUntilMs = Math.max(state.blockedUntilMs, untilMs);
  // Tokens are counted from the end of the block: zero at `updatedAtMs = blockedUntilMs`.
  return { tokens: 0, updatedAtMs: Math.max(state.updatedAtMs, blockedUntilMs), blockedUntilMs };
}

/**
 * What the CRM's own counter said (HubSpot `X-HubSpot-RateLimit-Remaining`):
 * other clients of the same app may have used part of the window, so the
 * bucket holds no more than the CRM still allows, less the headroom.
 */
export function observeRemaining(previous: BucketState | undefined, policy: RateLimitPolicy, remaining: number, nowMs: number): BucketState {
  const state = refilled(previous ?? freshBucket(policy, nowMs), bucketShape(policy), nowMs);
  const margin = Math.ceil(policy.requests * policy.headroom);
  return { ...state, tokens: Math.max(0, Math.min(state.tokens, remaining - margin)) };
}

/** The bucket as it stands at `nowMs` (refilled), without taking anything. */
export function peekBucket(previous: BucketState | undefined, policy: RateLimitPolicy, nowMs: number): BucketState {
  return refilled(previous ?? freshBucket(policy, nowMs), bucketShape(policy), nowMs);
}
