import { describe, expect, it, onTestFinished } from 'vitest';
import { processBatch } from '../../src/app/batch-processor.js';
import { leadHistory } from '../../src/app/audit-queries.js';
import { processJob } from '../../src/app/job-processor.js';
import { renderHistory } from '../../src/cli/commands/audit-command.js';
import { prepareEvent } from '../../src/core/plan/event-planner.js';
import type { Lane } from '../../src/ports/job-queue.js';
import type { NewEvent } from '../../src/ports/ingest-store.js';
import { openRuntime, type Runtime } from '../../src/server/runtime.js';
import { hubSpotWorkspaceForThisTest, type HubSpotWorkspace } from '../support/hubspot-workspace.js';

// destination.readBeforeWrite: when_needed against the HubSpot emulator over
// HTTP, with a real SQLite file: an overwrite-only record is written without a
// read (counted at the emulator), a record with a fill_empty field is still read.

const SOURCES = `sources:
  enrich: { mapping: enrich, lane: batch }
  enrich_now: { mapping: enrich, lane: realtime }
  profile: { mapping: profile, lane: batch }
mappings:
  enrich:
    version: 1
    description: Overwrite-only enrichment
    identity: { leadId: submission_id, updatedAt: submitted_at }
    objects:
      contacts:
        match: email
        fields:
          - { to: email, from: email, normalize: email }
          - { to: firstname, from: first_name }
          - { to: jobtitle, from: job_title }
  profile:
    version: 1
    description: A fill_empty field
    identity: { leadId: submission_id, updatedAt: submitted_at }
    objects:
      contacts:
        match: email
        fields:
          - { to: email, from: email, normalize: email }
          - { to: linkedin_url, from: linkedin }
policies:
  default: { policy: overwrite }
  fields:
    contacts.linkedin_url: { policy: fill_empty }
`;

async function open(readBeforeWrite: 'always' | 'when_needed'): Promise<{ rt: Runtime; ws: HubSpotWorkspace }> {
  const ws = await hubSpotWorkspaceForThisTest({ destinationYaml: `  tier: professional\n  readBeforeWrite: ${readBeforeWrite}\n`, sourcesYaml: SOURCES });
  const rt = await openRuntime(await ws.load());
  onTestFinished(() => rt.close());
  return { rt, ws };
}

async function accept(rt: Runtime, source: string, lane: Lane, payloads: readonly Record<string, unknown>[]): Promise<void> {
  const context = rt.sources.get(source)?.context;
  if (!context) throw new Error(`no source ${source}`);
  const events: NewEvent[] = payloads.map((payload) => {
    const prepared = prepareEvent(payload, context);
    if (!prepared.ok) throw new Error(prepared.rejection.message);
    const [object] = prepared.objects;
    return { source, leadId: prepared.leadId, leadKey: object?.status === 'ready' ? object.leadKey : prepared.leadId, idempotencyKey: prepared.idempotencyKey, payloadHash: prepared.payloadHash, payload, receivedAt: new Date(), lane };
  });
  await rt.storage.ingest.acceptMany(events);
}

async function drainBatch(rt: Runtime): Promise<void> {
  const jobs = await rt.storage.jobs.claim({ lane: 'batch', limit: 100, workerId: 'w1', now: new Date(), visibilityMs: 60_000 });
  expect(jobs.length).toBeGreaterThan(0);
  const outcomes = await processBatch(jobs, 'w1', rt.processorDeps);
  expect(outcomes.map((outcome) => outcome.kind)).toEqual(jobs.map(() => 'settled'));
}

const enrich = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  submission_id: `e-${i}`,
  submitted_at: '2026-11-20T10:00:00Z',
  email: `lead${i}@example.com`,
  first_name: `First ${i}`,
  job_title: 'VP Marketing',
  ...extra,
});

