import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../src/app/batch-processor.js';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import { processJob, type JobProcessorDeps } from '../../src/app/job-processor.js';
import { startWorkerLoop } from '../../src/app/worker-loop.js';
import type { CrmDestination, CrmRecordFailure } from '../../src/ports/crm-destination.js';
import type { Runtime } from '../../src/server/runtime.js';
import { ManualClock } from '../support/manual-clock.js';
import { exampleRuntimeForThisTest } from '../support/example-runtime.js';

// Several updates of ONE lead inside one batch window: the queue hands the lead's
// consecutive jobs out together (`consecutivePerLead`), and the batch lane writes
// them as one CRM upsert, each job auditing its own change in source order.

const WORKER = 'worker-test';
const LEAD = 'contacts:ada.lovelace@acme-analytics.co.uk';
interface Opened {
  runtime: Runtime;
  deps: JobProcessorDeps;
  clock: ManualClock;
  upserts: { object: string; inputs: number }[];
  /** Makes the next CRM upsert of `object` fail with `failure` (once), for every input or only the one whose id is `id`. */
  readonly failNextUpsert: (object: string, failure: CrmRecordFailure, id?: string) => void;
}

async function open(): Promise<Opened> {
  const { runtime } = await exampleRuntimeForThisTest('leadsync-lead-coalesce-');
  const clock = new ManualClock('2026-11-25T12:00:00.000Z');
  const upserts: { object: string; inputs: number }[] = [];
  const failures = new Map<string, { failure: CrmRecordFailure; id: string | undefined }>();
  const real = runtime.crm;
  const crm: CrmDestination = {
    name: real.name,
    describe: () => real.describe(),
    read: (object, keys) => real.read(object, keys),
    upsert: (object, inputs) => {
      upserts.push({ object, inputs: inputs.length });
      const planned = failures.get(object);
      if (!planned) return real.upsert(object, inputs);
      failures.delete(object);
      if (planned.id === undefined) return Promise.resolve(inputs.map(() => planned.failure));
      const passing = inputs.filter((input) => input.id !== planned.id);
      return real.upsert(object, passing).then((results) => inputs.map((input) => (input.id === planned.id ? planned.failure : (results[passing.indexOf(input)] ?? planned.failure))));
    },
  };
  return {
    runtime,
    // Both lanes' CRM (the batch lane may be given its own, governed one) go through the counting wrapper.
    deps: { ...runtime.processorDeps, crm, batchCrm: crm, now: () => clock.now(), random: () => 0.5 },
    clock,
    upserts,
    failNextUpsert: (object, failure, id) => failures.set(object, { failure, id }),
  };
}

