import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import { processJob } from '../../src/app/job-processor.js';
import { startWorkerLoop } from '../../src/app/worker-loop.js';
import { buildHttpApp } from '../../src/server/http-app.js';
import { openRuntime, type Runtime } from '../../src/server/runtime.js';
import { hubSpotWorkspaceForThisTest, type HubSpotWorkspace } from '../support/hubspot-workspace.js';
import { waitUntil } from '../support/wait-for.js';

// The worker, governed, against the HubSpot emulator over real HTTP and a real SQLite file.

interface SeenCall {
  readonly at: number;
  readonly path: string;
  readonly status: number;
}

/** Opens the runtime with a fetch that records every call to the emulator. */
async function open(): Promise<{ runtime: Runtime; calls: SeenCall[]; workspace: HubSpotWorkspace }> {
  const workspace = await hubSpotWorkspaceForThisTest();
  const calls: SeenCall[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    calls.push({ at: Date.now(), path: new URL(input instanceof Request ? input.url : String(input)).pathname, status: response.status });
    return response;
  };
  const runtime = await openRuntime(await workspace.load(), { fetch: recordingFetch });
  onTestFinished(() => runtime.close());
  return { runtime, calls, workspace };
}

async function enqueueDemoRequest(target: Runtime, email: string): Promise<void> {
  const payload = JSON.parse(readFileSync(join('test/fixtures/webform/demo-request.json'), 'utf8')) as Record<string, unknown>;
  const source = target.sources.get('webform');
  if (!source) throw new Error('no webform source');
  const edited = { ...payload, email, submitted_at: new Date().toISOString() };
  const result = await ingestEvent({ ...source, signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(edited)), headers: {} }, target.storage.ingest, new Date());
  if (result.status !== 'queued') throw new Error(`not queued: ${JSON.stringify(result)}`);
}

describe('rate-limit governor with the worker and the HubSpot emulator', () => {
  it('honours a 429 Retry-After: no call reaches HubSpot before it, and the job completes on its first attempt', async () => {
    const { runtime: rt, calls, workspace: ws } = await open();
    ws.emulator.injectFault({ kind: 'rate_limit', policy: 'TEN_SECONDLY_ROLLING', retryAfterSeconds: 1, on: ['read'] });
    await enqueueDemoRequest(rt, 'ada.rate@example.com');
    const loop = startWorkerLoop(rt.processorDeps, { workerId: 'w1', visibilityMs: 30_000, realtimeConcurrency: 4, batchMaxSize: 100, batchMaxAgeMs: 5_000, onError: (error) => { throw error; } });
    try {
      await waitUntil(async () => (await rt.storage.jobs.depth()).realtime === 0, 'the realtime queue to empty', { timeoutMs: 15_000, intervalMs: 20 });
    } finally {
      await loop.stop();
    }
    const refused = calls.findIndex((call) => call.status === 429);
    expect(refused).toBeGreaterThanOrEqual(0);
    const after = calls.slice(refused + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const call of after) expect(call.at - (calls[refused]?.at ?? 0)).toBeGreaterThanOrEqual(1_000 - 5);
    expect(after.every((call) => call.status === 200 || call.status === 207 || call.status === 201)).toBe(true);
    const history = await rt.storage.audit.history('contacts:ada.rate@example.com');
    expect(history.map((entry) => [entry.outcome, entry.attempt])).toContainEqual(['written', 1]);
    expect(ws.emulator.records('contacts').some((record) => record.properties['email'] === 'ada.rate@example.com')).toBe(true);
    expect((await rt.storage.deadLetters.list()).items).toEqual([]);
  });

  it('pauses the destination on a DAILY 429: the job is rescheduled after the pause, nothing is dead-lettered, and no call goes out meanwhile', async () => {
    const { runtime: rt, calls, workspace: ws } = await open();
    ws.emulator.injectFault({ kind: 'rate_limit', policy: 'DAILY', on: ['read'] });
    await enqueueDemoRequest(rt, 'grace.daily@example.com');
    const now = new Date();
    const [job] = await rt.storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w1', now, visibilityMs: 30_000 });
    if (!job) throw new Error('no job claimed');
    const outcome = await processJob(job, 'w1', rt.processorDeps);
    expect(outcome).toMatchObject({ kind: 'retry_scheduled' });
    const pausedFor = await rt.governor?.pausedForMs();
    expect(pausedFor).toBeGreaterThan(60_000);
    expect(outcome.kind === 'retry_scheduled' ? outcome.delayMs : 0).toBeGreaterThanOrEqual((pausedFor ?? 0) - 1_000);
    const status = await rt.governor?.status();
    expect(status?.pause?.reason).toMatch(/DAILY/);
    // Operators see the pause in /readyz; the service stays ready (events are still accepted).
    const app = buildHttpApp({ runtime: rt, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    await app.close();
    expect(ready.statusCode).toBe(200);
    const readiness = ready.json<{ crm: { destination: string; paused: { until: string; reason: string } | null; blockedUntil: string | null } }>();
    expect(readiness.crm.destination).toBe('hubspot');
    expect(readiness.crm.paused?.reason).toMatch(/DAILY/);
    expect(Date.parse(readiness.crm.paused?.until ?? '')).toBeGreaterThan(Date.now() + 60_000);

    // More work arrives while paused: the worker claims nothing and calls nothing; nothing is dead-lettered.
    await enqueueDemoRequest(rt, 'linus.daily@example.com');
    const before = calls.length;
    const loop = startWorkerLoop(rt.processorDeps, { workerId: 'w2', visibilityMs: 30_000, realtimeConcurrency: 4, batchMaxSize: 100, batchMaxAgeMs: 5_000, idleMs: 10, onError: (error) => { throw error; } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await loop.stop();
    expect(calls.length).toBe(before);
    expect((await rt.storage.jobs.depth()).realtime).toBe(2);
    expect((await rt.storage.deadLetters.list()).items).toEqual([]);
    const [second] = await rt.storage.jobs.claim({ lane: 'realtime', limit: 5, workerId: 'w3', now: new Date(), visibilityMs: 30_000 });
    // The second job was never claimed by the paused worker: its first claim is now.
    expect(second?.attempt).toBe(1);
  });
});
