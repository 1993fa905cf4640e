import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { processBatch } from '../../src/app/batch-processor.js';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import { processJob, type JobProcessorDeps } from '../../src/app/job-processor.js';
import type { CrmSchema } from '../../src/core/crm-schema/crm-schema-types.js';
import { sqliteDatabaseOf, type Runtime } from '../../src/server/runtime.js';
import { ManualClock } from '../support/manual-clock.js';
import { exampleRuntimeForThisTest } from '../support/example-runtime.js';

// Jobs of one batch that share a record (contacts of one company) are planned one
// after another against an in-memory view of that record and written as one
// upsert. The view must show every plan what a fresh read after the previous
// job would: processing the batch must end exactly where processing the same
// jobs one at a time ends.

const WORKER = 'worker-test';
async function open(crmSchema?: (schema: CrmSchema) => CrmSchema): Promise<{ runtime: Runtime; deps: JobProcessorDeps; clock: ManualClock }> {
  const { runtime, config } = await exampleRuntimeForThisTest('leadsync-coalesce-');
  const clock = new ManualClock('2026-11-25T12:00:00.000Z');
  const crm = crmSchema === undefined ? runtime.crm : new SandboxCrmDestination(sqliteDatabaseOf(runtime), { schema: crmSchema(config.schema), clock });
  // The batch lane calls `batchCrm` when the runtime gives one (a governed destination): the test's CRM serves both lanes.
  return { runtime, deps: { ...runtime.processorDeps, crm, batchCrm: crm, now: () => clock.now(), random: () => 0.5 }, clock };
}

/** Webform events: several people of two companies, names and countries that disagree, one stale update. */
function payloads(): Record<string, unknown>[] {
  const base = JSON.parse(readFileSync('test/fixtures/webform/demo-request.json', 'utf8')) as Record<string, unknown>;
  const variants: Partial<Record<string, unknown>>[] = [
    { email: 'ada@acme-analytics.co.uk' },
    { email: 'grace@acme-analytics.co.uk', company: 'Acme Data Laboratories', country: 'Germany', submitted_at: '2026-11-20T15:00:00Z' },
    { email: 'alan@initech.com', company: 'Initech', website: 'https://initech.com' },
    { email: 'edsger@acme-analytics.co.uk', company: 'ACME (old name)', submitted_at: '2026-11-19T09:00:00Z' },
    { email: 'barbara@acme-analytics.co.uk', job_title: 'Founder & CEO', country: 'France', submitted_at: '2026-11-21T08:00:00Z' },
    { email: 'ken@initech.com', company: 'Initech Corp', website: 'https://www.initech.com', submitted_at: '2026-11-22T08:00:00Z' },
    { email: 'ada@acme-analytics.co.uk', first_name: 'Augusta Ada', submitted_at: '2026-11-10T08:00:00Z' },
  ];
  return variants.map((variant, index) => ({ ...base, submission_id: `sub-${index}`, ...variant }));
}

async function enqueueAll(runtime: Runtime, clock: ManualClock, items: readonly Record<string, unknown>[]): Promise<void> {
  const source = runtime.sources.get('webform');
  if (!source) throw new Error('no webform source');
  for (const payload of items) {
    const result = await ingestEvent({ ...source, signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(payload)), headers: {} }, runtime.storage.ingest, clock.now());
    expect(result).toMatchObject({ status: 'queued' });
  }
}

/** Everything that should not depend on how the jobs were grouped: CRM contents and the audit's story, without ids and hashes. */
async function endState(runtime: Runtime, deps: JobProcessorDeps): Promise<unknown> {
  const records = await Promise.all([
    deps.crm.read('contacts', ['ada', 'grace', 'edsger', 'barbara'].map((name) => ({ idField: 'email', id: `${name}@acme-analytics.co.uk` }))),
    deps.crm.read('contacts', ['alan', 'ken'].map((name) => ({ idField: 'email', id: `${name}@initech.com` }))),
    deps.crm.read('companies', [{ idField: 'domain', id: 'acme-analytics.co.uk' }, { idField: 'domain', id: 'initech.com' }]),
  ]);
  const properties = records.flat().map((record) => (record.ok && record.found ? record.properties : record));
  const audit = (await runtime.storage.audit.search({ limit: 500 })).items
    .map((entry) => ({ leadKey: entry.leadKey, eventId: entry.eventId, outcome: entry.outcome, changes: entry.changes, errorCode: entry.errorCode }))
    .sort((a, b) => `${a.eventId ?? ''}|${a.leadKey}|${a.outcome}`.localeCompare(`${b.eventId ?? ''}|${b.leadKey}|${b.outcome}`));
  const fieldState = await runtime.storage.fieldState.read('companies:acme-analytics.co.uk', 'companies');
  // Row hashes cover CRM record ids, which depend on the order the records were created in.
  const verified = await runtime.storage.audit.verify();
  return { properties, audit, fieldState, verified: verified.ok ? { ok: true, rows: verified.rows } : verified };
}

