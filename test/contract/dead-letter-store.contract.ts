import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/core/errors/error-codes.js';
import type { Lane } from '../../src/ports/job-queue.js';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import { ManualClock } from '../support/manual-clock.js';
import { auditDraft, newEvent } from '../support/storage-fixtures.js';
import type { StorageFactory } from './storage-under-test.js';

interface DeadLettered {
  readonly id: string;
  readonly eventId: string;
  readonly jobId: string;
  readonly leadKey: string;
}

/** Ingests an event, claims its job and dead-letters it, as a worker would. */
async function deadLetter(ports: StoragePorts, clock: ManualClock, spec: { leadId: string; code: ErrorCode; source?: string; lane?: Lane }): Promise<DeadLettered> {
  const lane = spec.lane ?? 'realtime';
  const accepted = await ports.ingest.accept(newEvent({ leadId: spec.leadId, source: spec.source ?? 'webform', lane, receivedAt: clock.now() }));
  if (accepted.status !== 'queued') throw new Error('expected a new event');
  const jobs = await ports.jobs.claim({ lane, limit: 100, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
  const job = jobs.find((candidate) => candidate.id === accepted.jobId);
  if (job === undefined) throw new Error('job not claimable');
  const result = await ports.outcomes.settle({
    job: { id: job.id, workerId: 'w' },
    audit: [auditDraft({ leadKey: job.leadKey, outcome: 'dead_lettered', errorCode: spec.code })],
    deadLetter: {
      eventId: job.eventId, jobId: job.id, source: spec.source ?? 'webform', leadKey: job.leadKey, errorCode: spec.code,
      message: `failed with ${spec.code}`, trace: `${spec.code} at attempt ${job.attempt}`, attempts: job.attempt, createdAt: clock.now(),
    },
  });
  if (result.status !== 'settled' || result.deadLetterId === null) throw new Error('expected a DLQ item');
  clock.advance(1000);
  return { id: result.deadLetterId, eventId: job.eventId, jobId: job.id, leadKey: job.leadKey };
}

/** Contract of DeadLetterStore: inspect, group, replay, discard. */
export function deadLetterStoreContract(makeStorage: StorageFactory): void {
  describe('DeadLetterStore contract', () => {
    it('lists items newest first, filtered and paged', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const a = await deadLetter(ports, clock, { leadId: 'a', code: 'CRM_PICKLIST_MISMATCH' });
      const b = await deadLetter(ports, clock, { leadId: 'b', code: 'CRM_UNAVAILABLE', source: 'clearbit' });
      const c = await deadLetter(ports, clock, { leadId: 'c', code: 'CRM_PICKLIST_MISMATCH' });

      const all = await ports.deadLetters.list();
      expect(all.items.map((item) => item.id)).toEqual([c.id, b.id, a.id]);
      expect(all.items[2]).toMatchObject({
        id: a.id, eventId: a.eventId, jobId: a.jobId, source: 'webform', leadKey: a.leadKey, errorCode: 'CRM_PICKLIST_MISMATCH',
        message: 'failed with CRM_PICKLIST_MISMATCH', trace: 'CRM_PICKLIST_MISMATCH at attempt 1', attempts: 1,
        createdAt: new Date('2026-01-01T00:00:00.000Z'), status: 'open',
      });
      expect((await ports.deadLetters.list({ code: 'CRM_PICKLIST_MISMATCH' })).items.map((item) => item.id)).toEqual([c.id, a.id]);
      expect((await ports.deadLetters.list({ source: 'clearbit' })).items.map((item) => item.id)).toEqual([b.id]);

      const first = await ports.deadLetters.list({ limit: 2 });
      expect(first.items.map((item) => item.id)).toEqual([c.id, b.id]);
      const second = await ports.deadLetters.list({ limit: 2, cursor: first.nextCursor ?? '' });
      expect(second).toEqual({ items: [expect.objectContaining({ id: a.id })], nextCursor: null });
    });

    it('groups open items by error code, largest group first', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      await deadLetter(ports, clock, { leadId: 'a', code: 'CRM_PICKLIST_MISMATCH' });
      await deadLetter(ports, clock, { leadId: 'b', code: 'CRM_UNAVAILABLE' });
      const discarded = await deadLetter(ports, clock, { leadId: 'c', code: 'CRM_UNAVAILABLE' });
      await deadLetter(ports, clock, { leadId: 'd', code: 'CRM_PICKLIST_MISMATCH' });
      await ports.deadLetters.markDiscarded(discarded.id, { actor: 'ops', now: clock.now() });

      expect(await ports.deadLetters.groupByCode()).toEqual([
        { errorCode: 'CRM_PICKLIST_MISMATCH', count: 2, oldestAt: new Date('2026-01-01T00:00:00.000Z'), newestAt: new Date('2026-01-01T00:00:03.000Z') },
        { errorCode: 'CRM_UNAVAILABLE', count: 1, oldestAt: new Date('2026-01-01T00:00:01.000Z'), newestAt: new Date('2026-01-01T00:00:01.000Z') },
      ]);
      expect(await ports.deadLetters.groupByCode({ status: 'discarded' })).toMatchObject([{ errorCode: 'CRM_UNAVAILABLE', count: 1 }]);
    });

    it('replays an item by enqueueing its event again, atomically with the audit entry', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const item = await deadLetter(ports, clock, { leadId: 'a', code: 'CRM_PICKLIST_MISMATCH', lane: 'batch' });
      const replay = await ports.deadLetters.markReplayed(item.id, {
        actor: 'ops@example.com',
        now: clock.now(),
        audit: [auditDraft({ leadKey: item.leadKey, eventId: item.eventId, outcome: 'replayed', actor: { kind: 'person', name: 'ops@example.com' } })],
      });
      expect(replay.status).toBe('replayed');
      if (replay.status !== 'replayed') return;
      expect(replay.auditIds).toHaveLength(1);
      expect(replay.jobId).not.toBe(item.jobId);

      const [job] = await ports.jobs.claim({ lane: 'batch', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
      expect(job).toMatchObject({ id: replay.jobId, eventId: item.eventId, attempt: 1 });
      expect(await ports.deadLetters.get(item.id)).toMatchObject({
        status: 'replayed', resolvedBy: 'ops@example.com', resolvedAt: clock.now(), replayJobId: replay.jobId,
      });
      expect((await ports.audit.history(item.leadKey)).map((entry) => entry.outcome)).toEqual(['dead_lettered', 'replayed']);

      const twice = await ports.deadLetters.markReplayed(item.id, { actor: 'ops', now: clock.now() });
      expect(twice).toMatchObject({ status: 'not_open', item: { status: 'replayed' } });
      expect(await ports.jobs.depth()).toEqual({ realtime: 0, batch: 1 });
    });

    it("puts a replayed job behind the lead's unfinished jobs", async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const item = await deadLetter(ports, clock, { leadId: 'a', code: 'CRM_UNAVAILABLE' });
      const newer = await ports.ingest.accept(newEvent({ leadId: 'a', updatedAt: '2026-01-05T00:00:00.000Z', receivedAt: clock.now() }));
      const replay = await ports.deadLetters.markReplayed(item.id, { actor: 'ops', now: clock.now() });
      const claim = (): ReturnType<typeof ports.jobs.claim> =>
        ports.jobs.claim({ lane: 'realtime', limit: 10, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
      expect((await claim()).map((job) => job.id)).toEqual([newer.status === 'queued' ? newer.jobId : 'missing']);
      expect(await claim()).toEqual([]);
      await ports.outcomes.settle({ job: { id: newer.status === 'queued' ? newer.jobId : '', workerId: 'w' }, audit: [] });
      expect((await claim()).map((job) => job.id)).toEqual([replay.status === 'replayed' ? replay.jobId : 'missing']);
    });

    it('discards an item once, audited, and says when an item is missing', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const item = await deadLetter(ports, clock, { leadId: 'a', code: 'CRM_REJECTED' });
      const discard = await ports.deadLetters.markDiscarded(item.id, {
        actor: 'ops',
        now: clock.now(),
        audit: [auditDraft({ leadKey: item.leadKey, outcome: 'discarded', actor: { kind: 'person', name: 'ops' } })],
      });
      expect(discard).toMatchObject({ status: 'discarded', auditIds: [expect.any(String)] });
      expect(await ports.deadLetters.get(item.id)).toMatchObject({ status: 'discarded', resolvedBy: 'ops', resolvedAt: clock.now() });
      expect(await ports.deadLetters.markDiscarded(item.id, { actor: 'ops', now: clock.now() })).toMatchObject({ status: 'not_open' });
      expect(await ports.deadLetters.markReplayed(item.id, { actor: 'ops', now: clock.now() })).toMatchObject({ status: 'not_open' });
      expect((await ports.deadLetters.list({ status: 'open' })).items).toEqual([]);
      expect((await ports.deadLetters.list({ status: 'discarded' })).items).toHaveLength(1);

      expect(await ports.deadLetters.get('987654')).toBeUndefined();
      expect(await ports.deadLetters.markReplayed('987654', { actor: 'ops', now: clock.now() })).toEqual({ status: 'not_found' });
      expect(await ports.deadLetters.markDiscarded('x', { actor: 'ops', now: clock.now() })).toEqual({ status: 'not_found' });
      expect(await ports.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    });
  });
}
