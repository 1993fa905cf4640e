import { describe, expect, it } from 'vitest';
import { newEvent } from '../support/storage-fixtures.js';
import type { StorageFactory } from './storage-under-test.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const LATER = new Date('2026-03-01T00:00:00.000Z');

/** Contract of IngestStore: the idempotency gate and raw event storage. */
export function ingestStoreContract(makeStorage: StorageFactory): void {
  describe('IngestStore contract', () => {
    it('stores a new event and enqueues exactly one job for it', async () => {
      const { ports } = await makeStorage();
      const event = newEvent({ webhookId: 'wh-1' });
      const result = await ports.ingest.accept(event);
      expect(result.status).toBe('queued');
      if (result.status !== 'queued') return;

      const stored = await ports.ingest.getEvent(result.eventId);
      expect(stored).toEqual({
        eventId: result.eventId,
        source: event.source,
        leadId: event.leadId,
        leadKey: event.leadKey,
        idempotencyKey: event.idempotencyKey,
        payloadHash: event.payloadHash,
        payload: { state: 'kept', json: event.payload },
        receivedAt: event.receivedAt,
        lane: 'realtime',
        webhookId: 'wh-1',
      });
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
      const [job] = await ports.jobs.claim({ lane: 'realtime', limit: 10, workerId: 'w', now: T0, visibilityMs: 1000 });
      expect(job).toMatchObject({ id: result.jobId, eventId: result.eventId, leadKey: event.leadKey });
    });

    it('answers duplicate for the same key and payload hash, and stores nothing new', async () => {
      const { ports } = await makeStorage();
      const first = await ports.ingest.accept(newEvent());
      const again = await ports.ingest.accept(newEvent({ receivedAt: LATER }));
      expect(first.status).toBe('queued');
      expect(again).toEqual({ status: 'duplicate', eventId: first.eventId, reason: 'same_payload' });
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
    });

    it('records a conflict for the same key with another payload hash, and never processes it', async () => {
      const { ports } = await makeStorage();
      const original = newEvent({ payload: { title: 'VP Sales' } });
      const changed = newEvent({ payload: { title: 'CEO' }, webhookId: 'wh-9' });
      const first = await ports.ingest.accept(original);
      const conflict = await ports.ingest.accept(changed);
      expect(conflict.status).toBe('conflict');
      if (conflict.status !== 'conflict') return;
      expect(conflict.eventId).toBe(first.eventId);
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });

      // The same conflicting payload again is the same conflict, counted.
      const repeat = await ports.ingest.accept(newEvent({ payload: { title: 'CEO' }, receivedAt: LATER }));
      expect(repeat).toEqual(conflict);

      const page = await ports.ingest.listConflicts();
      expect(page.nextCursor).toBeNull();
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        conflictId: conflict.conflictId,
        eventId: first.eventId,
        source: 'webform',
        leadKey: original.leadKey,
        idempotencyKey: original.idempotencyKey,
        originalPayloadHash: original.payloadHash,
        payloadHash: changed.payloadHash,
        payload: { state: 'kept', json: { title: 'CEO' } },
        webhookId: 'wh-9',
        firstReceivedAt: T0,
        lastReceivedAt: LATER,
        deliveries: 2,
      });
    });

    it('answers duplicate for a webhook id seen before from the same source, whatever the key', async () => {
      const { ports } = await makeStorage();
      const first = await ports.ingest.accept(newEvent({ webhookId: 'delivery-7' }));
      const redelivery = await ports.ingest.accept(newEvent({ webhookId: 'delivery-7', updatedAt: '2026-02-02T00:00:00.000Z' }));
      expect(redelivery).toEqual({ status: 'duplicate', eventId: first.eventId, reason: 'webhook_id' });

      const otherSource = await ports.ingest.accept(newEvent({ source: 'clearbit', webhookId: 'delivery-7' }));
      expect(otherSource.status).toBe('queued');
      expect(await ports.jobs.depth()).toEqual({ realtime: 2, batch: 0 });
    });

    it('turns 1,000 concurrent accepts of the same event into one job', async () => {
      const { ports } = await makeStorage();
      const results = await Promise.all(Array.from({ length: 1000 }, () => ports.ingest.accept(newEvent())));
      const queued = results.filter((result) => result.status === 'queued');
      expect(queued).toHaveLength(1);
      expect(results.filter((result) => result.status === 'duplicate')).toHaveLength(999);
      expect(new Set(results.map((result) => result.eventId)).size).toBe(1);
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
    });

    it('acceptMany decides each event in order, seeing the earlier ones of the same call', async () => {
      const { ports } = await makeStorage();
      const results = await ports.ingest.acceptMany([
        newEvent({ leadId: 'a' }),
        newEvent({ leadId: 'b', lane: 'batch' }),
        newEvent({ leadId: 'a' }),
        newEvent({ leadId: 'a', payload: { other: true } }),
      ]);
      expect(results.map((result) => result.status)).toEqual(['queued', 'queued', 'duplicate', 'conflict']);
      expect(results[2]?.eventId).toBe(results[0]?.eventId);
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 1 });
      expect(await ports.ingest.acceptMany([])).toEqual([]);
    });

    it('pages conflicts newest first and filters them by source', async () => {
      const { ports } = await makeStorage();
      for (const [index, source] of ['a', 'b', 'a', 'a'].entries()) {
        const leadId = `lead-${index}`;
        await ports.ingest.accept(newEvent({ source, leadId }));
        await ports.ingest.accept(newEvent({ source, leadId, payload: { changed: true } }));
      }
      const first = await ports.ingest.listConflicts({ source: 'a', limit: 2 });
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).not.toBeNull();
      const second = await ports.ingest.listConflicts({ source: 'a', limit: 2, cursor: first.nextCursor ?? '' });
      expect(second.items).toHaveLength(1);
      expect(second.nextCursor).toBeNull();
      const ids = [...first.items, ...second.items].map((item) => Number(item.conflictId));
      expect(ids).toEqual([...ids].sort((x, y) => y - x));
      expect([...first.items, ...second.items].every((item) => item.source === 'a')).toBe(true);
      expect((await ports.ingest.listConflicts()).items).toHaveLength(4);
    });

    it('purges old payloads but keeps the hash, and keeps payloads still needed for processing or replay', async () => {
      const { ports } = await makeStorage();
      const done = await ports.ingest.accept(newEvent({ leadId: 'done' }));
      const waiting = await ports.ingest.accept(newEvent({ leadId: 'waiting' }));
      const deadLettered = await ports.ingest.accept(newEvent({ leadId: 'dead' }));
      await ports.ingest.accept(newEvent({ leadId: 'done', payload: { conflicting: 1 } }));
      const claimed = await ports.jobs.claim({ lane: 'realtime', limit: 10, workerId: 'w', now: T0, visibilityMs: 60_000 });
      const jobOf = (eventId: string): string => claimed.find((job) => job.eventId === eventId)?.id ?? 'missing';
      await ports.outcomes.settle({ job: { id: jobOf(done.eventId), workerId: 'w' }, audit: [] });
      await ports.outcomes.settle({
        job: { id: jobOf(deadLettered.eventId), workerId: 'w' },
        audit: [],
        deadLetter: {
          eventId: deadLettered.eventId, jobId: jobOf(deadLettered.eventId), source: 'webform', leadKey: 'webform:dead',
          errorCode: 'CRM_PICKLIST_MISMATCH', message: 'bad option', trace: 'trace', attempts: 1, createdAt: T0,
        },
      });

      const purged = await ports.ingest.purgePayloadsOlderThan(new Date('2026-02-01T00:00:00.000Z'), LATER);
      expect(purged).toEqual({ events: 1, conflicts: 1 });
      const doneEvent = await ports.ingest.getEvent(done.eventId);
      expect(doneEvent?.payload).toEqual({ state: 'purged', purgedAt: LATER });
      expect(doneEvent?.payloadHash).toBe(newEvent({ leadId: 'done' }).payloadHash);
      expect((await ports.ingest.getEvent(waiting.eventId))?.payload.state).toBe('kept');
      expect((await ports.ingest.getEvent(deadLettered.eventId))?.payload.state).toBe('kept');
      expect((await ports.ingest.listConflicts()).items[0]?.payload).toEqual({ state: 'purged', purgedAt: LATER });

      // Nothing newer than the cutoff is touched.
      expect(await ports.ingest.purgePayloadsOlderThan(T0, LATER)).toEqual({ events: 0, conflicts: 0 });
    });

    it('returns undefined for an event id it never issued', async () => {
      const { ports } = await makeStorage();
      expect(await ports.ingest.getEvent('424242')).toBeUndefined();
      expect(await ports.ingest.getEvent('not-an-id')).toBeUndefined();
    });

    it('getEvents answers many ids at once, in the order asked, as getEvent does one by one', async () => {
      const { ports } = await makeStorage();
      const first = await ports.ingest.accept(newEvent({ leadId: 'one' }));
      const second = await ports.ingest.accept(newEvent({ leadId: 'two', webhookId: 'wh-2' }));
      const ids = [second.eventId, '424242', first.eventId, 'not-an-id', second.eventId];
      const events = await ports.ingest.getEvents(ids);
      expect(events).toEqual(await Promise.all(ids.map((id) => ports.ingest.getEvent(id))));
      expect(events.map((event) => event?.leadId)).toEqual(['two', undefined, 'one', undefined, 'two']);
      expect(events[0]).not.toBe(events[4]);
      expect(await ports.ingest.getEvents([])).toEqual([]);
    });
  });
}