describe('batch lane: records shared by jobs of one batch', () => {
  it('ends exactly where processing the jobs one at a time ends', async () => {
    const items = payloads();
    const one = await open();
    await enqueueAll(one.runtime, one.clock, items);
    for (;;) {
      const [job] = await one.runtime.storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: WORKER, now: one.clock.now(), visibilityMs: 60_000 });
      if (!job) break;
      expect(await processJob(job, WORKER, one.deps)).toMatchObject({ kind: 'settled' });
    }

    const batch = await open();
    await enqueueAll(batch.runtime, batch.clock, items);
    let batches = 0;
    for (;;) {
      const jobs = await batch.runtime.storage.jobs.claim({ lane: 'realtime', limit: 100, workerId: WORKER, now: batch.clock.now(), visibilityMs: 60_000 });
      if (jobs.length === 0) break;
      batches += 1;
      expect((await processBatch(jobs, WORKER, batch.deps)).map((outcome) => outcome.kind)).toEqual(Array(jobs.length).fill('settled'));
    }
    // Ada's second event waits for her first (per-lead order), so it runs in a second batch.
    expect(batches).toBe(2);
    expect(await endState(batch.runtime, batch.deps)).toEqual(await endState(one.runtime, one.deps));
  });

  it('writes a shared record once per batch call, with each job auditing its own change', async () => {
    const { runtime, deps, clock } = await open();
    const calls: { object: string; inputs: number }[] = [];
    const crm = deps.crm;
    const countingCrm: JobProcessorDeps['crm'] = { name: crm.name, describe: () => crm.describe(), read: (object, keys) => crm.read(object, keys), upsert: (object, inputs) => (calls.push({ object, inputs: inputs.length }), crm.upsert(object, inputs)) };
    const counting: JobProcessorDeps = { ...deps, crm: countingCrm, batchCrm: countingCrm };
    await enqueueAll(runtime, clock, payloads().slice(0, 6));
    const jobs = await runtime.storage.jobs.claim({ lane: 'realtime', limit: 100, workerId: WORKER, now: clock.now(), visibilityMs: 60_000 });
    expect(jobs).toHaveLength(6);
    await processBatch(jobs, WORKER, counting);
    expect(calls).toEqual([{ object: 'contacts', inputs: 6 }, { object: 'companies', inputs: 2 }]);
    const history = await runtime.storage.audit.history('companies:acme-analytics.co.uk');
    expect(history.map((entry) => entry.outcome)).toEqual(['written', 'written', 'stale', 'written']);
    // Each job's change starts from the value the job before it wrote, as if it had been read back.
    const countries = history.flatMap((entry) => entry.changes.filter((change) => change.field === 'country').map((change) => [change.before, change.after]));
    expect(countries).toEqual([[null, 'GB'], ['GB', 'DE'], ['DE', 'FR']]);
    const ids = new Set(history.map((entry) => entry.crmRecordId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^\d+$/);
  });

  it('when the CRM refuses a shared write, runs its jobs again one at a time so only the offending job fails', async () => {
    // The CRM knows fewer company countries than the config's schema: only Grace's (DE) is refused, and only by the CRM.
    const { runtime, deps, clock } = await open((schema) => {
      const companies = schema.objects['companies'];
      const country = companies?.fields['country'];
      if (!companies || !country) throw new Error('schema has no companies.country');
      const options = ['GB', 'US', 'FR'].map((value) => ({ value, label: value, active: true }));
      return { ...schema, objects: { ...schema.objects, companies: { ...companies, fields: { ...companies.fields, country: { ...country, type: 'picklist', options } } } } };
    });
    await enqueueAll(runtime, clock, payloads().slice(0, 3));
    const jobs = await runtime.storage.jobs.claim({ lane: 'realtime', limit: 100, workerId: WORKER, now: clock.now(), visibilityMs: 60_000 });
    const outcomes = await processBatch(jobs, WORKER, deps);
    expect(outcomes).toMatchObject([
      { kind: 'settled', deadLetter: null },
      { kind: 'settled', deadLetter: { errorCode: 'CRM_PICKLIST_MISMATCH' } },
      { kind: 'settled', deadLetter: null },
    ]);
    const [company] = await deps.crm.read('companies', [{ idField: 'domain', id: 'acme-analytics.co.uk' }]);
    expect(company).toMatchObject({ ok: true, found: true, properties: { country: 'GB' } });
    expect((await runtime.storage.audit.history('companies:acme-analytics.co.uk')).map((entry) => entry.outcome)).toEqual(['written']);
    expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
  });
});
