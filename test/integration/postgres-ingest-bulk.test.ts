import { describe, expect, it } from 'vitest';
import type { PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import type { NewEvent } from '../../src/ports/ingest-store.js';
import { postgresStorageForThisTest } from '../support/postgres-test-storage.js';
import { newEvent } from '../support/storage-fixtures.js';

// PostgreSQL's acceptMany sends the new events as one JSON parameter with each raw payload's
// text embedded as it is, and falls back to column arrays where JSON would store or refuse
// something differently (docs/decisions/0026-postgres-ingest-and-claim-cpu.md). These pin what
// is stored, byte for byte, on both ways.

const tempStorage = (): Promise<PostgresStorage> => postgresStorageForThisTest(2);

interface StoredRow {
  source: string;
  lead_id: string;
  lead_key: string;
  idempotency_key: string;
  payload_hash: string;
  payload: string;
  received_at: Date;
  lane: string;
  webhook_id: string | null;
}

async function storedRows(storage: PostgresStorage, eventIds: readonly string[]): Promise<StoredRow[]> {
  const { rows } = await storage.database.query<StoredRow & { id: string }>(
    'SELECT id, source, lead_id, lead_key, idempotency_key, payload_hash, payload::text AS payload, received_at, lane, webhook_id FROM events WHERE id = ANY($1::bigint[])',
    [eventIds],
  );
  const byId = new Map(rows.map(({ id, ...row }) => [id, row]));
  return eventIds.map((id) => {
    const row = byId.get(id);
    if (row === undefined) throw new Error(`event ${id} not stored`);
    return row;
  });
}

function expectedRow(event: NewEvent): StoredRow {
  return {
    source: event.source,
    lead_id: event.leadId,
    lead_key: event.leadKey,
    idempotency_key: event.idempotencyKey,
    payload_hash: event.payloadHash,
    payload: JSON.stringify(event.payload),
    received_at: event.receivedAt,
    lane: event.lane,
    webhook_id: event.webhookId ?? null,
  };
}

async function acceptedIds(storage: PostgresStorage, events: readonly NewEvent[]): Promise<string[]> {
  const results = await storage.ingest.acceptMany(events);
  return results.map((result) => {
    if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
    return result.eventId;
  });
}

describe('PostgreSQL acceptMany: what the bulk insert stores', () => {
  it('stores every column as given and each payload as the text JSON.stringify writes, with a job per event in list order', async () => {
    const storage = await tempStorage();
    const payloads: unknown[] = [
      { nested: { list: [1, 2.5, -3e-7, true, null], empty: {} }, 'key "quoted"': 'back\\slash / and "quotes"' },
      { unicode: 'Müller – 東京 😀', controls: 'tab\there\nnew line \u0001 \u001f' },
      ['an', 'array', { as: 'payload' }],
      'a string payload',
      12345,
      { big: 2 ** 60, tiny: 5e-324 },
    ];
    const events = payloads.map((payload, index) =>
      // Payloads of every JSON kind, not only objects: the port takes any JSON value.
      ({ ...newEvent({ leadId: `lead-${index % 4}`, updatedAt: `2026-01-0${index + 1}T00:00:00.000Z`, lane: index % 2 === 0 ? 'batch' : 'realtime', receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index, 123)), ...(index === 1 ? { webhookId: 'wh-"1"' } : {}) }), payload }),
    );
    const ids = await acceptedIds(storage, events);
    expect(await storedRows(storage, ids)).toEqual(events.map(expectedRow));
    const { rows: jobs } = await storage.database.query<{ event_id: string; lead_key: string; head: boolean }>('SELECT event_id, lead_key, head FROM job_queue ORDER BY id');
    // One job per event, in list order; a lead's first job is its head.
    expect(jobs).toEqual(events.map((event, index) => ({ event_id: ids[index], lead_key: event.leadKey, head: index < 4 })));
  });

  it('stores a payload that is JSON null, and one whose key holds an escaped NUL, as before (the column-array way)', async () => {
    const storage = await tempStorage();
    const events = [{ ...newEvent({ leadId: 'a' }), payload: null }, newEvent({ leadId: 'b', payload: { 'nul\u0000key': 1 } }), newEvent({ leadId: 'c' })];
    const ids = await acceptedIds(storage, events);
    expect(await storedRows(storage, ids)).toEqual(events.map(expectedRow));
    expect((await storage.ingest.getEvent(ids[0] ?? ''))?.payload).toEqual({ state: 'kept', json: null });
  });

  it('stores a payload holding a lone surrogate as its escape, as before (the column-array way)', async () => {
    const storage = await tempStorage();
    const events = [newEvent({ leadId: 'a' }), newEvent({ leadId: 'b', payload: { text: 'broken \ud800 half' } })];
    const ids = await acceptedIds(storage, events);
    expect(await storedRows(storage, ids)).toEqual(events.map(expectedRow));
    expect((await storedRows(storage, ids))[1]?.payload).toBe('{"text":"broken \\ud800 half"}');
  });

  it('queues a job behind a lead\'s unfinished job from an earlier list, and the later list\'s duplicates and conflicts see the stored rows', async () => {
    const storage = await tempStorage();
    await acceptedIds(storage, [newEvent({ leadId: 'a' }), newEvent({ leadId: 'b' })]);
    const results = await storage.ingest.acceptMany([
      newEvent({ leadId: 'a', updatedAt: '2026-02-01T00:00:00.000Z' }),
      newEvent({ leadId: 'b' }),
      newEvent({ leadId: 'a', payload: { changed: true } }),
      newEvent({ leadId: 'c' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['queued', 'duplicate', 'conflict', 'queued']);
    const { rows } = await storage.database.query<{ lead_key: string; head: boolean }>('SELECT lead_key, head FROM job_queue ORDER BY id');
    expect(rows).toEqual([
      { lead_key: 'webform:a', head: true },
      { lead_key: 'webform:b', head: true },
      { lead_key: 'webform:a', head: false },
      { lead_key: 'webform:c', head: true },
    ]);
  });
});
