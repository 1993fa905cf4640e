import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import type { JobProcessorDeps } from '../../src/app/job-processor.js';
import type { WorkerLoopOptions } from '../../src/app/worker-loop.js';
import { startTestWorkerLoop, type TestWorkerLoop } from '../support/worker-loop-harness.js';
import type { CrmDestination, UpsertInput, UpsertResult } from '../../src/ports/crm-destination.js';
import { sqliteDatabaseOf, type Runtime } from '../../src/server/runtime.js';
import { ManualClock } from '../support/manual-clock.js';
import { waitUntil } from '../support/wait-for.js';
import { exampleRuntimeForThisTest } from '../support/example-runtime.js';

// The worker loop keeps up to `batchInFlight` batches in flight: it claims the next
// batch while the previous one waits on the CRM. Real SQLite storage and the sandbox
// CRM, behind a wrapper that holds each contacts upsert until the test lets it go, so
// the batches' overlap is decided by the test, not by timing.

const WORKER = 'overlap-test';
interface HeldUpsert {
  /** The contacts' emails of this upsert call, in input order. */
  readonly emails: string[];
  /** Lets the call go to the CRM. */
  readonly release: () => void;
  /** Fails the call: `error` rejects it, a failure result fails every input. */
  readonly fail: (failure: Error | UpsertResult) => void;
}

interface Opened {
  readonly runtime: Runtime;
  readonly deps: JobProcessorDeps;
  readonly clock: ManualClock;
  /** Contacts upserts waiting for the test, oldest first (released ones are removed). */
  readonly held: HeldUpsert[];
  /** Most contacts upserts held at once so far. */
  readonly maxHeld: () => number;
}

async function open(): Promise<Opened> {
  const { runtime } = await exampleRuntimeForThisTest('leadsync-batch-overlap-');
  const clock = new ManualClock('2026-11-25T12:00:00.000Z');
  const held: HeldUpsert[] = [];
  let maxHeld = 0;
  const real = runtime.crm;
  const crm: CrmDestination = {
    name: real.name,
    describe: () => real.describe(),
    read: (object, keys) => real.read(object, keys),
    upsert: (object, inputs: readonly UpsertInput[]) => {
      if (object !== 'contacts') return real.upsert(object, inputs);
      return new Promise<readonly UpsertResult[]>((resolve, reject) => {
        const entry: HeldUpsert = {
          emails: inputs.map((input) => input.id),
          release: () => {
            held.splice(held.indexOf(entry), 1);
            real.upsert(object, inputs).then(resolve, reject);
          },
          fail: (failure) => {
            held.splice(held.indexOf(entry), 1);
            if (failure instanceof Error) reject(failure);
            else resolve(inputs.map(() => failure));
          },
        };
        held.push(entry);
        maxHeld = Math.max(maxHeld, held.length);
      });
    },
  };
  return { runtime, deps: { ...runtime.processorDeps, crm, batchCrm: crm, now: () => clock.now(), random: () => 0.5 }, clock, held, maxHeld: () => maxHeld };
}

// Country is an `overwrite` field: each update of a lead changes its contact.
const COUNTRIES = ['United Kingdom', 'Germany', 'France', 'Spain', 'Italy', 'Austria', 'Portugal'];

/** A demo request of `person` at `company` (its own company record), as the batch lane receives it. */
function submission(person: string, company: string, n: number): Record<string, unknown> {
  const base = JSON.parse(readFileSync('test/fixtures/webform/demo-request.json', 'utf8')) as Record<string, unknown>;
  return { ...base, submission_id: `s-${person}-${n}`, submitted_at: `2026-11-20T14:${String(n).padStart(2, '0')}:00Z`, email: `${person}@${company}.com`, company: `${company} Ltd`, website: `https://${company}.com`, country: COUNTRIES[n % COUNTRIES.length] };
}

async function enqueue(runtime: Runtime, clock: ManualClock, payloads: readonly Record<string, unknown>[]): Promise<string[]> {
  const source = runtime.sources.get('webform');
  if (!source) throw new Error('no webform source');
  const eventIds: string[] = [];
  for (const payload of payloads) {
    const result = await ingestEvent({ ...source, lane: 'batch', signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(payload)), headers: {} }, runtime.storage.ingest, clock.now());
    if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
    eventIds.push(result.eventId);
  }
  return eventIds;
}

/** The worker loop is in-process and fast: probe often. */
const POLL = { intervalMs: 5 } as const;

function claimedJobs(runtime: Runtime): number {
  return sqliteDatabaseOf(runtime).prepare<[], { n: number }>('SELECT count(*) AS n FROM jobs WHERE claimed_by IS NOT NULL').get()?.n ?? -1;
}

type Started = TestWorkerLoop;
const start = (deps: JobProcessorDeps, options: Partial<WorkerLoopOptions>): Started => startTestWorkerLoop(deps, WORKER, options);

const settledEvents = (started: Started): string[] => started.settled().map((job) => job.eventId);

