import { describe, expect, it } from 'vitest';
import type { RateLimitPolicy, RateLimitStore } from '../../src/ports/rate-limit-store.js';

/**
 * A store under test plus a second handle on the same state: the same object
 * for an in-memory store, a second connection (another process would have
 * one) for a database store.
 */
export interface RateLimitStoreUnderTest {
  readonly store: RateLimitStore;
  readonly peer: RateLimitStore;
}

/** Called inside each test; the backend cleans up when the test finishes. */
export type RateLimitStoreFactory = () => Promise<RateLimitStoreUnderTest>;

// 100 per 10 s, a burst of 10, reserve 0.2 (2 tokens), no headroom: refill 90 per 10 s = 9 ms... 1 token per 111.1 ms.
const POLICY: RateLimitPolicy = { requests: 100, intervalMs: 10_000, burst: 0.1, realtimeReserve: 0.2, headroom: 0 };
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

async function drain(store: RateLimitStore, destination: string, lane: 'realtime' | 'batch', now: Date): Promise<number> {
  let granted = 0;
  for (let i = 0; i < 1000; i += 1) {
    const decision = await store.take({ destination, lane, cost: 1, now, policy: POLICY });
    if (!decision.granted) return granted;
    granted += 1;
  }
  throw new Error('the bucket never ran dry');
}

/** Contract of RateLimitStore: the core's token bucket, kept atomically per destination and shared by every handle. */
export function rateLimitStoreContract(makeStore: RateLimitStoreFactory): void {
  describe('RateLimitStore contract', () => {
    it('starts full, grants the burst, then says how long to wait; refills with time', async () => {
      const { store } = await makeStore();
      expect(await drain(store, 'hubspot', 'realtime', T0)).toBe(10);
      const refused = await store.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: T0, policy: POLICY });
      expect(refused).toEqual({ granted: false, waitMs: 112, reason: 'no_tokens' });
      expect(await store.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: at(112), policy: POLICY })).toEqual({ granted: true });
      expect(await drain(store, 'hubspot', 'realtime', at(1_112))).toBe(9);
    });

    it('keeps the realtime reserve from the batch lane', async () => {
      const { store } = await makeStore();
      expect(await drain(store, 'hubspot', 'batch', T0)).toBe(8);
      const refused = await store.take({ destination: 'hubspot', lane: 'batch', cost: 1, now: T0, policy: POLICY });
      expect(refused).toMatchObject({ granted: false, reason: 'no_tokens' });
      expect(refused.granted ? 0 : refused.waitMs).toBe(112);
      expect(await drain(store, 'hubspot', 'realtime', T0)).toBe(2);
      // Batch needs the reserve refilled first: 3 tokens, 334 ms from empty.
      const waiting = await store.take({ destination: 'hubspot', lane: 'batch', cost: 1, now: T0, policy: POLICY });
      expect(waiting.granted ? 0 : waiting.waitMs).toBe(334);
    });

    it('keeps one bucket per destination', async () => {
      const { store } = await makeStore();
      expect(await drain(store, 'hubspot', 'realtime', T0)).toBe(10);
      expect(await drain(store, 'salesforce', 'realtime', T0)).toBe(10);
    });

    it('shares the bucket with every handle on the same state', async () => {
      const { store, peer } = await makeStore();
      for (let i = 0; i < 6; i += 1) expect(await store.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: T0, policy: POLICY })).toEqual({ granted: true });
      expect(await drain(peer, 'hubspot', 'realtime', T0)).toBe(4);
      expect(await drain(store, 'hubspot', 'realtime', T0)).toBe(0);
      expect((await peer.status('hubspot', T0, POLICY)).tokens).toBeCloseTo(0, 6);
    });

    it('blocks both lanes until Retry-After, then restarts from an empty bucket; a block is never shortened', async () => {
      const { store, peer } = await makeStore();
      await store.block('hubspot', { until: at(2_000), now: T0, policy: POLICY });
      await store.block('hubspot', { until: at(1_000), now: T0, policy: POLICY });
      expect(await peer.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: at(500), policy: POLICY })).toEqual({ granted: false, waitMs: 1_500, reason: 'blocked' });
      expect(await peer.take({ destination: 'hubspot', lane: 'batch', cost: 1, now: at(1_999), policy: POLICY })).toEqual({ granted: false, waitMs: 1, reason: 'blocked' });
      expect(await store.status('hubspot', at(1_000), POLICY)).toEqual({ destination: 'hubspot', tokens: 0, blockedUntil: at(2_000), pause: null });
      expect(await store.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: at(2_000), policy: POLICY })).toMatchObject({ granted: false, reason: 'no_tokens' });
      expect(await store.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: at(2_112), policy: POLICY })).toEqual({ granted: true });
    });

    it('records a pause with its reason, visible to every handle, and forgets it once over', async () => {
      const { store, peer } = await makeStore();
      await store.pause('hubspot', { until: at(60_000), now: at(1_000), reason: 'CRM_DAILY_LIMIT: daily limit reached', policy: POLICY });
      await store.pause('hubspot', { until: at(30_000), now: at(2_000), reason: 'CRM_DAILY_LIMIT: again', policy: POLICY });
      expect(await peer.status('hubspot', at(5_000), POLICY)).toEqual({
        destination: 'hubspot',
        tokens: 0,
        blockedUntil: at(60_000),
        pause: { since: at(1_000), until: at(60_000), reason: 'CRM_DAILY_LIMIT: again' },
      });
      expect(await peer.take({ destination: 'hubspot', lane: 'realtime', cost: 1, now: at(59_000), policy: POLICY })).toEqual({ granted: false, waitMs: 1_000, reason: 'blocked' });
      const after = await store.status('hubspot', at(60_000), POLICY);
      expect(after).toEqual({ destination: 'hubspot', tokens: 0, blockedUntil: null, pause: null });
    });

    it('holds no more tokens than the CRM says remain in its window, less the headroom', async () => {
      const { store } = await makeStore();
      await store.observe('hubspot', { remaining: 3, now: T0, policy: POLICY });
      expect((await store.status('hubspot', T0, POLICY)).tokens).toBe(3);
      await store.observe('hubspot', { remaining: 50, now: T0, policy: POLICY });
      expect((await store.status('hubspot', T0, POLICY)).tokens).toBe(3);
      await store.observe('hubspot', { remaining: 5, now: T0, policy: { ...POLICY, headroom: 0.05 } });
      expect((await store.status('hubspot', T0, POLICY)).tokens).toBe(0);
      expect(await drain(store, 'hubspot', 'realtime', T0)).toBe(0);
    });

    it('reports a destination never called as a full bucket', async () => {
      const { store } = await makeStore();
      expect(await store.status('never-called', T0, POLICY)).toEqual({ destination: 'never-called', tokens: 10, blockedUntil: null, pause: null });
    });
  });
}
