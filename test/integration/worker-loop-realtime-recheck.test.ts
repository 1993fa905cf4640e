import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import type { JobProcessorDeps } from '../../src/app/job-processor.js';
import type { WorkerLoopOptions } from '../../src/app/worker-loop.js';
import { startTestWorkerLoop, type TestWorkerLoop } from '../support/worker-loop-harness.js';
import type { JobQueue, Lane } from '../../src/ports/job-queue.js';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import type { Runtime } from '../../src/server/runtime.js';
import { exampleRuntimeForThisTest } from '../support/example-runtime.js';
import { ManualClock } from '../support/manual-clock.js';
import { waitUntil } from '../support/wait-for.js';

// After a realtime claim finds nothing, the worker loop leaves the realtime lane alone for
// `realtimeEmptyRecheckMs` however often finished batches wake it (docs/decisions/0026). Real
// SQLite storage and the sandbox CRM; the queue is wrapped to count the claims of each lane.

interface Opened {
  readonly runtime: Runtime;
  readonly deps: JobProcessorDeps;
  readonly clock: ManualClock;
  /** The lane of every claim the loop made, in order. */
  readonly claims: Lane[];
}

async function open(): Promise<Opened> {
  const { runtime } = await exampleRuntimeForThisTest('leadsync-realtime-recheck-');
  const clock = new ManualClock('2026-11-25T12:00:00.000Z');
  const claims: Lane[] = [];
  const queue = runtime.storage.jobs;
  const jobs: JobQueue = {
    claim: (request) => {
      claims.push(request.lane);
      return queue.claim(request);
    },
    retry: (jobId, request) => queue.retry(jobId, request),
    depth: () => queue.depth(),
    oldestAgeMs: (now) => queue.oldestAgeMs(now),
  };
  const storage = Object.create(runtime.storage, { jobs: { value: jobs, enumerable: true } }) as StoragePorts;
  return { runtime, deps: { ...runtime.processorDeps, storage, now: () => clock.now(), random: () => 0.5 }, clock, claims };
}

async function enqueue(runtime: Runtime, clock: ManualClock, lane: Lane, people: readonly string[]): Promise<void> {
  const source = runtime.sources.get('webform');
  if (!source) throw new Error('no webform source');
  const base = JSON.parse(readFileSync('test/fixtures/webform/demo-request.json', 'utf8')) as Record<string, unknown>;
  for (const [n, person] of people.entries()) {
    const payload = { ...base, submission_id: `s-${person}`, submitted_at: `2026-11-20T14:${String(n).padStart(2, '0')}:00Z`, email: `${person}@co-${person}.com`, company: `${person} Ltd`, website: `https://co-${person}.com` };
    const result = await ingestEvent({ ...source, lane, signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: Buffer.from(JSON.stringify(payload)), headers: {} }, runtime.storage.ingest, clock.now());
    if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
  }
}

const start = (deps: JobProcessorDeps, options: Partial<WorkerLoopOptions>): TestWorkerLoop => startTestWorkerLoop(deps, 'recheck-test', options);

const POLL = { intervalMs: 5 } as const;

describe('worker loop: the realtime lane after an empty claim', () => {
  it('is not claimed again within realtimeEmptyRecheckMs while finished batches keep waking the loop', async () => {
    const { runtime, deps, clock, claims } = await open();
    await enqueue(runtime, clock, 'batch', ['a', 'b', 'c', 'd', 'e', 'f']);
    const worker = start(deps, { realtimeEmptyRecheckMs: 600_000 });
    try {
      await waitUntil(() => worker.settled().length === 6, 'six batch jobs settled', POLL);
    } finally {
      await worker.stop();
    }
    expect(worker.errors).toEqual([]);
    expect(claims.filter((lane) => lane === 'batch').length).toBeGreaterThanOrEqual(3);
    expect(claims.filter((lane) => lane === 'realtime')).toEqual(['realtime']);
  });

  it('is claimed on every round with realtimeEmptyRecheckMs 0, as before', async () => {
    const { runtime, deps, clock, claims } = await open();
    await enqueue(runtime, clock, 'batch', ['a', 'b', 'c', 'd', 'e', 'f']);
    const worker = start(deps, { realtimeEmptyRecheckMs: 0 });
    try {
      await waitUntil(() => worker.settled().length === 6, 'six batch jobs settled', POLL);
    } finally {
      await worker.stop();
    }
    expect(worker.errors).toEqual([]);
    // Every round claims the realtime lane first, then (with a free slot) the batch lane.
    const realtime = claims.filter((lane) => lane === 'realtime').length;
    expect(realtime).toBeGreaterThanOrEqual(claims.filter((lane) => lane === 'batch').length);
  });

  it('still picks up a realtime job enqueued after an empty claim, once the window has passed', async () => {
    const { runtime, deps, clock, claims } = await open();
    const worker = start(deps, { realtimeEmptyRecheckMs: 20 });
    try {
      await waitUntil(() => claims.includes('realtime'), 'a first realtime claim', POLL);
      await enqueue(runtime, clock, 'realtime', ['r']);
      await waitUntil(() => worker.settled().some((job) => job.lane === 'realtime'), 'the realtime job settled', POLL);
    } finally {
      await worker.stop();
    }
    expect(worker.errors).toEqual([]);
  });
});
