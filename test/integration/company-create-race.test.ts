import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import { processJob, type JobProcessorDeps } from '../../src/app/job-processor.js';
import { loadConfig } from '../../src/config/config-loader.js';
import type { CrmDestination, ReadResult, UpsertInput, UpsertResult } from '../../src/ports/crm-destination.js';
import { openRuntime, sqliteDatabaseOf, type Runtime } from '../../src/server/runtime.js';
import { startSalesforceEmulator } from '../emulators/salesforce/salesforce-emulator.js';
import { withStorage } from '../support/config-overrides.js';
import { exampleRuntimeForThisTest } from '../support/example-runtime.js';
import { hubSpotWorkspaceForThisTest } from '../support/hubspot-workspace.js';
import { schemaForThisTest, testDatabaseUrl, withTestConnection } from '../support/postgres-test-schema.js';
import { tempDirForThisTest } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-for.js';
import { startTestWorkerLoop, type TestWorkerLoop } from '../support/worker-loop-harness.js';

// "No duplicate CRM creates" for the records several leads share: companies. Contacts of
// one company are in different batches at once (batches in flight, decision 0019; several
// worker processes on PostgreSQL), so two batches can both read a new company as absent and
// both plan to create it. A gate in front of the CRM holds every company write until that
// many batches have read and planned, then lets them go together: the race happens every
// run, not by timing. Afterwards the CRM must hold one record per company, report one create
// per company, and every audit entry of a company must name that record. The guard is the
// destinations' upsert keyed by the unique match field (decision 0032).

/** The company object of the CRM under test (its records are matched on the normalized website domain). */
const HUBSPOT_OR_SANDBOX = 'companies';
const SALESFORCE = 'Account';

/**
 * Holds company upserts until `hold` of them wait, then releases them at once and lets
 * every later one through. Counts, per company key, the batch reads that found it absent
 * and the creates the CRM reported. One gate may wrap several runtimes' CRMs (worker processes).
 */
class CompanyWriteGate {
  readonly absentReads = new Map<string, number>();
  readonly creates = new Map<string, number>();
  /** Company inputs per upsert call, in call order. */
  readonly upsertCalls: string[][] = [];
  private readonly held: (() => void)[] = [];
  private open = false;

  constructor(
    readonly companyObject: string,
    private readonly hold: number,
  ) {}

  get waiting(): number {
    return this.held.length;
  }

  /** Lets every held write go and opens the gate for good (also what a failing test's cleanup calls). */
  release(): void {
    this.open = true;
    for (const go of this.held.splice(0)) go();
  }

  wrap(real: CrmDestination): CrmDestination {
    return {
      name: real.name,
      describe: () => real.describe(),
      read: async (object, keys): Promise<readonly ReadResult[]> => {
        const results = await real.read(object, keys);
        if (object === this.companyObject) {
          keys.forEach((key, index) => {
            const result = results[index];
            if (result?.ok === true && !result.found) this.absentReads.set(key.id, (this.absentReads.get(key.id) ?? 0) + 1);
          });
        }
        return results;
      },
      upsert: async (object, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> => {
        if (object !== this.companyObject) return real.upsert(object, inputs);
        this.upsertCalls.push(inputs.map((input) => input.id));
        if (!this.open) {
          await new Promise<void>((resolve) => {
            this.held.push(resolve);
            if (this.held.length >= this.hold) this.release();
          });
        }
        const results = await real.upsert(object, inputs);
        inputs.forEach((input, index) => {
          const result = results[index];
          if (result?.ok === true && result.created) this.creates.set(input.id, (this.creates.get(input.id) ?? 0) + 1);
        });
        return results;
      },
    };
  }
}

/** A demo request of `person` at `company.com`, as the batch lane receives it. */
function submission(person: string, company: string): Record<string, unknown> {
  const base = JSON.parse(readFileSync('test/fixtures/webform/demo-request.json', 'utf8')) as Record<string, unknown>;
  return { ...base, submission_id: `s-${person}`, email: `${person}@${company}.com`, company: `${company} Ltd`, website: `https://www.${company}.com/pricing` };
}

/**
 * `perCompany` new contacts of each company, interleaved (a1@x, a1@y, a1@z, a2@x, …), so a
 * batch of `companies.length` jobs names every company once and each company is in every batch.
 */
function interleaved(companies: readonly string[], perCompany: number): Record<string, unknown>[] {
  const payloads: Record<string, unknown>[] = [];
  for (let n = 0; n < perCompany; n += 1) for (const company of companies) payloads.push(submission(`p${n}-${company}`, company));
  return payloads;
}

async function enqueueBatch(runtime: Runtime, payloads: readonly Record<string, unknown>[]): Promise<void> {
  const source = runtime.sources.get('webform');
  if (!source) throw new Error('no webform source');
  for (const payload of payloads) {
    const result = await ingestEvent({ ...source, lane: 'batch', signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(payload)), headers: {} }, runtime.storage.ingest, new Date());
    if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
  }
}

