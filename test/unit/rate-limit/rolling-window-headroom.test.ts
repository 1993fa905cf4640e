import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateLimitPolicyFor } from '../../../src/config/rate-limit-defaults.js';
import type { Lane } from '../../../src/core/mapping/mapping-types.js';
import { bucketShape, takeTokens, type BucketState, type RateLimitPolicy } from '../../../src/core/rate-limit/token-bucket.js';
import { HubSpotRateLimiter } from '../../emulators/hubspot/hubspot-emulator-limits.js';

/**
 * What the headroom is for. The bucket bounds the calls the governor lets go
 * in any window to capacity + refill × window = requests × (1 − headroom);
 * HubSpot counts them when they arrive. When the delay between the two varies
 * by up to J (network, a new connection, a busy event loop, clocks of
 * processes sharing the bucket), a window of arrivals can hold the grants of
 * a window J longer: capacity + refill × (window + J). That stays within the
 * limit while J < (headroom × requests + 1 − calls the governor does not see)
 * / refill. These tests check the bound against the emulator's own limiter
 * (test/emulators/hubspot), fed the arrival times.
 */

/** Grant times of one lane asking back to back, from `startMs`, as the governor does (asks again when the bucket says). */
function grantsBackToBack(policy: RateLimitPolicy, lane: Lane, untilMs: number, lanes: readonly Lane[] = [lane]): number[] {
  let state: BucketState | undefined;
  let now = 0;
  const grants: number[] = [];
  for (let i = 0; now < untilMs; i += 1) {
    const asking = lanes[i % lanes.length] ?? lane;
    for (;;) {
      const result = takeTokens(state, policy, asking, 1, now);
      state = result.state;
      if (result.decision.granted) break;
      now += result.decision.waitMs;
    }
    grants.push(now);
  }
  return grants;
}

/** Calls the emulator's limiter refuses when the calls arrive at these times (any order; the CRM sees them sorted). */
function refusedAt(policy: RateLimitPolicy, arrivals: readonly number[]): number {
  let now = 0;
  const limiter = new HubSpotRateLimiter({ max: policy.requests, intervalMs: policy.intervalMs }, { limit: Number.MAX_SAFE_INTEGER }, () => now);
  let refused = 0;
  for (const time of [...arrivals].sort((a, b) => a - b)) {
    now = time;
    if (limiter.take().refusedBy !== undefined) refused += 1;
  }
  return refused;
}

/** The worst case for a delay that varies by up to `delayMs`: the first calls (a full bucket) arrive late, the rest at once. */
function worstCaseArrivals(grants: readonly number[], delayMs: number): number[] {
  return grants.map((time) => (time < delayMs ? time + delayMs : time));
}

/** The largest varying delay the policy absorbs, with `unseen` calls in the window the governor does not know of. */
function toleranceMs(policy: RateLimitPolicy, unseen = 0): number {
  const shape = bucketShape(policy);
  return (policy.headroom * policy.requests + 1 - unseen) / shape.refillPerMs;
}

const professional = (() => {
  const policy = rateLimitPolicyFor({ kind: 'hubspot', tier: 'professional', readBeforeWrite: 'always' });
  if (policy === undefined) throw new Error('HubSpot is governed');
  const { maxWaitMs: _maxWaitMs, ...rest } = policy;
  return rest;
})();

describe('rolling window: the headroom absorbs arrival delay that varies', () => {
  it('the defaults at HubSpot professional: 3 at once, 18.3 calls/s, about 0.26 s of varying delay', () => {
    expect(professional).toMatchObject({ requests: 190, intervalMs: 10_000, burst: 0.02, headroom: 0.02, realtimeReserve: 0.2 });
    const shape = bucketShape(professional);
    expect(shape.capacity).toBe(3);
    expect(shape.refillPerMs * 1000).toBeCloseTo(18.32, 2);
    expect(toleranceMs(professional)).toBeGreaterThan(250);
    // Two properties calls (the adapter's schema refresh) in the window leave about 0.15 s.
    expect(toleranceMs(professional, 2)).toBeGreaterThan(150);
  });

  it('the defaults get no 429 when the first calls of a window arrive 0.25 s late and the rest on time', () => {
    const grants = grantsBackToBack(professional, 'realtime', 25_000);
    expect(grants.length).toBeGreaterThan(2 * 190);
    expect(refusedAt(professional, grants)).toBe(0);
    expect(refusedAt(professional, worstCaseArrivals(grants, 250))).toBe(0);
    // With two calls the governor does not see at the start of the window, 0.15 s.
    expect(refusedAt(professional, [0, 0, ...worstCaseArrivals(grants, 150)])).toBe(0);
  });

  it('without headroom the same delay is refused: the margin is what absorbs it', () => {
    const tight = { ...professional, headroom: 0 };
    const grants = grantsBackToBack(tight, 'realtime', 25_000);
    expect(refusedAt(tight, grants)).toBe(0);
    expect(refusedAt(tight, worstCaseArrivals(grants, 250))).toBeGreaterThan(0);
  });

  it('a delay beyond the tolerance is refused even with the default headroom: the bound is tight', () => {
    const grants = grantsBackToBack(professional, 'realtime', 25_000);
    expect(refusedAt(professional, worstCaseArrivals(grants, Math.ceil(toleranceMs(professional)) + 20))).toBeGreaterThan(0);
  });

  it('any policy, lanes and delays varying within the tolerance: the CRM refuses nothing', () => {
    const policyArb = fc
      .record({
        requests: fc.integer({ min: 20, max: 300 }),
        intervalMs: fc.constantFrom(1_000, 10_000),
        realtimeReserve: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 0.5, noNaN: true })),
        burst: fc.double({ min: 0.01, max: 0.1, noNaN: true }),
        headroom: fc.double({ min: 0.005, max: 0.05, noNaN: true }),
      })
      .filter((policy) => {
        try {
          bucketShape(policy);
          return true;
        } catch {
          return false;
        }
      });
    fc.assert(
      fc.property(policyArb, fc.array(fc.constantFrom<Lane>('realtime', 'batch'), { minLength: 1, maxLength: 5 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }), (policy, lanes, shares) => {
        const tolerance = toleranceMs(policy) * 0.99;
        const grants = grantsBackToBack(policy, 'batch', 2.5 * policy.intervalMs, lanes);
        const arrivals = grants.map((time, i) => time + tolerance * (shares[i % shares.length] ?? 0));
        expect(refusedAt(policy, arrivals)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
