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

    describe('consecutivePerLead: a lead\'s consecutive due jobs in one claim', () => {
      const claimOf = (ports: StoragePorts, clock: ManualClock, lane: Lane, options: { limit?: number; perLead?: number; workerId?: string } = {}): ReturnType<StoragePorts['jobs']['claim']> =>
        ports.jobs.claim({ lane, limit: options.limit ?? 10, workerId: options.workerId ?? 'w', now: clock.now(), visibilityMs: VISIBILITY_MS, ...(options.perLead === undefined ? {} : { consecutivePerLead: options.perLead }) });
      const at = (second: number): string => `2026-01-01T00:00:0${second}.000Z`;

      it('hands out a lead\'s following jobs with its first, in enqueue order, each with the claim', async () => {
        const { ports } = await makeStorage();
        const clock = new ManualClock();
        const x1 = await enqueue(ports, 'x', 'batch', clock, at(1));
        const y1 = await enqueue(ports, 'y', 'batch', clock, at(1));
        const x2 = await enqueue(ports, 'x', 'batch', clock, at(2));
        const x3 = await enqueue(ports, 'x', 'batch', clock, at(3));

        const claimed = await claimOf(ports, clock, 'batch', { perLead: 3, workerId: 'w1' });
        expect(claimed.map((job) => job.id)).toEqual([x1, y1, x2, x3]);
        expect(claimed.map((job) => job.attempt)).toEqual([1, 1, 1, 1]);
        expect(claimed.map((job) => job.leadKey)).toEqual(['webform:x', 'webform:y', 'webform:x', 'webform:x']);
        // Held: nobody else gets any of them, with or without the option.
        expect(await claimOf(ports, clock, 'batch', { perLead: 3, workerId: 'w2' })).toEqual([]);
        expect(await claimOf(ports, clock, 'batch', { workerId: 'w2' })).toEqual([]);

        // The holder settles them in order in one call; every settle is accepted and the queue is empty.
        const results = await ports.outcomes.settleMany([x1, x2, x3, y1].map((id) => ({ job: { id, workerId: 'w1' }, audit: [] })));
        expect(results.map((result) => result.status)).toEqual(['settled', 'settled', 'settled', 'settled']);
        expect(await ports.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
      });

      it('without the option (or with 1) hands out one job per lead, as before', async () => {
        const { ports } = await makeStorage();
        const clock = new ManualClock();
        const x1 = await enqueue(ports, 'x', 'batch', clock, at(1));
        await enqueue(ports, 'x', 'batch', clock, at(2));
        expect((await claimOf(ports, clock, 'batch', { perLead: 1 })).map((job) => job.id)).toEqual([x1]);
        expect(await claimOf(ports, clock, 'batch', { perLead: 5 })).toEqual([]);
      });

      it('stops at n jobs of a lead, at a job of another lane, and at limit (which counts jobs)', async () => {
        const { ports } = await makeStorage();
        const clock = new ManualClock();
        const x1 = await enqueue(ports, 'x', 'batch', clock, at(1));
        const x2 = await enqueue(ports, 'x', 'batch', clock, at(2));
        const x3 = await enqueue(ports, 'x', 'batch', clock, at(3));
        const x4 = await enqueue(ports, 'x', 'realtime', clock, at(4));
        const x5 = await enqueue(ports, 'x', 'batch', clock, at(5));
        const y1 = await enqueue(ports, 'y', 'batch', clock, at(1));
        const y2 = await enqueue(ports, 'y', 'batch', clock, at(2));

        // n = 2: x1, x2 of lead x; limit 3 leaves room for y's first only.
        expect((await claimOf(ports, clock, 'batch', { perLead: 2, limit: 3 })).map((job) => job.id)).toEqual([x1, x2, y1]);
        await ports.outcomes.settleMany([x1, x2, y1].map((id) => ({ job: { id, workerId: 'w' }, audit: [] })));
        // x3 is followed by a realtime job: the run stops there, and x5 behind it is not skipped to.
        expect((await claimOf(ports, clock, 'batch', { perLead: 10 })).map((job) => job.id)).toEqual([x3, y2]);
        await ports.outcomes.settleMany([x3, y2].map((id) => ({ job: { id, workerId: 'w' }, audit: [] })));
        expect(await claimOf(ports, clock, 'batch', { perLead: 10 })).toEqual([]);
        expect((await claimOf(ports, clock, 'realtime', { perLead: 10 })).map((job) => job.id)).toEqual([x4]);
        await ports.outcomes.settle({ job: { id: x4, workerId: 'w' }, audit: [] });
        expect((await claimOf(ports, clock, 'batch', { perLead: 10 })).map((job) => job.id)).toEqual([x5]);
      });

      it('gives nothing of a lead whose first job someone else holds, and the whole run once that claim expires', async () => {
        const { ports } = await makeStorage();
        const clock = new ManualClock();
        const x1 = await enqueue(ports, 'x', 'batch', clock, at(1));
        const x2 = await enqueue(ports, 'x', 'batch', clock, at(2));
        expect((await claimOf(ports, clock, 'batch', { workerId: 'dead' })).map((job) => job.id)).toEqual([x1]);
        expect(await claimOf(ports, clock, 'batch', { perLead: 5, workerId: 'alive' })).toEqual([]);
        clock.advance(VISIBILITY_MS);
        const again = await claimOf(ports, clock, 'batch', { perLead: 5, workerId: 'alive' });
        expect(again.map((job) => [job.id, job.attempt])).toEqual([
          [x1, 2],
          [x2, 1],
        ]);
        expect(await ports.outcomes.settle({ job: { id: x1, workerId: 'dead' }, audit: [] })).toEqual({ status: 'lost_claim' });
      });

      it('keeps a held follower claimed after the first job settles; it is handed out again only when its claim expires', async () => {
        const { ports } = await makeStorage();
        const clock = new ManualClock();
        const x1 = await enqueue(ports, 'x', 'batch', clock, at(1));
        const x2 = await enqueue(ports, 'x', 'batch', clock, at(2));
        expect((await claimOf(ports, clock, 'batch', { perLead: 2, workerId: 'w1' })).map((job) => job.id)).toEqual([x1, x2]);
        expect((await ports.outcomes.settle({ job: { id: x1, workerId: 'w1' }, audit: [] })).status).toBe('settled');
        expect(await claimOf(ports, clock, 'batch', { perLead: 2, workerId: 'w2' })).toEqual([]);
        clock.advance(VISIBILITY_MS);
        const [reclaimed] = await claimOf(ports, clock, 'batch', { perLead: 2, workerId: 'w2' });
        expect(reclaimed).toMatchObject({ id: x2, attempt: 2 });
        expect(await ports.outcomes.settle({ job: { id: x2, workerId: 'w1' }, audit: [] })).toEqual({ status: 'lost_claim' });
      });

      it('stops at a follower that is not due, and holds later jobs behind a retried first job', async () => {
        const { ports } = await makeStorage();
        const clock = new ManualClock();
        const x1 = await enqueue(ports, 'x', 'batch', clock, at(1));
        const x2 = await enqueue(ports, 'x', 'batch', clock, at(2));
        const x3 = await enqueue(ports, 'x', 'batch', clock, at(3));
        expect((await claimOf(ports, clock, 'batch', { perLead: 3 })).map((job) => job.id)).toEqual([x1, x2, x3]);
        // The holder's coalesced write failed: all three wait for a retry; x2 is due later than x1.
        await ports.jobs.retry(x1, { workerId: 'w', runAt: clock.after(1000), error: 'CRM_UNAVAILABLE' });
        await ports.jobs.retry(x2, { workerId: 'w', runAt: clock.after(5000), error: 'CRM_UNAVAILABLE' });
        await ports.jobs.retry(x3, { workerId: 'w', runAt: clock.after(1000), error: 'CRM_UNAVAILABLE' });
        clock.advance(999);
        expect(await claimOf(ports, clock, 'batch', { perLead: 3 })).toEqual([]);
        clock.advance(1);
        // x2 is not due yet: the run is x1 alone (x3 is not skipped to).
        const first = await claimOf(ports, clock, 'batch', { perLead: 3 });
        expect(first.map((job) => [job.id, job.attempt, job.lastError])).toEqual([[x1, 2, 'CRM_UNAVAILABLE']]);
        await ports.outcomes.settle({ job: { id: x1, workerId: 'w' }, audit: [] });
        expect(await claimOf(ports, clock, 'batch', { perLead: 3 })).toEqual([]);
        clock.advance(4000);
        expect((await claimOf(ports, clock, 'batch', { perLead: 3 })).map((job) => job.id)).toEqual([x2, x3]);
      });
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