/** Worker loops (one per runtime: as many worker processes) behind one gate, run until every job settled. */
async function drain(runtimes: readonly Runtime[], gate: CompanyWriteGate, jobs: number, options: { batchMaxSize: number; batchInFlight: number }): Promise<TestWorkerLoop[]> {
  const workers = runtimes.map((runtime, index) => {
    const real = runtime.processorDeps.batchCrm ?? runtime.processorDeps.crm;
    const deps: JobProcessorDeps = { ...runtime.processorDeps, batchCrm: gate.wrap(real) };
    return startTestWorkerLoop(deps, `company-race-${index}`, { ...options, batchPerLead: 1 });
  });
  try {
    await waitUntil(() => workers.reduce((sum, worker) => sum + worker.settled().length, 0) === jobs || workers.some((worker) => worker.errors.length > 0), 'every job settled', { timeoutMs: 60_000, intervalMs: 10 });
  } finally {
    gate.release();
    for (const worker of workers) await worker.stop();
  }
  for (const worker of workers) expect(worker.errors).toEqual([]);
  return workers;
}

/** What the run must show, given the CRM's own count of company records per key. */
async function expectOneRecordPerCompany(runtime: Runtime, gate: CompanyWriteGate, domains: readonly string[], crmCounts: ReadonlyMap<string, number>, racers: number): Promise<void> {
  for (const domain of domains) {
    // The race happened: several batches planned this company as new.
    expect(gate.absentReads.get(domain), `batches that read ${domain} as absent`).toBeGreaterThanOrEqual(racers);
    expect(crmCounts.get(domain), `CRM records of ${domain}`).toBe(1);
    expect(gate.creates.get(domain), `creates the CRM reported for ${domain}`).toBe(1);
  }
  expect([...crmCounts.keys()].sort()).toEqual([...domains].sort());
  for (const domain of domains) {
    const entries = (await runtime.storage.audit.history(`${gate.companyObject}:${domain}`)).filter((entry) => entry.outcome === 'written');
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((entry) => entry.crmRecordId)).size, `CRM records the audit of ${domain} names`).toBe(1);
  }
  expect((await runtime.storage.deadLetters.list()).items).toEqual([]);
  expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
  expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
}

