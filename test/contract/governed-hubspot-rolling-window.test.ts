import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HubSpotDestination } from '../../src/adapters/hubspot/hubspot-destination.js';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store.js';
import { GovernedDestination } from '../../src/app/governed-destination.js';
import { RateLimitGovernor } from '../../src/app/rate-limit-governor.js';
import { loadConfigDocument } from '../../src/config/config-loader.js';
import { rateLimitPolicyFor } from '../../src/config/rate-limit-defaults.js';
import type { UpsertInput } from '../../src/ports/crm-destination.js';
import type { RateLimitPolicy } from '../../src/ports/rate-limit-store.js';
import { startHubSpotEmulator, type HubSpotEmulator } from '../emulators/hubspot/hubspot-emulator.js';
import { ManualClock } from '../support/manual-clock.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

/**
 * The governor's default policy against the HubSpot emulator's rolling window
 * (190 per 10 s, refused requests not counted), over real HTTP, in virtual
 * time: the governor, the adapter and the emulator read one manual clock, and
 * the clock moves only when every task is asleep (waiting for a token, or
 * between realtime requests) — each task makes one call at a time, so no
 * request is in flight then. A request reaches the emulator at the very time
 * the governor let it go, and the run covers more than one window without
 * taking that long.
 */
class VirtualTime {
  readonly clock = new ManualClock();
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  private tasks = 0;
  private finished = 0;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      this.sleepers.push({ at: this.clock.now().getTime() + ms, wake: resolve });
    });

  /** Runs the tasks to their end; advances the clock to the next sleeper's time whenever all of them sleep. */
  async run(tasks: readonly (() => Promise<void>)[]): Promise<void> {
    this.tasks = tasks.length;
    this.finished = 0;
    const errors: unknown[] = [];
    for (const task of tasks) {
      task()
        .catch((error: unknown) => errors.push(error))
        .finally(() => {
          this.finished += 1;
        });
    }
    while (this.finished < this.tasks) {
      // Lets HTTP requests and responses, and the tasks' own steps, run.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.finished + this.sleepers.length < this.tasks || this.sleepers.length === 0) continue;
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers.shift();
      if (next === undefined) continue;
      const ahead = next.at - this.clock.now().getTime();
      if (ahead > 0) this.clock.advance(ahead);
      next.wake();
    }
    if (errors.length > 0) throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
  }
}

async function professionalPolicies(): Promise<{ implicit: RateLimitPolicy & { maxWaitMs: number }; explicit: RateLimitPolicy & { maxWaitMs: number } }> {
  const dir = tempDirForThisTest('leadsync-rolling-window-');
  const load = async (destination: string): Promise<RateLimitPolicy & { maxWaitMs: number }> => {
    const file = join(dir, `${String(Math.random()).slice(2)}.yaml`);
    writeFileSync(file, `version: 1\ndestination:\n  kind: hubspot\n  token: pat-x\n  tier: professional\n${destination}sources:\n  webform: { preset: webform }\n`);
    const policy = rateLimitPolicyFor((await loadConfigDocument(file)).document.destination);
    if (policy === undefined) throw new Error('a HubSpot destination is governed');
    return policy;
  };
  // Without `rateLimit` the vendor defaults apply (src/config/rate-limit-defaults.ts); with an empty one, the schema's defaults.
  return { implicit: await load(''), explicit: await load('  rateLimit: {}\n') };
}

async function emulatorAt(time: VirtualTime): Promise<HubSpotEmulator> {
  const emulator = await startHubSpotEmulator({ rateLimit: { max: 190, intervalMs: 10_000 }, now: () => time.clock.now().getTime() });
  onTestFinished(() => emulator.close());
  return emulator;
}

const contacts = (prefix: string, count: number): UpsertInput[] => Array.from({ length: count }, (_, i) => ({ idField: 'email', id: `${prefix}-${i}@example.com`, properties: { firstname: 'Ada' } }));

