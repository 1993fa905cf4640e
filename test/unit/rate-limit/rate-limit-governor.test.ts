import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../../../src/adapters/memory/memory-rate-limit-store.js';
import { GovernedDestination } from '../../../src/app/governed-destination.js';
import { RateLimitGovernor } from '../../../src/app/rate-limit-governor.js';
import { rateLimitPolicyFor } from '../../../src/config/rate-limit-defaults.js';
import { bucketShape } from '../../../src/core/rate-limit/token-bucket.js';
import type { CrmSchema } from '../../../src/core/crm-schema/crm-schema-types.js';
import type { CrmDestination, CrmRateLimitStatus, CrmRecordFailure, UpsertResult } from '../../../src/ports/crm-destination.js';
import type { RateLimitPolicy } from '../../../src/ports/rate-limit-store.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { ManualClock } from '../../support/manual-clock.js';

const POLICY: RateLimitPolicy = { requests: 100, intervalMs: 10_000, realtimeReserve: 0.2, burst: 0.1, headroom: 0 };

/** A CRM double that answers from a script and records when each call reached it. */
class ScriptedCrm implements CrmDestination {
  readonly name = 'scripted';
  readonly callTimes: number[] = [];
  headers: CrmRateLimitStatus | undefined;
  private readonly script: (UpsertResult | null)[] = [];

  constructor(private readonly clock: ManualClock) {}

  /** The next calls answer this failure for every input; null = succeed. */
  answer(...results: (CrmRecordFailure | null)[]): void {
    this.script.push(...results);
  }

  describe(): Promise<CrmSchema> {
    return Promise.resolve({ version: 'x', objects: {} });
  }

  read(): Promise<never> {
    throw new Error('not used');
  }

  upsert(_object: string, inputs: readonly { id: string }[]): Promise<readonly UpsertResult[]> {
    this.callTimes.push(this.clock.now().getTime());
    const next = this.script.shift() ?? null;
    return Promise.resolve(inputs.map((input) => next ?? { ok: true, recordId: input.id, created: true }));
  }

  rateLimitStatus(): CrmRateLimitStatus | undefined {
    return this.headers;
  }
}

function setup(options: { maxWaitMs?: number; policy?: RateLimitPolicy } = {}) {
  const clock = new ManualClock('2026-01-01T00:00:00.000Z');
  const logger = new CapturingLogger();
  const store = new MemoryRateLimitStore();
  const crm = new ScriptedCrm(clock);
  const governor = new RateLimitGovernor({
    destination: crm.name,
    store,
    now: () => clock.now(),
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    logger,
    ...options,
    policy: options.policy ?? POLICY,
  });
  const lane = (name: 'realtime' | 'batch'): GovernedDestination => new GovernedDestination(crm, governor, { lane: name });
  return { clock, logger, crm, governor, realtime: lane('realtime'), batch: lane('batch'), t0: clock.now().getTime() };
}