/** Three form submissions of one person, in source order: each later one changes the country; lead_source is fill_empty (first touch wins). */
function updatesOfOneLead(): Record<string, unknown>[] {
  const base = JSON.parse(readFileSync('test/fixtures/webform/demo-request.json', 'utf8')) as Record<string, unknown>;
  return [
    { ...base, submission_id: 'u1', submitted_at: '2026-11-20T14:00:00Z', country: 'United Kingdom', lead_source: 'Demo request', last_name: 'Lovelace' },
    { ...base, submission_id: 'u2', submitted_at: '2026-11-20T15:00:00Z', country: 'Germany', lead_source: 'Event', last_name: 'King' },
    { ...base, submission_id: 'u3', submitted_at: '2026-11-20T16:00:00Z', country: 'France', lead_source: 'Referral', last_name: 'Byron' },
  ];
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

async function contact(deps: JobProcessorDeps): Promise<Record<string, unknown>> {
  const [read] = await deps.crm.read('contacts', [{ idField: 'email', id: 'ada.lovelace@acme-analytics.co.uk' }]);
  if (!read?.ok || !read.found) throw new Error(`contact not found: ${JSON.stringify(read)}`);
  return read.properties;
}

/** The lead's contact audit: outcome and changes per event, oldest first. */
async function contactHistory(runtime: Runtime): Promise<{ eventId: string | null; outcome: string; changes: unknown }[]> {
  return (await runtime.storage.audit.history(LEAD)).filter((entry) => entry.object === 'contacts').map((entry) => ({ eventId: entry.eventId, outcome: entry.outcome, changes: entry.changes }));
}

describe('batch lane: several updates of one lead in one window', () => {
  it('writes them with one CRM upsert, audits each in source order, and ends where one-at-a-time processing ends', async () => {
    const batch = await open();
    const eventIds = await enqueue(batch.runtime, batch.clock, updatesOfOneLead());
    const jobs = await batch.runtime.storage.jobs.claim({ lane: 'batch', limit: 100, consecutivePerLead: 100, workerId: WORKER, now: batch.clock.now(), visibilityMs: 60_000 });
    expect(jobs.map((job) => job.eventId)).toEqual(eventIds);
    const outcomes = await processBatch(jobs, WORKER, batch.deps);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['settled', 'settled', 'settled']);

    // One CRM upsert per object, the contact once in it.
    expect(batch.upserts).toEqual([
      { object: 'contacts', inputs: 1 },
      { object: 'companies', inputs: 1 },
    ]);
    const history = await contactHistory(batch.runtime);
    expect(history.map((entry) => entry.eventId)).toEqual(eventIds);
    expect(history.map((entry) => entry.outcome)).toEqual(['written', 'written', 'written']);
    // Each job's change starts where the previous one's ended.
    const countries = history.map((entry) => (entry.changes as { field: string; before: unknown; after: unknown }[]).filter((change) => change.field === 'country').map((change) => [change.before, change.after]));
    expect(countries).toEqual([[[null, 'GB']], [['GB', 'DE']], [['DE', 'FR']]]);
    // Final values follow the merge policy: overwrite (country) → the last update's; fill_empty (lead_source) → the
    // first's; higher_confidence (lastname) → kept, since the later updates carry the same confidence, not a higher one.
    const properties = await contact(batch.deps);
    expect(properties).toMatchObject({ country: 'FR', lead_source: 'demo_request', lastname: 'Lovelace' });
    expect(await batch.runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    expect(await batch.runtime.storage.audit.verify()).toMatchObject({ ok: true });

    // The same events one job at a time (three claims, three writes) end in the same record and the same audit story.
    const single = await open();
    await enqueue(single.runtime, single.clock, updatesOfOneLead());
    for (;;) {
      const [job] = await single.runtime.storage.jobs.claim({ lane: 'batch', limit: 1, workerId: WORKER, now: single.clock.now(), visibilityMs: 60_000 });
      if (!job) break;
      expect(await processJob(job, WORKER, single.deps)).toMatchObject({ kind: 'settled' });
    }
    expect(single.upserts.filter((call) => call.object === 'contacts')).toHaveLength(3);
    expect(await contact(single.deps)).toEqual(properties);
    expect((await contactHistory(single.runtime)).map(({ outcome, changes }) => ({ outcome, changes }))).toEqual(history.map(({ outcome, changes }) => ({ outcome, changes })));
  });

  it('fails every job of the coalesced write alike when the write fails, and keeps their order for the retry', async () => {
    const { runtime, deps, clock, failNextUpsert } = await open();
    const eventIds = await enqueue(runtime, clock, updatesOfOneLead());
    const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, consecutivePerLead: 100, workerId: WORKER, now: clock.now(), visibilityMs: 60_000 });
    failNextUpsert('contacts', { ok: false, code: 'CRM_UNAVAILABLE', message: 'sandbox down for the test', retryable: true });
    const outcomes = await processBatch(jobs, WORKER, deps);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry_scheduled', 'retry_scheduled', 'retry_scheduled']);
    // Nothing of the lead was audited or settled: the contact write failed for all three.
    expect(await contactHistory(runtime)).toEqual([]);
    expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 3 });

    // After the backoff, the three come back together in their order and are written once.
    clock.advance(120_000);
    const again = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, consecutivePerLead: 100, workerId: WORKER, now: clock.now(), visibilityMs: 60_000 });
    expect(again.map((job) => [job.eventId, job.attempt])).toEqual(eventIds.map((id) => [id, 2]));
    expect((await processBatch(again, WORKER, deps)).map((outcome) => outcome.kind)).toEqual(['settled', 'settled', 'settled']);
    expect((await contactHistory(runtime)).map((entry) => entry.eventId)).toEqual(eventIds);
    expect(await contact(deps)).toMatchObject({ country: 'FR' });
  });

  it("holds a lead's later jobs back when an earlier one fails on a record they do not share", async () => {
    const { runtime, deps, clock, failNextUpsert } = await open();
    // The first update names another company than the two after it: only that company's write fails.
    const [first, ...rest] = updatesOfOneLead();
    const eventIds = await enqueue(runtime, clock, [{ ...first, company: 'Initech', website: 'https://initech.com' }, ...rest]);
    const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, consecutivePerLead: 100, workerId: WORKER, now: clock.now(), visibilityMs: 60_000 });
    failNextUpsert('companies', { ok: false, code: 'CRM_UNAVAILABLE', message: 'one company write failed', retryable: true }, 'initech.com');
    const outcomes = await processBatch(jobs, WORKER, deps);
    // The later two depended on nothing that failed, yet they wait for the first: settling them now would put them before it.
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry_scheduled', 'retry_scheduled', 'retry_scheduled']);
    expect(await contactHistory(runtime)).toEqual([]);

    clock.advance(120_000);
    const again = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, consecutivePerLead: 100, workerId: WORKER, now: clock.now(), visibilityMs: 60_000 });
    expect((await processBatch(again, WORKER, deps)).map((outcome) => outcome.kind)).toEqual(['settled', 'settled', 'settled']);
    expect((await contactHistory(runtime)).map((entry) => entry.eventId)).toEqual(eventIds);
  });

  it('the worker loop coalesces a lead\'s updates that wait in the batch lane', async () => {
    const { runtime, deps, clock, upserts } = await open();
    const eventIds = await enqueue(runtime, clock, updatesOfOneLead());
    const errors: unknown[] = [];
    const settled: string[] = [];
    const worker = startWorkerLoop(deps, {
      workerId: WORKER,
      visibilityMs: 60_000,
      realtimeConcurrency: 4,
      batchMaxSize: 3,
      batchMaxAgeMs: 60_000,
      idleMs: 5,
      onError: (error) => errors.push(error),
      onOutcome: (job, outcome) => {
        if (outcome.kind === 'settled') settled.push(job.eventId);
      },
    });
    try {
      const deadline = Date.now() + 10_000;
      while (settled.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      await worker.stop();
    }
    expect(errors).toEqual([]);
    expect(settled).toEqual(eventIds);
    expect(upserts.filter((call) => call.object === 'contacts')).toEqual([{ object: 'contacts', inputs: 1 }]);
    expect((await contactHistory(runtime)).map((entry) => entry.eventId)).toEqual(eventIds);
  });
});