describe('governed HubSpot adapter against the emulator\'s rolling window (virtual time)', () => {
  it('default policy: two batch lanes back to back and a realtime lane for 15 s get no 429', async () => {
    const { implicit, explicit } = await professionalPolicies();
    // The schema's defaults and the vendor defaults are one policy.
    expect(explicit).toEqual(implicit);
    const { maxWaitMs, ...policy } = implicit;
    const time = new VirtualTime();
    const emulator = await emulatorAt(time);
    const crm = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, timeoutMs: 10_000, clock: time.clock });
    const governor = new RateLimitGovernor({ destination: crm.name, store: new MemoryRateLimitStore(), policy, maxWaitMs, now: () => time.clock.now(), sleep: time.sleep });
    const batch = new GovernedDestination(crm, governor, { lane: 'batch', rateLimitResends: 0 });
    const realtime = new GovernedDestination(crm, governor, { lane: 'realtime', rateLimitResends: 0 });
    const end = time.clock.now().getTime() + 15_000;
    const failures: string[] = [];
    let batches = 0;
    const batchLane = (name: string) => async (): Promise<void> => {
      while (time.clock.now().getTime() < end) {
        const results = await batch.upsert('contacts', contacts(`${name}-${batches}`, 100));
        batches += 1;
        for (const result of results) if (!result.ok) failures.push(`${result.code}: ${result.message}`);
      }
    };
    // Demo requests: two realtime calls every 500 ms, side by side (as a contact and its company).
    const realtimeLane = (name: string) => async (): Promise<void> => {
      for (let n = 0; time.clock.now().getTime() < end; n += 1) {
        for (const result of await realtime.upsert('contacts', contacts(`demo-${n}-${name}`, 1))) if (!result.ok) failures.push(`${result.code}: ${result.message}`);
        await time.sleep(500);
      }
    };
    await time.run([batchLane('a'), batchLane('b'), realtimeLane('contact'), realtimeLane('company')]);

    const calls = emulator.calls();
    expect(failures).toEqual([]);
    expect(calls.byStatus['429'] ?? 0).toBe(0);
    // The run outlasted a window and sent more than the limit allows in one: the window rolled while full.
    expect(time.clock.now().getTime() - (end - 15_000)).toBeGreaterThanOrEqual(15_000);
    expect(calls.byEndpoint.upsert).toBeGreaterThan(190);
    expect(governor.waitTotals().batch.admitted).toBe(batches);
  });

  it('a limit configured above the CRM\'s: the governor follows the headers and still gets no 429', async () => {
    const { implicit } = await professionalPolicies();
    const { maxWaitMs, ...defaults } = implicit;
    // api_limit_increase (250 per 10 s) configured; the app really has 190.
    const policy = { ...defaults, requests: 250 };
    const time = new VirtualTime();
    const emulator = await emulatorAt(time);
    const crm = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, timeoutMs: 10_000, clock: time.clock });
    const governor = new RateLimitGovernor({ destination: crm.name, store: new MemoryRateLimitStore(), policy, maxWaitMs, now: () => time.clock.now(), sleep: time.sleep });
    const batch = new GovernedDestination(crm, governor, { lane: 'batch', rateLimitResends: 0 });
    const end = time.clock.now().getTime() + 12_000;
    let failed = 0;
    const lane = (name: string) => async (): Promise<void> => {
      for (let n = 0; time.clock.now().getTime() < end; n += 1) {
        const results = await batch.upsert('contacts', contacts(`${name}-${n}`, 100));
        failed += results.filter((result) => !result.ok).length;
      }
    };
    await time.run([lane('a'), lane('b')]);
    expect(governor.policy.requests).toBe(190);
    expect(failed).toBe(0);
    expect(emulator.calls().byStatus['429'] ?? 0).toBe(0);
    expect(emulator.calls().byEndpoint.upsert).toBeGreaterThan(190);
  });

  it('control: the same back-to-back calls without the governor are refused once the window is full', async () => {
    const time = new VirtualTime();
    const emulator = await emulatorAt(time);
    const crm = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, timeoutMs: 10_000, clock: time.clock });
    let refused = 0;
    // Paced evenly at the limit's average (190 per 10 s) from the start: the first window holds the limit, the next call is one too many.
    const lane = async (): Promise<void> => {
      for (let n = 0; n < 200; n += 1) {
        const results = await crm.upsert('contacts', contacts(`raw-${n}`, 100));
        if (results.some((result) => !result.ok && result.code === 'CRM_RATE_LIMITED')) refused += 1;
        await time.sleep(10_000 / 190 - 1);
      }
    };
    await time.run([lane]);
    expect(refused).toBeGreaterThan(0);
    expect(emulator.calls().byStatus['429'] ?? 0).toBe(refused);
  });
});