function counted(values: readonly (string | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** The sandbox's company records per domain, through `crm_field_values` (the view for people inspecting the sandbox in SQL; one row per record and field). */
const SANDBOX_COMPANY_DOMAINS = "SELECT value_json FROM crm_field_values WHERE object = 'companies' AND field = 'domain'";

function domainCounts(rows: readonly { value_json: string }[]): Map<string, number> {
  return counted(rows.map((row) => JSON.parse(row.value_json) as string));
}

function sandboxCompanyCounts(runtime: Runtime): Map<string, number> {
  return domainCounts(sqliteDatabaseOf(runtime).prepare<[], { value_json: string }>(SANDBOX_COMPANY_DOMAINS).all());
}

const COMPANIES = ['alpha-analytics', 'beta-bakery', 'gamma-garage'];
const DOMAINS = COMPANIES.map((company) => `${company}.com`);

/** The Salesforce emulator and a runtime on examples/salesforce.yaml pointed at it (SQLite in a temp dir), closed when the test ends. */
async function salesforceRuntimeForThisTest(): Promise<{ sf: Awaited<ReturnType<typeof startSalesforceEmulator>>; runtime: Runtime }> {
  const sf = await startSalesforceEmulator();
  onTestFinished(() => sf.close());
  const dir = tempDirForThisTest('leadsync-company-race-sf-');
  const config = await loadConfig('examples/salesforce.yaml', { env: { SF_INSTANCE_URL: sf.url } });
  const runtime = await openRuntime(withStorage(config, { file: `${dir}/leadsync.db`, synchronous: 'normal' }));
  onTestFinished(() => runtime.close());
  return { sf, runtime };
}

describe('company records shared by batches in flight at once', () => {
  it('sandbox CRM (SQLite): four batches in flight each plan the same three new companies; each is created once', async () => {
    const { runtime } = await exampleRuntimeForThisTest('leadsync-company-race-');
    const gate = new CompanyWriteGate(HUBSPOT_OR_SANDBOX, 4);
    const payloads = interleaved(COMPANIES, 8);
    await enqueueBatch(runtime, payloads);
    await drain([runtime], gate, payloads.length, { batchMaxSize: COMPANIES.length, batchInFlight: 4 });
    await expectOneRecordPerCompany(runtime, gate, DOMAINS, sandboxCompanyCounts(runtime), 4);
  });

  it('one batch with several new contacts of one new company writes the company once, in one input', async () => {
    const { runtime } = await exampleRuntimeForThisTest('leadsync-company-race-');
    const gate = new CompanyWriteGate(HUBSPOT_OR_SANDBOX, 1);
    const payloads = ['ada', 'bob', 'cy', 'dee'].map((person) => submission(person, 'solo-systems'));
    await enqueueBatch(runtime, payloads);
    await drain([runtime], gate, payloads.length, { batchMaxSize: payloads.length, batchInFlight: 1 });
    expect(gate.upsertCalls).toEqual([['solo-systems.com']]);
    await expectOneRecordPerCompany(runtime, gate, ['solo-systems.com'], sandboxCompanyCounts(runtime), 1);
  });

  it('HubSpot emulator: four batches in flight race to create three companies over HTTP; each is created once', async () => {
    const workspace = await hubSpotWorkspaceForThisTest();
    const runtime = await openRuntime(await workspace.load());
    onTestFinished(() => runtime.close());
    workspace.emulator.reset();
    const gate = new CompanyWriteGate(HUBSPOT_OR_SANDBOX, 4);
    const payloads = interleaved(COMPANIES, 8);
    await enqueueBatch(runtime, payloads);
    await drain([runtime], gate, payloads.length, { batchMaxSize: COMPANIES.length, batchInFlight: 4 });
    const crmCounts = counted(workspace.emulator.records('companies').map((record) => record.properties['domain']));
    await expectOneRecordPerCompany(runtime, gate, DOMAINS, crmCounts, 4);
  });

  it('Salesforce emulator: four batches in flight race to create three Accounts; each is created once', async () => {
    const { sf, runtime } = await salesforceRuntimeForThisTest();
    const gate = new CompanyWriteGate(SALESFORCE, 4);
    const payloads = interleaved(COMPANIES, 8);
    await enqueueBatch(runtime, payloads);
    await drain([runtime], gate, payloads.length, { batchMaxSize: COMPANIES.length, batchInFlight: 4 });
    const crmCounts = counted(sf.records('Account').map((record) => (typeof record['Domain__c'] === 'string' ? record['Domain__c'] : undefined)));
    await expectOneRecordPerCompany(runtime, gate, DOMAINS, crmCounts, 4);
  });
});

describe('company records shared by two worker processes on one PostgreSQL schema', () => {
  /** `count` runtimes of the config `load` gives, on one fresh schema, as that many worker processes would open them. */
  async function postgresRuntimes(load: () => Promise<Awaited<ReturnType<typeof loadConfig>>>, count: number): Promise<{ runtimes: Runtime[]; schema: string }> {
    const runtimes: Runtime[] = [];
    const schema = schemaForThisTest(async () => {
      for (const runtime of runtimes) await runtime.close();
    });
    await withTestConnection((client) => client.query(`CREATE SCHEMA "${schema}"`));
    const base = testDatabaseUrl();
    const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    // One at a time: the first applies the migrations.
    for (let i = 0; i < count; i += 1) runtimes.push(await openRuntime(await load(), { env: { DATABASE_URL: url } }));
    for (const runtime of runtimes) expect(runtime.backend.kind).toBe('postgres');
    return { runtimes, schema };
  }

  it('sandbox CRM in PostgreSQL: 2 workers × 2 batches in flight race to create three companies; each is created once', async () => {
    const dir = tempDirForThisTest('leadsync-company-race-pg-');
    const { runtimes, schema } = await postgresRuntimes(async () => withStorage(await loadConfig('examples/leadsync.yaml', { env: {} }), { file: `${dir}/unused.db` }), 2);
    const [first] = runtimes;
    if (!first) throw new Error('no runtime');
    const gate = new CompanyWriteGate(HUBSPOT_OR_SANDBOX, 4);
    const payloads = interleaved(COMPANIES, 8);
    await enqueueBatch(first, payloads);
    await drain(runtimes, gate, payloads.length, { batchMaxSize: COMPANIES.length, batchInFlight: 2 });
    const rows = await withTestConnection(async (client) => (await client.query<{ value_json: string }>(SANDBOX_COMPANY_DOMAINS)).rows, schema);
    await expectOneRecordPerCompany(first, gate, DOMAINS, domainCounts(rows), 4);
  });

  it('HubSpot emulator: 2 workers × 2 batches in flight race to create three companies; each is created once', async () => {
    const workspace = await hubSpotWorkspaceForThisTest();
    const { runtimes } = await postgresRuntimes(() => workspace.load(), 2);
    const [first] = runtimes;
    if (!first) throw new Error('no runtime');
    workspace.emulator.reset();
    const gate = new CompanyWriteGate(HUBSPOT_OR_SANDBOX, 4);
    const payloads = interleaved(COMPANIES, 8);
    await enqueueBatch(first, payloads);
    await drain(runtimes, gate, payloads.length, { batchMaxSize: COMPANIES.length, batchInFlight: 2 });
    const crmCounts = counted(workspace.emulator.records('companies').map((record) => record.properties['domain']));
    await expectOneRecordPerCompany(first, gate, DOMAINS, crmCounts, 4);
  });
});

describe('a create race the CRM itself refuses', () => {
  // The emulator applies each write atomically, so two upserts of one new external id never
  // collide in it. Salesforce can: the upsert that loses the race to create the record may be
  // refused with DUPLICATE_VALUE on the very external id it upserts by (decision 0032). The
  // emulator's `reject` fault plays that answer back to the loser, at the moment it would come.
  it('Salesforce DUPLICATE_VALUE on the upsert\'s own external id is retried, and the retry updates the record the winner created', async () => {
    const { sf, runtime } = await salesforceRuntimeForThisTest();
    // Two demo requests from one new company, on the realtime lane: processed side by side.
    const source = runtime.sources.get('webform');
    if (!source) throw new Error('no webform source');
    for (const person of ['ada', 'bob']) {
      const result = await ingestEvent({ ...source, signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(submission(person, 'racing-robotics'))), headers: {} }, runtime.storage.ingest, new Date());
      expect(result.status).toBe('queued');
    }
    const [winner, loser] = await runtime.storage.jobs.claim({ lane: 'realtime', limit: 2, workerId: 'w', now: new Date(), visibilityMs: 60_000 });
    if (!winner || !loser) throw new Error('expected two realtime jobs');

    // The loser reads the Account as absent, then waits at its Account upsert while the winner creates it.
    const gate = new CompanyWriteGate(SALESFORCE, 2);
    const losing = processJob(loser, 'w', { ...runtime.processorDeps, crm: gate.wrap(runtime.processorDeps.crm) });
    await waitUntil(() => gate.waiting === 1, 'the loser at its Account upsert', { intervalMs: 5 });
    expect(await processJob(winner, 'w', runtime.processorDeps)).toMatchObject({ kind: 'settled', deadLetter: null });
    const [account] = sf.records('Account');
    sf.injectFault({ kind: 'reject', errorCode: 'DUPLICATE_VALUE', message: `duplicate value found: Domain__c duplicates value on record with id: ${String(account?.['Id'])}`, method: 'PATCH', times: 1 });
    gate.release();
    expect(await losing).toMatchObject({ kind: 'retry_scheduled', code: 'CRM_CREATE_RACE' });
    expect((await runtime.storage.deadLetters.list()).items).toEqual([]);

    // The retry reads the Account the winner created and writes to it: still one Account.
    const [retry] = await runtime.storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: new Date(Date.now() + 600_000), visibilityMs: 60_000 });
    if (!retry) throw new Error('expected the retry');
    expect(retry.eventId).toBe(loser.eventId);
    expect(await processJob(retry, 'w', runtime.processorDeps)).toMatchObject({ kind: 'settled', deadLetter: null });
    expect(sf.records('Account').map((record) => record['Domain__c'])).toEqual(['racing-robotics.com']);
    expect(sf.records('Lead').map((record) => record['Leadsync_Id__c']).sort()).toEqual(['ada@racing-robotics.com', 'bob@racing-robotics.com']);
    const audited = (await runtime.storage.audit.history('Account:racing-robotics.com')).filter((entry) => entry.crmRecordId !== null);
    expect(new Set(audited.map((entry) => entry.crmRecordId))).toEqual(new Set([account?.['Id']]));
  });
});
