import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { processBatch } from '../../src/app/batch-processor.js';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import { processJob, type JobProcessorDeps } from '../../src/app/job-processor.js';
import { loadConfig } from '../../src/config/config-loader.js';
import type { Lane } from '../../src/ports/job-queue.js';
import { openRuntime, type Runtime } from '../../src/server/runtime.js';
import { ManualClock } from '../support/manual-clock.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';

// The worker against real SQLite storage and the sandbox CRM, with a manual clock:
// retries, backoff bounds, dead-lettering, idempotency and the batch lane, without sleeps.

let dir: string;
let runtime: Runtime;
let clock: ManualClock;
let deps: JobProcessorDeps;
const WORKER = 'worker-test';
const VISIBILITY = 30_000;

beforeEach(async () => {
  dir = makeTempDir('leadsync-worker-');
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  runtime = await openRuntime(withStorage(config, { file: join(dir, 'leadsync.db') }));
  clock = new ManualClock('2026-11-25T12:00:00.000Z');
  // random() = 0.5 puts every backoff at half its ceiling, so the bounds are exact.
  deps = { ...runtime.processorDeps, now: () => clock.now(), random: () => 0.5 };
});

afterEach(async () => {
  await runtime.close();
  removeTempDir(dir);
});

const sandbox = (): SandboxCrmDestination => runtime.crm as SandboxCrmDestination;

async function enqueue(source: string, fixture: string, edit: (payload: Record<string, unknown>) => void = () => undefined) {
  const payload = JSON.parse(readFileSync(join('test/fixtures', source, fixture), 'utf8')) as Record<string, unknown>;
  edit(payload);
  const ingestSource = runtime.sources.get(source);
  if (!ingestSource) throw new Error(`no source ${source}`);
  const result = await ingestEvent({ ...ingestSource, signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(payload)), headers: {} }, runtime.storage.ingest, clock.now());
  return result;
}

async function claim(lane: Lane = 'realtime', limit = 10) {
  return runtime.storage.jobs.claim({ lane, limit, workerId: WORKER, now: clock.now(), visibilityMs: VISIBILITY });
}

async function runOne(lane: Lane = 'realtime') {
  const [job] = await claim(lane, 1);
  if (!job) throw new Error('no job to claim');
  return { job, outcome: await processJob(job, WORKER, deps) };
}

describe('worker: retries and dead-lettering', () => {
  it('retries a transient CRM failure with exponential backoff and full jitter, then writes', async () => {
    await enqueue('webform', 'demo-request.json');
    sandbox().injectFault({ kind: 'transient', times: 2 });
    const first = await runOne();
    expect(first.outcome).toEqual({ kind: 'retry_scheduled', code: 'CRM_UNAVAILABLE', delayMs: 500 }); // 0.5 × 1000·2⁰
    expect(await claim()).toEqual([]); // not due yet
    clock.advance(500);
    const second = await runOne();
    expect(second.job.attempt).toBe(2);
    expect(second.outcome).toEqual({ kind: 'retry_scheduled', code: 'CRM_UNAVAILABLE', delayMs: 1000 }); // 0.5 × 1000·2¹
    clock.advance(1000);
    const third = await runOne();
    expect(third.job.attempt).toBe(3);
    expect(third.outcome).toMatchObject({ kind: 'settled', deadLetter: null });
    const history = await runtime.storage.audit.history('contacts:ada.lovelace@acme-analytics.co.uk');
    expect(history.map((entry) => [entry.outcome, entry.attempt])).toEqual([['written', 3]]);
  });

  it('dead-letters after 3 retries (4 attempts) when the CRM stays down, with the last error in the trace', async () => {
    await enqueue('webform', 'demo-request.json');
    sandbox().injectFault({ kind: 'transient', times: 100 });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const { outcome } = await runOne();
      expect(outcome.kind).toBe('retry_scheduled');
      clock.advance(60_000);
    }
    const last = await runOne();
    expect(last.job.attempt).toBe(4);
    expect(last.outcome).toMatchObject({ kind: 'settled', deadLetter: { errorCode: 'CRM_UNAVAILABLE', attempts: 4 } });
    const items = await runtime.storage.deadLetters.list({ status: 'open' });
    expect(items.items).toHaveLength(1);
    expect(items.items[0]?.trace).toContain('previous attempt: CRM_UNAVAILABLE');
    expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
  });

  it('honours Retry-After on a 429 even when the jittered backoff is shorter', async () => {
    await enqueue('webform', 'demo-request.json');
    sandbox().injectFault({ kind: 'rate_limited', times: 1, retryAfterMs: 7_000 });
    expect((await runOne()).outcome).toEqual({ kind: 'retry_scheduled', code: 'CRM_RATE_LIMITED', delayMs: 7_000 });
    clock.advance(6_999);
    expect(await claim()).toEqual([]);
    clock.advance(1);
    expect((await runOne()).outcome).toMatchObject({ kind: 'settled' });
  });

  it('dead-letters a permanent CRM rejection at once, without retrying', async () => {
    await enqueue('webform', 'demo-request.json');
    sandbox().injectFault({ kind: 'permanent', times: 1 });
    const { job, outcome } = await runOne();
    expect(job.attempt).toBe(1);
    expect(outcome).toMatchObject({ kind: 'settled', deadLetter: { errorCode: 'CRM_REJECTED', attempts: 1 } });
  });

  it('reclaims the job of a worker that died after the visibility timeout', async () => {
    await enqueue('webform', 'demo-request.json');
    const [abandoned] = await claim();
    expect(abandoned?.attempt).toBe(1);
    clock.advance(VISIBILITY - 1);
    expect(await claim()).toEqual([]);
    clock.advance(1);
    const { job, outcome } = await runOne();
    expect(job.id).toBe(abandoned?.id);
    expect(job.attempt).toBe(2);
    expect(outcome).toMatchObject({ kind: 'settled' });
  });
});