describe('readBeforeWrite: when_needed (HubSpot emulator)', () => {
  it('writes a batch of overwrite-only jobs with one batch upsert and no read, and audits before values as not read', async () => {
    const { rt, ws } = await open('when_needed');
    // A contact a person already typed into HubSpot; leadsync never wrote it.
    ws.emulator.reset();
    const [seededId] = ws.emulator.seed('contacts', [{ email: 'lead0@example.com', jobtitle: 'Founder' }]);

    await accept(rt, 'enrich', 'batch', [0, 1, 2, 3, 4].map((i) => enrich(i)));
    await drainBatch(rt);

    expect(ws.emulator.calls().byEndpoint).toMatchObject({ read: 0, upsert: 1 });
    const contacts = new Map(ws.emulator.records('contacts').map((record) => [record.properties['email'], record.properties]));
    for (const i of [0, 1, 2, 3, 4]) expect(contacts.get(`lead${i}@example.com`)).toMatchObject({ firstname: `First ${i}`, jobtitle: 'VP Marketing' });

    // The existing record: its before value was not read, and the audit says so.
    const existing = (await rt.storage.audit.history('contacts:lead0@example.com')).find((entry) => entry.outcome === 'written');
    expect(existing?.changes.find((change) => change.field === 'jobtitle')).toEqual({ field: 'jobtitle', before: null, after: 'VP Marketing', confidence: expect.any(Number) as number, reason: expect.any(String) as string, beforeRead: false });
    expect(existing?.crmRecordId).toBe(seededId);
    // A record the upsert created had no before value at all: nothing to flag.
    const created = (await rt.storage.audit.history('contacts:lead1@example.com')).find((entry) => entry.outcome === 'written');
    // The mapped fields but the match key, which the upsert names rather than changes: a non-empty list.
    expect(created?.changes.map((change) => change.field).sort()).toEqual(['firstname', 'jobtitle']);
    expect(created?.changes.every((change) => change.before === null && change.beforeRead === undefined)).toBe(true);
    expect(await rt.storage.audit.verify()).toMatchObject({ ok: true });

    // A second enrichment of the same leads: still no read; the stale one (older source timestamp) is skipped from leadsync's field state.
    const first = ws.emulator.calls().byEndpoint;
    await accept(rt, 'enrich', 'batch', [
      enrich(0, { submission_id: 'e-0b', submitted_at: '2026-11-21T10:00:00Z', job_title: 'CMO' }),
      enrich(1, { submission_id: 'e-1b', submitted_at: '2026-11-19T10:00:00Z', job_title: 'Intern' }),
    ]);
    await drainBatch(rt);
    expect(ws.emulator.calls().byEndpoint).toMatchObject({ read: first.read, upsert: first.upsert + 1 });
    const after = new Map(ws.emulator.records('contacts').map((record) => [record.properties['email'], record.properties]));
    expect(after.get('lead0@example.com')?.['jobtitle']).toBe('CMO');
    expect(after.get('lead1@example.com')?.['jobtitle']).toBe('VP Marketing');
    const second = (await rt.storage.audit.history('contacts:lead0@example.com')).filter((entry) => entry.outcome === 'written').at(-1);
    expect(second?.changes.find((change) => change.field === 'jobtitle')).toMatchObject({ before: 'VP Marketing', after: 'CMO', beforeRead: false });
    expect((await rt.storage.audit.history('contacts:lead1@example.com')).at(-1)?.outcome).toBe('stale');
    // `leadsync audit <lead>` says which before values were not read.
    const shown = renderHistory(await leadHistory(rt.storage.audit, 'contacts:lead0@example.com'));
    expect(shown).toContain('(not read) VP Marketing → CMO');
    expect(shown).not.toContain('(not read) Founder');
  });

  it('still reads a record whose plan has a fill_empty field, and keeps the value a person entered', async () => {
    const { rt, ws } = await open('when_needed');
    ws.emulator.reset();
    ws.emulator.seed('contacts', [{ email: 'lead7@example.com', linkedin_url: 'https://www.linkedin.com/in/typed-by-hand' }]);

    await accept(rt, 'profile', 'batch', [{ submission_id: 'p-7', submitted_at: '2026-11-20T10:00:00Z', email: 'lead7@example.com', linkedin: 'https://www.linkedin.com/in/guessed' }]);
    await accept(rt, 'enrich', 'batch', [enrich(8)]);
    await drainBatch(rt);

    // One batch read, naming only the fill_empty job's record.
    expect(ws.emulator.calls().byEndpoint).toMatchObject({ read: 1, upsert: 1 });
    const contacts = new Map(ws.emulator.records('contacts').map((record) => [record.properties['email'], record.properties]));
    expect(contacts.get('lead7@example.com')?.['linkedin_url']).toBe('https://www.linkedin.com/in/typed-by-hand');
    expect(contacts.get('lead8@example.com')).toMatchObject({ jobtitle: 'VP Marketing' });
    const kept = (await rt.storage.audit.history('contacts:lead7@example.com')).at(-1);
    expect(kept?.outcome).toBe('no_change');
  });

  it('skips the read on the realtime lane too', async () => {
    const { rt, ws } = await open('when_needed');
    ws.emulator.reset();
    await accept(rt, 'enrich_now', 'realtime', [enrich(3)]);
    const [job] = await rt.storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w1', now: new Date(), visibilityMs: 60_000 });
    if (!job) throw new Error('no job');
    expect((await processJob(job, 'w1', rt.processorDeps)).kind).toBe('settled');
    expect(ws.emulator.calls().byEndpoint).toMatchObject({ read: 0, upsert: 1 });
    expect(ws.emulator.records('contacts').find((record) => record.properties['email'] === 'lead3@example.com')?.properties).toMatchObject({ jobtitle: 'VP Marketing' });
  });

  it('reads every record under the default, readBeforeWrite: always', async () => {
    const { rt, ws } = await open('always');
    ws.emulator.reset();
    await accept(rt, 'enrich', 'batch', [enrich(5), enrich(6)]);
    await drainBatch(rt);
    expect(ws.emulator.calls().byEndpoint).toMatchObject({ read: 1, upsert: 1 });
    const entry = (await rt.storage.audit.history('contacts:lead5@example.com')).find((row) => row.outcome === 'written');
    expect(entry?.changes.map((change) => change.field).sort()).toEqual(['firstname', 'jobtitle']);
    expect(entry?.changes.every((change) => change.beforeRead === undefined)).toBe(true);
  });
});
