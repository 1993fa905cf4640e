import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Lane } from '../../../src/core/mapping/mapping-types.js';
import { blockBucket, bucketShape, observeRemaining, takeTokens, type BucketState, type RateLimitPolicy } from '../../../src/core/rate-limit/token-bucket.js';

const policyArb: fc.Arbitrary<RateLimitPolicy> = fc.record({
  requests: fc.integer({ min: 5, max: 500 }),
  intervalMs: fc.integer({ min: 100, max: 20_000 }),
  realtimeReserve: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 0.5, noNaN: true })),
  burst: fc.double({ min: 0.01, max: 0.3, noNaN: true }),
  headroom: fc.double({ min: 0, max: 0.1, noNaN: true }),
}).filter((policy) => {
  try {
    bucketShape(policy);
    return true;
  } catch {
    // A policy with no steady rate is refused by bucketShape (tested below); not an input here.
    return false;
  }
});

type Step =
  | { readonly kind: 'take'; readonly afterMs: number; readonly lane: Lane }
  | { readonly kind: 'block'; readonly afterMs: number; readonly forMs: number }
  | { readonly kind: 'observe'; readonly afterMs: number; readonly remaining: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('take' as const), afterMs: fc.integer({ min: 0, max: 300 }), lane: fc.constantFrom<Lane>('realtime', 'batch') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('block' as const), afterMs: fc.integer({ min: 0, max: 300 }), forMs: fc.integer({ min: 0, max: 5_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('observe' as const), afterMs: fc.integer({ min: 0, max: 300 }), remaining: fc.integer({ min: 0, max: 500 }) }) },
);

/** Runs the steps; returns the grant times and, for every batch grant, the tokens it left. */
function run(policy: RateLimitPolicy, steps: readonly Step[]): { grants: number[]; batchLeft: number[] } {
  let state: BucketState | undefined;
  let now = 0;
  const grants: number[] = [];
  const batchLeft: number[] = [];
  for (const step of steps) {
    now += step.afterMs;
    if (step.kind === 'block') state = blockBucket(state, policy, now + step.forMs, now);
    else if (step.kind === 'observe') state = observeRemaining(state, policy, step.remaining, now);
    else {
      // A caller keeps asking until granted, at the time the bucket names, as the governor does.
      for (;;) {
        const result = takeTokens(state, policy, step.lane, 1, now);
        state = result.state;
        if (result.decision.granted) break;
        expect(result.decision.waitMs).toBeGreaterThan(0);
        now += result.decision.waitMs;
      }
      grants.push(now);
      if (step.lane === 'batch') batchLeft.push(state.tokens);
    }
  }
  return { grants, batchLeft };
}

describe('token bucket', () => {
  it('never grants more than requests × (1 − headroom) in any rolling window of intervalMs', () => {
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { minLength: 1, maxLength: 400 }), (policy, steps) => {
        const { grants } = run(policy, steps);
        const allowed = Math.floor(policy.requests * (1 - policy.headroom) + 1e-6);
        // Windows starting at each grant are the densest; grants are in time order.
        let end = 0;
        for (let start = 0; start < grants.length; start += 1) {
          const from = grants[start] ?? 0;
          while (end < grants.length && (grants[end] ?? 0) < from + policy.intervalMs) end += 1;
          expect(end - start).toBeLessThanOrEqual(allowed);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never lets the batch lane take the realtime reserve', () => {
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { minLength: 1, maxLength: 200 }), (policy, steps) => {
        const { reserve } = bucketShape(policy);
        for (const left of run(policy, steps).batchLeft) expect(left).toBeGreaterThanOrEqual(reserve - 1e-6);
      }),
      { numRuns: 300 },
    );
  });

  it('lets the realtime lane take the reserve the batch lane left', () => {
    fc.assert(
      fc.property(policyArb.filter((policy) => policy.realtimeReserve > 0), (policy) => {
        let state: BucketState | undefined;
        for (;;) {
          const result = takeTokens(state, policy, 'batch', 1, 0);
          state = result.state;
          if (!result.decision.granted) break;
        }
        expect(takeTokens(state, policy, 'realtime', 1, 0).decision).toEqual({ granted: true });
      }),
    );
  });

  it('reaches the steady rate under a continuous backlog: no grant is refused longer than one token takes', () => {
    fc.assert(
      // CRM limits allow at most tens of calls per second; waits are whole milliseconds, which only matters far above that.
      fc.property(policyArb.filter((policy) => policy.intervalMs >= policy.requests * 10), (policy) => {
        const shape = bucketShape(policy);
        const duration = policy.intervalMs * 10;
        let state: BucketState | undefined;
        let now = 0;
        let granted = 0;
        while (now < duration) {
          const result = takeTokens(state, policy, 'batch', 1, now);
          state = result.state;
          if (result.decision.granted) granted += 1;
          else now += result.decision.waitMs;
        }
        // Capacity minus reserve up front, then the refill rate; waits are rounded up to whole ms.
        const ideal = shape.capacity - shape.reserve + duration * shape.refillPerMs;
        expect(granted).toBeGreaterThanOrEqual(Math.floor(ideal * 0.9) - 1);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a policy that leaves no steady rate', () => {
    expect(() => bucketShape({ requests: 10, intervalMs: 1_000, burst: 1, realtimeReserve: 0, headroom: 0 })).toThrow(/no steady rate/);
    expect(bucketShape({ requests: 190, intervalMs: 10_000, burst: 0.05, realtimeReserve: 0.2, headroom: 0.02 })).toEqual({ capacity: 9, refillPerMs: (190 * 0.98 - 9) / 10_000, reserve: 1.8 });
  });
});