const input = (id: string) => ({ idField: 'email', id, properties: {} });
const rateLimited = (retryAfterMs?: number): CrmRecordFailure => ({ ok: false, code: 'CRM_RATE_LIMITED', message: '429', retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('rate-limit governor', () => {
  it('paces calls at the bucket rate once the burst is spent', async () => {
    const { crm, batch, t0 } = setup();
    for (let i = 0; i < 20; i += 1) await batch.upsert('contacts', [input(`c${i}`)]);
    // Burst 10, reserve 2: 8 calls at once, then one every 111.1 ms (90 tokens per 10 s).
    expect(crm.callTimes.slice(0, 8)).toEqual(Array.from({ length: 8 }, () => t0));
    const gaps = crm.callTimes.slice(8).map((time, index) => time - (crm.callTimes[index + 7] ?? 0));
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(110);
    expect(crm.callTimes.at(-1)! - t0).toBeLessThan(12 * 112 + 400);
  });

  it('charges one token per CRM request a call makes (100 inputs a request)', async () => {
    const { governor, batch } = setup();
    await batch.upsert('contacts', Array.from({ length: 250 }, (_, i) => input(`c${i}`)));
    expect((await governor.status()).tokens).toBeCloseTo(7, 6);
  });

  it('sends a call refused whole by a 429 again after Retry-After, holding every call meanwhile', async () => {
    const { crm, realtime, batch, t0, logger } = setup();
    crm.answer(rateLimited(3_000));
    expect(await batch.upsert('contacts', [input('a')])).toEqual([{ ok: true, recordId: 'a', created: true }]);
    // After the block the bucket restarts empty; the batch lane waits for the reserve (2) plus its token: 3 × 111.1 ms.
    expect(crm.callTimes).toEqual([t0, t0 + 3_000 + 334]);
    // The bucket restarted empty after the block: a realtime call waits for a token too.
    await realtime.upsert('contacts', [input('b')]);
    expect(crm.callTimes[2]).toBeGreaterThanOrEqual(t0 + 3_000 + 112);
    expect(logger.lines.some((entry) => entry.message.includes('429'))).toBe(true);
  });

  it('uses 1 s when a 429 has no Retry-After, and passes the failure on after the resends', async () => {
    const { crm, batch, t0 } = setup();
    crm.answer(rateLimited(), rateLimited(), rateLimited());
    expect(await batch.upsert('contacts', [input('a')])).toMatchObject([{ ok: false, code: 'CRM_RATE_LIMITED' }]);
    expect(crm.callTimes.length).toBe(3);
    expect(crm.callTimes[1]! - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('does not resend a call with only some records refused', async () => {
    const { crm, batch } = setup();
    const original = crm.upsert.bind(crm);
    crm.upsert = (object, inputs) => original(object, inputs).then((results) => results.map((result, index) => (index === 0 ? rateLimited(500) : result)));
    const results = await batch.upsert('contacts', [input('a'), input('b')]);
    expect(results).toMatchObject([{ ok: false, code: 'CRM_RATE_LIMITED' }, { ok: true }]);
    expect(crm.callTimes.length).toBe(1);
  });

  it('pauses the whole destination on a daily-limit failure: no call goes out, callers get the pause at once, and it is logged', async () => {
    const { crm, governor, realtime, batch, clock, logger, t0 } = setup();
    crm.answer({ ok: false, code: 'CRM_RATE_LIMITED', message: 'HubSpot 429 DAILY', retryable: true, pauseDestinationMs: 3_600_000 });
    expect(await batch.upsert('contacts', [input('a')])).toMatchObject([{ ok: false, pauseDestinationMs: 3_600_000 }]);
    expect(await governor.pausedForMs()).toBe(3_600_000);
    const refused = await realtime.upsert('contacts', [input('b'), input('c')]);
    expect(refused).toMatchObject([
      { ok: false, code: 'CRM_DESTINATION_PAUSED', retryable: true, pauseDestinationMs: 3_600_000 },
      { ok: false, code: 'CRM_DESTINATION_PAUSED', retryable: true, pauseDestinationMs: 3_600_000 },
    ]);
    expect(crm.callTimes).toEqual([t0]);
    expect(clock.now().getTime()).toBe(t0);
    const status = await governor.status();
    expect(status.pause).toMatchObject({ until: new Date(t0 + 3_600_000), reason: 'CRM_RATE_LIMITED: HubSpot 429 DAILY' });
    expect(logger.lines.find((entry) => entry.level === 'warn')?.message).toContain('paused');

    clock.advance(3_600_000);
    expect(await governor.pausedForMs()).toBe(0);
    await realtime.upsert('contacts', [input('b')]);
    expect(crm.callTimes.length).toBe(2);
  });

  it('follows the limit and the remaining calls the CRM reports in its headers', async () => {
    const { crm, governor, realtime } = setup();
    crm.headers = { remaining: 1, max: 190, intervalMs: 10_000, dailyRemaining: 5_000 };
    await realtime.upsert('contacts', [input('a')]);
    const status = await governor.status();
    expect(status.policy).toMatchObject({ requests: 190, intervalMs: 10_000 });
    expect(status.tokens).toBe(1);
    expect(status.dailyRemaining).toBe(5_000);
    crm.headers = { remaining: 5, max: 0, intervalMs: 10_000 };
    await realtime.upsert('contacts', [input('b')]);
    expect(governor.policy.requests).toBe(190);
  });

  it('keeps realtime latency bounded while the batch lane has a backlog', async () => {
    const { crm, realtime, batch, clock } = setup();
    // A backlog takes every token the batch lane may take...
    for (let i = 0; i < 30; i += 1) await batch.upsert('contacts', [input(`b${i}`)]);
    const before = clock.now().getTime();
    // ...and a realtime call still finds its reserve at once.
    await realtime.upsert('contacts', [input('demo')]);
    expect(crm.callTimes.at(-1)).toBe(before);
  });

  it('at the default policy (HubSpot professional: a bucket of 3, reserve 1) a demo request\'s two calls wait at most one token behind a backlog', async () => {
    const defaults = rateLimitPolicyFor({ kind: 'hubspot', tier: 'professional', readBeforeWrite: 'always' });
    if (defaults === undefined) throw new Error('HubSpot is governed');
    const { maxWaitMs, ...policy } = defaults;
    const { crm, realtime, batch, clock } = setup({ maxWaitMs, policy });
    const shape = bucketShape(policy);
    expect(shape).toMatchObject({ capacity: 3, reserve: 1 });
    for (let i = 0; i < 30; i += 1) await batch.upsert('contacts', [input(`b${i}`)]);
    const before = clock.now().getTime();
    // The contact goes out on the reserve at once; the company on the next token, ahead of the backlog's next batch call.
    await realtime.upsert('contacts', [input('demo-contact')]);
    await realtime.upsert('companies', [input('demo-company')]);
    expect(crm.callTimes.at(-2)).toBe(before);
    expect(crm.callTimes.at(-1)! - before).toBeLessThanOrEqual(Math.ceil(1 / shape.refillPerMs));
  });
});
