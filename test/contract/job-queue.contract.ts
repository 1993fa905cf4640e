import { describe, expect, it } from 'vitest';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import type { Lane } from '../../src/ports/job-queue.js';
import { ManualClock } from '../support/manual-clock.js';
import { newEvent } from '../support/storage-fixtures.js';
import type { StorageFactory } from './storage-under-test.js';

const VISIBILITY_MS = 30_000;

async function enqueue(ports: StoragePorts, leadId: string, lane: Lane, clock: ManualClock, updatedAt = '2026-01-01T00:00:00.000Z'): Promise<string> {
  const result = await ports.ingest.accept(newEvent({ leadId, lane, updatedAt, receivedAt: clock.now() }));
  if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
  return result.jobId;
}

/** Contract of JobQueue: due jobs, per-lead order across lanes, visibility timeouts, retries. */
export function jobQueueContract(makeStorage: StorageFactory): void {
  describe('JobQueue contract', () => {
    it('hands out due jobs oldest first with attempt 1, and not again while claimed', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const ids = [await enqueue(ports, 'a', 'batch', clock), await enqueue(ports, 'b', 'batch', clock), await enqueue(ports, 'c', 'batch', clock)];
      clock.advance(1);

      const first = await ports.jobs.claim({ lane: 'batch', limit: 2, workerId: 'w1', now: clock.now(), visibilityMs: VISIBILITY_MS });
      expect(first.map((job) => job.id)).toEqual(ids.slice(0, 2));
      expect(first.map((job) => job.attempt)).toEqual([1, 1]);
      expect(first[0]).toMatchObject({ lane: 'batch', leadKey: 'webform:a', lastError: null, enqueuedAt: new Date('2026-01-01T00:00:00.000Z') });

      const second = await ports.jobs.claim({ lane: 'batch', limit: 10, workerId: 'w2', now: clock.now(), visibilityMs: VISIBILITY_MS });
      expect(second.map((job) => job.id)).toEqual([ids[2]]);
      expect(await ports.jobs.claim({ lane: 'batch', limit: 10, workerId: 'w2', now: clock.now(), visibilityMs: VISIBILITY_MS })).toEqual([]);
      expect(await ports.jobs.claim({ lane: 'realtime', limit: 10, workerId: 'w2', now: clock.now(), visibilityMs: VISIBILITY_MS })).toEqual([]);
      expect(await ports.jobs.claim({ lane: 'batch', limit: 0, workerId: 'w2', now: clock.now(), visibilityMs: VISIBILITY_MS })).toEqual([]);
    });

    it('does not hand out a job before it is due', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const receivedLater = clock.after(5000);
      const result = await ports.ingest.accept(newEvent({ receivedAt: receivedLater }));
      expect(await ports.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: VISIBILITY_MS })).toEqual([]);
      const [job] = await ports.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: receivedLater, visibilityMs: VISIBILITY_MS });
      expect(job?.eventId).toBe(result.eventId);
    });

    it("keeps a lead's jobs in enqueue order across lanes: the next one waits until the first is settled", async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const firstId = await enqueue(ports, 'x', 'realtime', clock, '2026-01-01T00:00:00.000Z');
      const secondId = await enqueue(ports, 'x', 'batch', clock, '2026-01-01T00:00:01.000Z');
      const thirdId = await enqueue(ports, 'x', 'realtime', clock, '2026-01-01T00:00:02.000Z');
      const otherId = await enqueue(ports, 'y', 'batch', clock);
      const claim = (lane: Lane, workerId = 'w'): ReturnType<typeof ports.jobs.claim> =>
        ports.jobs.claim({ lane, limit: 10, workerId, now: clock.now(), visibilityMs: VISIBILITY_MS });

      // Only the other lead's job is free in the batch lane.
      expect((await claim('batch')).map((job) => job.id)).toEqual([otherId]);
      await ports.outcomes.settle({ job: { id: otherId, workerId: 'w' }, audit: [] });
      // The realtime lane gives the lead's first job, not its third, even in one claim.
      expect((await claim('realtime')).map((job) => job.id)).toEqual([firstId]);
      expect(await claim('batch')).toEqual([]);

      const settled = await ports.outcomes.settle({ job: { id: firstId, workerId: 'w' }, audit: [] });
      expect(settled.status).toBe('settled');
      expect(await claim('realtime')).toEqual([]);
      expect((await claim('batch')).map((job) => job.id)).toEqual([secondId]);

      // A job waiting for a retry still holds the lead's place.
      await ports.jobs.retry(secondId, { workerId: 'w', runAt: clock.after(60_000), error: 'CRM_UNAVAILABLE' });
      expect(await claim('realtime')).toEqual([]);
      clock.advance(60_000);
      expect((await claim('batch')).map((job) => job.id)).toEqual([secondId]);
      await ports.outcomes.settle({ job: { id: secondId, workerId: 'w' }, audit: [] });
      expect((await claim('realtime')).map((job) => job.id)).toEqual([thirdId]);
    });

    it('hands a job out again when its claim expires, counting the attempt, and refuses the dead worker', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const jobId = await enqueue(ports, 'a', 'realtime', clock);
      const [claimed] = await ports.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'dead', now: clock.now(), visibilityMs: VISIBILITY_MS });
      expect(claimed?.attempt).toBe(1);

      clock.advance(VISIBILITY_MS - 1);
      expect(await ports.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'alive', now: clock.now(), visibilityMs: VISIBILITY_MS })).toEqual([]);
      clock.advance(1);
      const [reclaimed] = await ports.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'alive', now: clock.now(), visibilityMs: VISIBILITY_MS });
      expect(reclaimed).toMatchObject({ id: jobId, attempt: 2 });

      expect(await ports.jobs.retry(jobId, { workerId: 'dead', runAt: clock.now(), error: 'late' })).toEqual({ status: 'lost_claim' });
      expect(await ports.outcomes.settle({ job: { id: jobId, workerId: 'dead' }, audit: [] })).toEqual({ status: 'lost_claim' });
      expect((await ports.outcomes.settle({ job: { id: jobId, workerId: 'alive' }, audit: [] })).status).toBe('settled');
      expect(await ports.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    });

    it('reschedules a retried job at runAt with its error, and counts the next claim as the next attempt', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const jobId = await enqueue(ports, 'a', 'batch', clock);
      await ports.jobs.claim({ lane: 'batch', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: VISIBILITY_MS });
      const runAt = clock.after(4000);
      expect(await ports.jobs.retry(jobId, { workerId: 'w', runAt, error: 'CRM_RATE_LIMITED: retry after 4s' })).toEqual({ status: 'scheduled', runAt });

      clock.advance(3999);
      expect(await ports.jobs.claim({ lane: 'batch', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: VISIBILITY_MS })).toEqual([]);
      clock.advance(1);
      const [again] = await ports.jobs.claim({ lane: 'batch', limit: 1, workerId: 'w2', now: clock.now(), visibilityMs: VISIBILITY_MS });
      expect(again).toMatchObject({ id: jobId, attempt: 2, runAt, lastError: 'CRM_RATE_LIMITED: retry after 4s' });

      // A job that is not claimed (or does not exist) cannot be retried.
      expect(await ports.jobs.retry('999999', { workerId: 'w2', runAt, error: 'x' })).toEqual({ status: 'lost_claim' });
      expect(await ports.jobs.retry('nonsense', { workerId: 'w2', runAt, error: 'x' })).toEqual({ status: 'lost_claim' });
    });

    it('reports depth and the age of the oldest unfinished job per lane', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      expect(await ports.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
      expect(await ports.jobs.oldestAgeMs(clock.now())).toEqual({ realtime: 0, batch: 0 });
      await enqueue(ports, 'a', 'batch', clock);
      clock.advance(1000);
      await enqueue(ports, 'b', 'batch', clock);
      await enqueue(ports, 'c', 'realtime', clock);
      clock.advance(500);
      // Claimed and retry-waiting jobs are unfinished, so they still count.
      await ports.jobs.claim({ lane: 'batch', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: VISIBILITY_MS });
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 2 });
      expect(await ports.jobs.oldestAgeMs(clock.now())).toEqual({ realtime: 500, batch: 1500 });
    });
  });
}