describe('worker: effects happen once', () => {
  it('1,000 deliveries of one event produce one job and one write', async () => {
    const statuses = new Map<string, number>();
    for (let i = 0; i < 1_000; i += 1) {
      const result = await enqueue('webform', 'demo-request.json');
      statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ queued: 1, duplicate: 999 });
    const jobs = await claim('realtime', 100);
    expect(jobs).toHaveLength(1);
    for (const job of jobs) await processJob(job, WORKER, deps);
    const history = await runtime.storage.audit.history('contacts:ada.lovelace@acme-analytics.co.uk');
    expect(history.filter((entry) => entry.outcome === 'written')).toHaveLength(1);
  });

  it('a replayed event with nothing new writes nothing (no_change), and an older update is stale', async () => {
    await enqueue('webform', 'demo-request.json');
    await runOne();
    await enqueue('webform', 'demo-request.json', (payload) => (payload['submitted_at'] = '2026-11-20T15:00:00Z'));
    expect((await runOne()).outcome).toMatchObject({ kind: 'settled' });
    await enqueue('webform', 'demo-request.json', (payload) => {
      payload['submitted_at'] = '2026-11-01T00:00:00Z';
      payload['job_title'] = 'Intern';
    });
    expect((await runOne()).outcome).toMatchObject({ kind: 'settled' });
    const history = await runtime.storage.audit.history('contacts:ada.lovelace@acme-analytics.co.uk');
    expect(history.map((entry) => entry.outcome)).toEqual(['written', 'no_change', 'stale']);
    const [record] = await runtime.crm.read('contacts', [{ idField: 'email', id: 'ada.lovelace@acme-analytics.co.uk' }]);
    expect(record).toMatchObject({ ok: true, found: true, properties: { seniority: 'vp' } });
  });
});

describe('batch lane', () => {
  it('writes many leads with one batch read and upsert per object, splitting records shared by two jobs into rounds', async () => {
    for (let i = 0; i < 6; i += 1) {
      await enqueue('webform', 'demo-request.json', (payload) => {
        payload['email'] = `person${i}@acme-analytics.co.uk`;
        // Every lead names the same company: the company record must not appear twice in one batch call.
      });
    }
    // Move the realtime jobs to the batch lane by claiming through the batch processor directly.
    const jobs = await claim('realtime', 10);
    expect(jobs).toHaveLength(6);
    const outcomes = await processBatch(jobs, WORKER, deps);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(Array(6).fill('settled'));
    const reads = await runtime.crm.read('contacts', Array.from({ length: 6 }, (_, i) => ({ idField: 'email', id: `person${i}@acme-analytics.co.uk` })));
    expect(reads.every((read) => read.ok && read.found)).toBe(true);
    const company = await runtime.storage.audit.history('companies:acme-analytics.co.uk');
    expect(company.map((entry) => entry.outcome)).toEqual(['written', 'no_change', 'no_change', 'no_change', 'no_change', 'no_change']);
    expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
  });

  it('a failed batch call retries only the jobs it names', async () => {
    await enqueue('webform', 'demo-request.json');
    await enqueue('webform', 'contact-us-german.json');
    sandbox().injectFault({ kind: 'transient', times: 1 });
    const jobs = await claim('realtime', 10);
    const outcomes = await processBatch(jobs, WORKER, deps);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['retry_scheduled', 'retry_scheduled']);
    clock.advance(60_000);
    const again = await claim('realtime', 10);
    expect((await processBatch(again, WORKER, deps)).map((outcome) => outcome.kind)).toEqual(['settled', 'settled']);
  });
});
