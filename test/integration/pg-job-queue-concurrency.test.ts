import { describe, expect, it } from 'vitest';
import type { PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import type { Lane } from '../../src/ports/job-queue.js';
import { postgresStoragesForThisTest } from '../support/postgres-test-storage.js';
import { newEvent } from '../support/storage-fixtures.js';

// Several "processes" (each its own pool) claim and settle from one PostgreSQL queue while
// producers keep enqueueing to a few hot leads across both lanes. Per-lead order must hold
// (a lead's jobs finish in enqueue order, never two of one lead in flight), and every job
// must be finished exactly once.

const LEADS = 12;
const EVENTS_PER_PRODUCER = 300;
const PRODUCERS = 2;
const WORKERS = 4;

function openShared(): Promise<PostgresStorage[]> {
  return postgresStoragesForThisTest(WORKERS + 1, { maxConnections: 3 });
}

describe('PostgreSQL job queue under concurrent workers', () => {
  it('keeps per-lead order across lanes and workers, and finishes every job once', { timeout: 120_000 }, async () => {
    const [producerStorage, ...workerStorages] = await openShared();
    if (producerStorage === undefined) throw new Error('no storage');
    // Enqueue order per lead, as the accepted results say (the order the queue must keep).
    const enqueued = new Map<string, string[]>();
    const finished = new Map<string, string[]>();
    // Lead -> who holds it; 'releasing' once the holder starts to retry or settle it (another worker may get it from then on).
    const inFlight = new Map<string, { worker: string; releasing: boolean }>();
    const violations: string[] = [];
    let producing = true;

    const producer = async (p: number): Promise<void> => {
      for (let i = 0; i < EVENTS_PER_PRODUCER; i += 1) {
        const lead = `lead-${(i * 7 + p) % LEADS}`;
        const lane: Lane = i % 3 === 0 ? 'batch' : 'realtime';
        const result = await producerStorage.ingest.accept(newEvent({ leadId: lead, lane, updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, p * 100_000 + i)).toISOString(), receivedAt: new Date() }));
        if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
        const key = `webform:${lead}`;
        // Accepts of one lead from two producers commit in the order their lock was taken; record by job id order.
        enqueued.set(key, [...(enqueued.get(key) ?? []), result.jobId]);
      }
    };

    const worker = async (index: number): Promise<void> => {
      const storage = workerStorages[index];
      if (storage === undefined) throw new Error('no storage');
      const workerId = `w${index}`;
      let idleRounds = 0;
      while (producing || idleRounds < 20) {
        const lane: Lane = Math.random() < 0.5 ? 'realtime' : 'batch';
        const jobs = await storage.jobs.claim({ lane, limit: 5, workerId, now: new Date(), visibilityMs: 60_000, consecutivePerLead: lane === 'batch' ? 3 : 1 });
        if (jobs.length === 0) {
          idleRounds += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        idleRounds = 0;
        const leads = new Set(jobs.map((job) => job.leadKey));
        for (const lead of leads) {
          const holder = inFlight.get(lead);
          if (holder !== undefined && !holder.releasing) violations.push(`lead ${lead} handed to ${workerId} while ${holder.worker} holds it`);
          inFlight.set(lead, { worker: workerId, releasing: false });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        for (const lead of leads) inFlight.set(lead, { worker: workerId, releasing: true });
        // One job in ten is retried once (due at once), the rest settled, a lead's jobs in order.
        const toSettle = [];
        for (const job of jobs) {
          if (job.attempt === 1 && Math.random() < 0.1 && !jobs.some((other) => other.leadKey === job.leadKey && other.id !== job.id)) {
            expect((await storage.jobs.retry(job.id, { workerId, runAt: new Date(), error: 'TEST' })).status).toBe('scheduled');
          } else toSettle.push(job);
        }
        // Record before the commit: once committed, the lead's next job may be finished by another worker at once.
        for (const job of toSettle) finished.set(job.leadKey, [...(finished.get(job.leadKey) ?? []), job.id]);
        const results = await storage.outcomes.settleMany(toSettle.map((job) => ({ job: { id: job.id, workerId }, audit: [] })));
        expect(results.every((result) => result.status === 'settled')).toBe(true);
        for (const lead of leads) if (inFlight.get(lead)?.worker === workerId) inFlight.delete(lead);
      }
    };

    const producers = Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p))).finally(() => (producing = false));
    await Promise.all([producers, ...Array.from({ length: WORKERS }, (_, i) => worker(i))]);

    expect(violations).toEqual([]);
    expect(await producerStorage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    let total = 0;
    for (const [lead, ids] of enqueued) {
      const byId = [...ids].sort((a, b) => Number(a) - Number(b));
      expect(finished.get(lead), lead).toEqual(byId);
      total += ids.length;
    }
    expect(total).toBe(PRODUCERS * EVENTS_PER_PRODUCER);
  });
});