describe('worker loop: batches in flight at once', () => {
  it('claims the next batch while one waits on the CRM, never more than batchInFlight, and settles them all', async () => {
    const { runtime, deps, clock, held, maxHeld } = await open();
    const eventIds = await enqueue(runtime, clock, ['a', 'b', 'c', 'd', 'e', 'f'].map((person, n) => submission(person, `co-${person}`, n)));
    const worker = start(deps, {});
    try {
      // Two batches of two, both waiting in their contacts upsert; the third is not claimed while both slots are taken.
      await waitUntil(() => held.length === 2, 'two batches in flight', POLL);
      expect(held.map((call) => call.emails)).toEqual([['a@co-a.com', 'b@co-b.com'], ['c@co-c.com', 'd@co-d.com']]);
      await sleep(50);
      expect(held).toHaveLength(2);
      expect(claimedJobs(runtime)).toBe(4);

      // The second finishes first: its slot goes to the third batch while the first still waits.
      held[1]?.release();
      await waitUntil(() => held.length === 2 && held[1]?.emails[0] === 'e@co-e.com', 'the third batch', POLL);
      expect(settledEvents(worker).sort()).toEqual(eventIds.slice(2, 4).sort());
      for (const call of [...held]) call.release();
      await waitUntil(() => settledEvents(worker).length === 6, 'every job settled', POLL);
    } finally {
      for (const call of [...held]) call.release();
      await worker.stop();
    }
    expect(worker.errors).toEqual([]);
    expect(maxHeld()).toBe(2);
    expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
  });

  it('skips the queue depth and age queries while the last batch claim came back full', async () => {
    const { runtime, deps, clock, held } = await open();
    await enqueue(runtime, clock, ['a', 'b', 'c', 'd', 'e'].map((person, n) => submission(person, `co-${person}`, n)));
    const calls: string[] = [];
    const jobs = deps.storage.jobs;
    const counted = {
      claim: (request: Parameters<typeof jobs.claim>[0]) => {
        if (request.lane === 'batch') calls.push('claim');
        return jobs.claim(request);
      },
      retry: (...args: Parameters<typeof jobs.retry>) => jobs.retry(...args),
      depth: () => {
        calls.push('depth');
        return jobs.depth();
      },
      oldestAgeMs: (now: Date) => {
        calls.push('age');
        return jobs.oldestAgeMs(now);
      },
    };
    const worker = start({ ...deps, storage: Object.create(deps.storage, { jobs: { value: counted, enumerable: true } }) as typeof deps.storage }, {});
    try {
      await waitUntil(() => held.length === 2, 'two batches in flight', POLL);
      // The first claim after the check came back full (2 of 2): the second went out without asking again.
      expect(calls).toEqual(['depth', 'age', 'claim', 'claim']);
      // The second batch's claim was full too, so the third (one job, less than a batch, younger than maxAgeMs) is claimed at once.
      for (const call of [...held]) call.release();
      await waitUntil(() => held.length === 1 && held[0]?.emails[0] === 'e@co-e.com', 'the tail batch', POLL);
      held[0]?.release();
      await waitUntil(() => worker.outcomes.length === 5, 'every job settled', POLL);
      // The tail claim was not full: the loop is back to checking depth and age before it claims.
      await waitUntil(() => calls.lastIndexOf('depth') > calls.lastIndexOf('claim'), 'a depth check after the tail', POLL);
    } finally {
      for (const call of [...held]) call.release();
      await worker.stop();
    }
    expect(calls.slice(0, 5)).toEqual(['depth', 'age', 'claim', 'claim', 'claim']);
  });

  it('with batchInFlight 1 runs one batch at a time', async () => {
    const { runtime, deps, clock, held, maxHeld } = await open();
    await enqueue(runtime, clock, ['a', 'b', 'c', 'd'].map((person, n) => submission(person, `co-${person}`, n)));
    const worker = start(deps, { batchInFlight: 1 });
    try {
      await waitUntil(() => held.length === 1, 'the first batch', POLL);
      await sleep(50);
      expect(held).toHaveLength(1);
      expect(claimedJobs(runtime)).toBe(2);
      held[0]?.release();
      await waitUntil(() => held.length === 1 && held[0]?.emails[0] === 'c@co-c.com', 'the second batch', POLL);
      held[0]?.release();
      await waitUntil(() => settledEvents(worker).length === 4, 'every job settled', POLL);
    } finally {
      for (const call of [...held]) call.release();
      await worker.stop();
    }
    expect(maxHeld()).toBe(1);
  });

  it("never puts a lead's later job in a second batch while its earlier job is in flight or waiting for a retry", async () => {
    const { runtime, deps, clock, held } = await open();
    // Lead a and lead b each send two updates; c and d one each. Same company for a and c: a shared record across batches.
    const [a1, b1, a2, b2, c1, d1] = await enqueue(runtime, clock, [submission('a', 'shared', 1), submission('b', 'co-b', 2), submission('a', 'shared', 3), submission('b', 'co-b', 4), submission('c', 'shared', 5), submission('d', 'co-d', 6)]);
    // One job per lead per claim, so a lead's second update can only come in a later batch.
    const worker = start(deps, { batchPerLead: 1 });
    try {
      await waitUntil(() => held.length === 2, 'two batches in flight', POLL);
      // The second batch skipped a2 and b2 (their leads' first jobs are in the first batch) and took c and d.
      expect(held.map((call) => call.emails)).toEqual([['a@shared.com', 'b@co-b.com'], ['c@shared.com', 'd@co-d.com']]);
      // The first batch's contacts write fails (transient): a1 and b1 wait for their retry, and a2, b2 with them.
      const [first, second] = held;
      first?.fail({ ok: false, code: 'CRM_UNAVAILABLE', message: 'down for the test', retryable: true });
      second?.release();
      await waitUntil(() => settledEvents(worker).length === 2, 'the second batch settled', POLL);
      expect(settledEvents(worker).sort()).toEqual([c1, d1].sort());
      expect(worker.outcomes.filter(({ outcome }) => outcome.kind === 'retry_scheduled').map(({ job }) => job.eventId).sort()).toEqual([a1, b1].sort());
      await sleep(50);
      expect(held).toEqual([]);
      expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 4 });

      // After the backoff: a1, b1 first, then a2, b2 in a batch of their own.
      clock.advance(120_000);
      await waitUntil(() => held.length === 1, 'the retried batch', POLL);
      expect(held[0]?.emails).toEqual(['a@shared.com', 'b@co-b.com']);
      held[0]?.release();
      await waitUntil(() => held.length === 1 && settledEvents(worker).length === 4, 'the later updates', POLL);
      held[0]?.release();
      await waitUntil(() => settledEvents(worker).length === 6, 'every job settled', POLL);
    } finally {
      for (const call of [...held]) call.release();
      await worker.stop();
    }
    expect(worker.errors).toEqual([]);
    // Each lead's updates settled in their order; c and d (second batch) before the retried ones.
    const order = settledEvents(worker);
    expect(order.slice(0, 2).sort()).toEqual([c1, d1].sort());
    expect(order.slice(2, 4).sort()).toEqual([a1, b1].sort());
    expect(order.slice(4).sort()).toEqual([a2, b2].sort());
    const history = async (email: string): Promise<(string | null)[]> => (await runtime.storage.audit.history(`contacts:${email}`)).filter((entry) => entry.object === 'contacts').map((entry) => entry.eventId);
    expect(await history('a@shared.com')).toEqual([a1, a2]);
    expect(await history('b@co-b.com')).toEqual([b1, b2]);
    // The company both batches named exists once.
    const [company] = await deps.crm.read('companies', [{ idField: 'domain', id: 'shared.com' }]);
    expect(company).toMatchObject({ ok: true, found: true });
    expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
  });

  it('a batch that throws leaves its jobs claimed and does not disturb the batch beside it', async () => {
    const { runtime, deps, clock, held } = await open();
    const [a, b, c, d] = await enqueue(runtime, clock, ['a', 'b', 'c', 'd'].map((person, n) => submission(person, `co-${person}`, n)));
    const worker = start(deps, {});
    try {
      await waitUntil(() => held.length === 2, 'two batches in flight', POLL);
      const [first, second] = held;
      first?.fail(new Error('connection reset for the test'));
      second?.release();
      await waitUntil(() => settledEvents(worker).length === 2, 'the second batch settled', POLL);
    } finally {
      for (const call of [...held]) call.release();
      await worker.stop();
    }
    expect(settledEvents(worker).sort()).toEqual([c, d].sort());
    expect(worker.errors).toHaveLength(1);
    expect(String(worker.errors[0])).toContain('connection reset for the test');
    // The failed batch's claims stand until the visibility timeout, then its jobs are handed out again.
    expect(claimedJobs(runtime)).toBe(2);
    clock.advance(61_000);
    const again = await runtime.storage.jobs.claim({ lane: 'batch', limit: 10, workerId: 'other', now: clock.now(), visibilityMs: 60_000 });
    expect(again.map((job) => [job.eventId, job.attempt])).toEqual([[a, 2], [b, 2]]);
  });

  it('stop() claims nothing new and resolves once both in-flight batches have finished', async () => {
    const { runtime, deps, clock, held } = await open();
    const eventIds = await enqueue(runtime, clock, ['a', 'b', 'c', 'd', 'e', 'f'].map((person, n) => submission(person, `co-${person}`, n)));
    const worker = start(deps, {});
    let stopped = false;
    try {
      await waitUntil(() => held.length === 2, 'two batches in flight', POLL);
      const stopping = worker.stop().then(() => {
        stopped = true;
      });
      await sleep(50);
      expect(stopped).toBe(false);
      for (const call of [...held]) call.release();
      await stopping;
    } finally {
      for (const call of [...held]) call.release();
      await worker.stop();
    }
    expect(stopped).toBe(true);
    // Both batches finished; the third batch was never claimed.
    expect(settledEvents(worker).sort()).toEqual(eventIds.slice(0, 4).sort());
    expect(claimedJobs(runtime)).toBe(0);
    expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 2 });
    expect(held).toEqual([]);
  });
});
