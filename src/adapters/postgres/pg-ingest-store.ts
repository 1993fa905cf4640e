import type {
  AcceptResult,
  ConflictQuery,
  ConflictRecord,
  IngestStore,
  NewEvent,
  PurgeResult,
  StoredEvent,
  StoredPayload,
} from '../../ports/ingest-store.js';
import type { Page } from '../../ports/page-types.js';
import { checkDate, encodePayload, isRowId, parseLane } from './pg-column-codecs.js';
import type { PgClient, PgDatabase } from './pg-database.js';
import type { PgJobQueueTransactions } from './pg-job-queue-link.js';
import { decodeIdCursor, encodeIdCursor, pageLimit, SqlFilters, takePage } from './pg-paging.js';

interface EventRow {
  id: string;
  source: string;
  lead_id: string;
  lead_key: string;
  idempotency_key: string;
  payload_hash: string;
  /** The json column as text: parsed here, so the stored text is what comes back. */
  payload: string | null;
  payload_purged_at: Date | null;
  received_at: Date;
  lane: string;
  webhook_id: string | null;
}

interface ConflictRow {
  id: string;
  event_id: string;
  source: string;
  lead_key: string;
  idempotency_key: string;
  original_payload_hash: string;
  payload_hash: string;
  payload: string | null;
  payload_purged_at: Date | null;
  webhook_id: string | null;
  first_received_at: Date;
  last_received_at: Date;
  deliveries: number;
}

/** Events whose payload retention looks at per round trip. */
const PURGE_PAGE = 1000;

function storedPayload(json: string | null, purgedAt: Date | null): StoredPayload {
  if (json === null) return { state: 'purged', purgedAt: purgedAt ?? new Date(0) };
  return { state: 'kept', json: JSON.parse(json) as unknown };
}

/** Parsed afresh for every call, so two results never share a payload object. */
function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.id,
    source: row.source,
    leadId: row.lead_id,
    leadKey: row.lead_key,
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    payload: storedPayload(row.payload, row.payload_purged_at),
    receivedAt: row.received_at,
    lane: parseLane(row.lane),
    webhookId: row.webhook_id,
  };
}

function toConflict(row: ConflictRow): ConflictRecord {
  return {
    conflictId: row.id,
    eventId: row.event_id,
    source: row.source,
    leadKey: row.lead_key,
    idempotencyKey: row.idempotency_key,
    originalPayloadHash: row.original_payload_hash,
    payloadHash: row.payload_hash,
    payload: storedPayload(row.payload, row.payload_purged_at),
    webhookId: row.webhook_id,
    firstReceivedAt: row.first_received_at,
    lastReceivedAt: row.last_received_at,
    deliveries: row.deliveries,
  };
}

const CONFLICT_COLUMNS = `c.id, c.event_id, e.source, e.lead_key, e.idempotency_key, e.payload_hash AS original_payload_hash,
  c.payload_hash, c.payload::text AS payload, c.payload_purged_at, c.webhook_id, c.first_received_at, c.last_received_at, c.deliveries`;

/** How many times `accept` looks again after losing an insert race to another process. */
const RACE_ROUNDS = 3;

/** `acceptMany`'s bulk insert lost a race to another process: its transaction rolls back and the list goes one event at a time. */
class LostInsertRace extends Error {
  constructor() {
    super('accept: another process inserted one of the keys meanwhile');
  }
}

/** A JSON escape PostgreSQL cannot turn into text (`\u0000`, a surrogate) — conservative: an escaped backslash before "u0000" counts too. */
const UNSAFE_JSON_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
/** An ISO time PostgreSQL reads as it is: years 0000–9999 (`toISOString` writes others with a sign). */
const PLAIN_ISO_TIME = /^\d{4}-/;

/**
 * The new events of an `acceptMany` as a FROM item with the columns of
 * `events` plus `ord` (list order), and its parameters. Usually one `json`
 * parameter: the rows written as JSON text with each raw payload's text
 * embedded as it is (no quoting, no escaping, no array literal; the server
 * parses the whole once, and a `json` column keeps the sub-value's text byte
 * for byte). Column arrays, as before, when the JSON way would store or
 * refuse something differently: a payload that is JSON `null` (a `json`
 * column would read SQL NULL), an escape PostgreSQL cannot turn into text
 * (`\u0000`, a lone surrogate, which the JSON parser refuses where the
 * text columns and array elements took them), or a time outside years 0–9999.
 */
function freshEventsInput(rows: readonly { readonly event: NewEvent; readonly payload: string }[]): { source: string; values: unknown[] } {
  const parts: string[] = [];
  let plain = true;
  for (const { event, payload } of rows) {
    const time = event.receivedAt.toISOString();
    if (payload === 'null' || !PLAIN_ISO_TIME.test(time)) {
      plain = false;
      break;
    }
    parts.push(
      `{"source":${JSON.stringify(event.source)},"lead_id":${JSON.stringify(event.leadId)},"lead_key":${JSON.stringify(event.leadKey)},"idempotency_key":${JSON.stringify(event.idempotencyKey)},"payload_hash":${JSON.stringify(event.payloadHash)},"payload":${payload},"received_at":"${time}","lane":${JSON.stringify(event.lane)},"webhook_id":${event.webhookId === undefined ? 'null' : JSON.stringify(event.webhookId)}}`,
    );
  }
  const text = plain ? `[${parts.join(',')}]` : '';
  if (plain && !UNSAFE_JSON_ESCAPE.test(text)) {
    return {
      source: `ROWS FROM (json_to_recordset($1::json) AS (source text, lead_id text, lead_key text, idempotency_key text, payload_hash text, payload json, received_at timestamptz, lane text, webhook_id text))
           WITH ORDINALITY AS u (source, lead_id, lead_key, idempotency_key, payload_hash, payload, received_at, lane, webhook_id, ord)`,
      values: [text],
    };
  }
  const column = <T>(pick: (row: { readonly event: NewEvent; readonly payload: string }) => T): T[] => rows.map(pick);
  return {
    source: `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::json[], $7::timestamptz[], $8::text[], $9::text[])
           WITH ORDINALITY AS u (source, lead_id, lead_key, idempotency_key, payload_hash, payload, received_at, lane, webhook_id, ord)`,
    values: [
      column((r) => r.event.source), column((r) => r.event.leadId), column((r) => r.event.leadKey), column((r) => r.event.idempotencyKey),
      column((r) => r.event.payloadHash), column((r) => r.payload), column((r) => r.event.receivedAt), column((r) => r.event.lane),
      column((r) => r.event.webhookId ?? null),
    ],
  };
}

/**
 * The idempotency gate and raw event store on PostgreSQL. Any number of API
 * processes may accept at once: the unique indexes on the idempotency key
 * and on (source, webhook id) decide, and a process that loses an insert
 * race (`ON CONFLICT DO NOTHING` returned no row) reads the winner's row,
 * which it then sees as a duplicate or a conflict.
 */
export class PgIngestStore implements IngestStore {
  constructor(
    private readonly database: PgDatabase,
    private readonly queue: PgJobQueueTransactions,
  ) {}

  private async acceptOne(client: PgClient, event: NewEvent): Promise<AcceptResult> {
    const receivedAt = checkDate(event.receivedAt);
    const payload = encodePayload(event.payload);
    for (let round = 0; round < RACE_ROUNDS; round += 1) {
      if (event.webhookId !== undefined) {
        const seen = (await client.query<{ id: string }>('SELECT id FROM events WHERE source = $1 AND webhook_id = $2', [event.source, event.webhookId])).rows[0];
        if (seen !== undefined) return { status: 'duplicate', eventId: seen.id, reason: 'webhook_id' };
      }
      const original = (await client.query<{ id: string; payload_hash: string }>('SELECT id, payload_hash FROM events WHERE idempotency_key = $1', [event.idempotencyKey])).rows[0];
      if (original !== undefined) {
        if (original.payload_hash === event.payloadHash) return { status: 'duplicate', eventId: original.id, reason: 'same_payload' };
        // A repeated conflicting delivery counts on its first row instead of adding rows.
        const conflict = (
          await client.query<{ id: string }>(
            `INSERT INTO conflicts (event_id, payload_hash, payload, webhook_id, first_received_at, last_received_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (event_id, payload_hash) DO UPDATE SET
               deliveries = conflicts.deliveries + 1,
               last_received_at = greatest(conflicts.last_received_at, excluded.last_received_at)
             RETURNING id`,
            [original.id, event.payloadHash, payload, event.webhookId ?? null, receivedAt],
          )
        ).rows[0];
        if (conflict === undefined) throw new Error('conflict upsert returned no row');
        return { status: 'conflict', eventId: original.id, conflictId: conflict.id };
      }
      const inserted = (
        await client.query<{ id: string }>(
          `INSERT INTO events (source, lead_id, lead_key, idempotency_key, payload_hash, payload, received_at, lane, webhook_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT DO NOTHING
           RETURNING id`,
          [event.source, event.leadId, event.leadKey, event.idempotencyKey, event.payloadHash, payload, receivedAt, event.lane, event.webhookId ?? null],
        )
      ).rows[0];
      if (inserted !== undefined) {
        const [jobId] = await this.queue.enqueueJobsInTransaction(client, [
          { eventId: inserted.id, leadKey: event.leadKey, lane: event.lane, at: receivedAt },
        ]);
        if (jobId === undefined) throw new Error('enqueue returned no job id');
        return { status: 'queued', eventId: inserted.id, jobId };
      }
      // Another process committed the same key or webhook id between our read and our insert: read again.
    }
    throw new Error(`accept: idempotency key of source ${event.source} kept changing under concurrent inserts`);
  }

  accept(event: NewEvent): Promise<AcceptResult> {
    return this.database.withTransaction(async (client) => this.acceptOne(client, event));
  }

  async acceptMany(events: readonly NewEvent[]): Promise<readonly AcceptResult[]> {
    if (events.length === 0) return [];
    if (events.length > 1) {
      // A few statements for the whole list instead of four per event. When another process
      // inserted one of the keys meanwhile, the transaction rolls back (nothing of it is kept)
      // and the list goes again one event at a time — a new transaction instead of a savepoint,
      // so the common case pays for no subtransaction.
      try {
        return await this.database.withTransaction(async (client) => this.acceptBulk(client, events));
      } catch (error) {
        if (!(error instanceof LostInsertRace)) throw error;
      }
    }
    return this.database.withTransaction(async (client) => {
      const results: AcceptResult[] = [];
      // In order: later events of the list see the earlier ones.
      for (const event of events) results.push(await this.acceptOne(client, event));
      return results;
    });
  }

  /**
   * `acceptMany` in bulk: one lookup of every key and webhook id, the decisions
   * made here in list order (later events see earlier ones), the new events'
   * leads locked, then one statement that inserts the new events and enqueues
   * their jobs. Throws `LostInsertRace` when the insert lost a race to another
   * process (a row it expected to insert already existed); the caller's
   * transaction rolls back and it goes one event at a time.
   */
  private async acceptBulk(client: PgClient, events: readonly NewEvent[]): Promise<AcceptResult[]> {
    const payloads = events.map((event) => encodePayload(event.payload));
    events.forEach((event) => checkDate(event.receivedAt));
    const withWebhook = events.filter((event) => event.webhookId !== undefined);
    const [byKey, byWebhook] = await Promise.all([
      client.query<{ id: string; idempotency_key: string; payload_hash: string }>(
        // LATERAL … LIMIT 1: one probe of the unique index per key, however stale the statistics
        // (during a backfill a plain `= ANY` over a fast-growing table is planned as a scan of it).
        'SELECT e.id, e.idempotency_key, e.payload_hash FROM unnest($1::text[]) AS k (key) CROSS JOIN LATERAL (SELECT id, idempotency_key, payload_hash FROM events WHERE idempotency_key = k.key LIMIT 1) AS e',
        [events.map((event) => event.idempotencyKey)],
      ),
      withWebhook.length === 0
        ? Promise.resolve({ rows: [] as { id: string; source: string; webhook_id: string }[] })
        : client.query<{ id: string; source: string; webhook_id: string }>(
            'SELECT e.id, e.source, e.webhook_id FROM unnest($1::text[], $2::text[]) AS w (source, webhook_id) CROSS JOIN LATERAL (SELECT id, source, webhook_id FROM events WHERE source = w.source AND webhook_id = w.webhook_id LIMIT 1) AS e',
            [withWebhook.map((event) => event.source), withWebhook.map((event) => event.webhookId)],
          ),
    ]);
    // Known rows: id (or the index of a new event of this list, until it has an id) and payload hash.
    type Known = { readonly id: string } | { readonly index: number };
    const keys = new Map<string, { known: Known; payloadHash: string }>(byKey.rows.map((row) => [row.idempotency_key, { known: { id: row.id }, payloadHash: row.payload_hash }]));
    const webhooks = new Map<string, Known>(byWebhook.rows.map((row) => [JSON.stringify([row.source, row.webhook_id]), { id: row.id }]));
    type Decision =
      | { readonly kind: 'duplicate'; readonly of: Known; readonly reason: 'same_payload' | 'webhook_id' }
      | { readonly kind: 'conflict'; readonly of: Known }
      | { readonly kind: 'new' };
    const decisions: Decision[] = events.map((event, index): Decision => {
      const webhookKey = event.webhookId === undefined ? undefined : JSON.stringify([event.source, event.webhookId]);
      const seenWebhook = webhookKey === undefined ? undefined : webhooks.get(webhookKey);
      if (seenWebhook !== undefined) return { kind: 'duplicate', of: seenWebhook, reason: 'webhook_id' };
      const original = keys.get(event.idempotencyKey);
      if (original !== undefined) {
        return original.payloadHash === event.payloadHash ? { kind: 'duplicate', of: original.known, reason: 'same_payload' } : { kind: 'conflict', of: original.known };
      }
      keys.set(event.idempotencyKey, { known: { index }, payloadHash: event.payloadHash });
      if (webhookKey !== undefined) webhooks.set(webhookKey, { index });
      return { kind: 'new' };
    });

    const fresh = events.flatMap((event, index) => (decisions[index]?.kind === 'new' ? [{ event, index }] : []));
    const ids = new Map<number, string>();
    const jobIds = new Map<number, string>();
    if (fresh.length > 0) {
      // The leads first, in a statement of their own: the enqueue must read the queue as it is
      // once the locks are held (0005: a job enqueued while its lead's head completes).
      await this.queue.lockLeadsInTransaction(client, fresh.map(({ event }) => event.leadKey));
      const input = freshEventsInput(fresh.map(({ event, index }) => ({ event, payload: payloads[index] ?? '' })));
      // One statement: the events (ON CONFLICT DO NOTHING: a key another process inserted
      // meanwhile is left out) and, for the events inserted, their jobs.
      const inserted = await client.query<{ id: string; idempotency_key: string; job_id: string | null }>(
        `WITH input AS MATERIALIZED (
           SELECT * FROM ${input.source}
         ), stored AS (
           INSERT INTO events (source, lead_id, lead_key, idempotency_key, payload_hash, payload, received_at, lane, webhook_id)
           SELECT source, lead_id, lead_key, idempotency_key, payload_hash, payload, received_at, lane, webhook_id
           FROM input ORDER BY ord
           ON CONFLICT DO NOTHING
           RETURNING id, idempotency_key, lead_key, lane, received_at
         ), jobs AS (
           ${this.queue.enqueueJobsSql('(SELECT s.id AS event_id, s.lead_key, s.lane, s.received_at AS at, i.ord FROM stored s JOIN input i ON i.idempotency_key = s.idempotency_key) AS j')}
         )
         SELECT s.id, s.idempotency_key, jobs.id AS job_id FROM stored s LEFT JOIN jobs ON jobs.event_id = s.id`,
        input.values,
      );
      if (inserted.rows.length !== fresh.length) throw new LostInsertRace();
      const byInsertedKey = new Map(inserted.rows.map((row) => [row.idempotency_key, row]));
      for (const { event, index } of fresh) {
        const row = byInsertedKey.get(event.idempotencyKey);
        if (row === undefined) throw new LostInsertRace();
        if (row.job_id === null) throw new Error('enqueue returned no job id');
        ids.set(index, row.id);
        jobIds.set(index, row.job_id);
      }
    }
    const idOf = (known: Known): string => {
      if ('id' in known) return known.id;
      const id = ids.get(known.index);
      if (id === undefined) throw new Error(`accept: event ${known.index} of the list has no id`);
      return id;
    };
    const results: AcceptResult[] = [];
    for (const [index, event] of events.entries()) {
      const decision = decisions[index];
      if (decision === undefined) throw new Error('accept: missing decision');
      if (decision.kind === 'duplicate') {
        results.push({ status: 'duplicate', eventId: idOf(decision.of), reason: decision.reason });
      } else if (decision.kind === 'conflict') {
        // Rare; in list order, so a repeated conflicting payload counts on its first row.
        const eventId = idOf(decision.of);
        const conflict = (
          await client.query<{ id: string }>(
            `INSERT INTO conflicts (event_id, payload_hash, payload, webhook_id, first_received_at, last_received_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (event_id, payload_hash) DO UPDATE SET
               deliveries = conflicts.deliveries + 1,
               last_received_at = greatest(conflicts.last_received_at, excluded.last_received_at)
             RETURNING id`,
            [eventId, event.payloadHash, payloads[index], event.webhookId ?? null, event.receivedAt],
          )
        ).rows[0];
        if (conflict === undefined) throw new Error('conflict upsert returned no row');
        results.push({ status: 'conflict', eventId, conflictId: conflict.id });
      } else {
        const jobId = jobIds.get(index);
        if (jobId === undefined) throw new Error('enqueue returned no job id');
        results.push({ status: 'queued', eventId: idOf({ index }), jobId });
      }
    }
    return results;
  }

  async getEvent(eventId: string): Promise<StoredEvent | undefined> {
    const [event] = await this.getEvents([eventId]);
    return event;
  }

  async getEvents(eventIds: readonly string[]): Promise<readonly (StoredEvent | undefined)[]> {
    const ids = [...new Set(eventIds.filter(isRowId))];
    if (ids.length === 0) return eventIds.map(() => undefined);
    // One round trip for a whole batch's events.
    const { rows } = await this.database.query<EventRow>(
      `SELECT id, source, lead_id, lead_key, idempotency_key, payload_hash, payload::text AS payload, payload_purged_at,
         received_at, lane, webhook_id
       FROM events WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return eventIds.map((eventId) => {
      const row = isRowId(eventId) ? byId.get(eventId) : undefined;
      return row === undefined ? undefined : toStoredEvent(row);
    });
  }

  async listConflicts(query: ConflictQuery = {}): Promise<Page<ConflictRecord>> {
    const limit = pageLimit(query.limit);
    const filters = new SqlFilters();
    if (query.source !== undefined) filters.add('e.source = ?', query.source);
    if (query.cursor !== undefined) filters.add('c.id < ?::bigint', decodeIdCursor(query.cursor));
    const limitParam = filters.next(limit + 1);
    const result = await this.database.query<ConflictRow>(
      `SELECT ${CONFLICT_COLUMNS} FROM conflicts c JOIN events e ON e.id = c.event_id ${filters.where()} ORDER BY c.id DESC LIMIT ${limitParam}`,
      filters.params,
    );
    const page = takePage(result.rows, limit);
    return { items: page.rows.map(toConflict), nextCursor: page.last === undefined ? null : encodeIdCursor(page.last.id) };
  }

  async purgePayloadsOlderThan(cutoff: Date, now: Date): Promise<PurgeResult> {
    checkDate(cutoff);
    checkDate(now);
    // In pages, each its own transaction: a purge of millions of rows does
    // not hold one huge transaction. Unfinished work of the lead or an open
    // DLQ item means processing or a replay still needs the payload; those
    // are kept until a later purge.
    let events = 0;
    let after = '0';
    for (;;) {
      const page = await this.database.withTransaction(async (client) => {
        const candidates = (
          await client.query<{ id: string; lead_key: string }>(
            `SELECT id, lead_key FROM events
             WHERE payload IS NOT NULL AND received_at < $1 AND id > $2
               AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.event_id = events.id AND d.status = 'open')
             ORDER BY id LIMIT ${PURGE_PAGE}
             FOR UPDATE`,
            [cutoff, after],
          )
        ).rows;
        if (candidates.length === 0) return { last: undefined, purged: 0 };
        const busy = await this.queue.leadKeysWithUnfinishedJobs(client, [...new Set(candidates.map((row) => row.lead_key))]);
        const ids = candidates.filter((row) => !busy.has(row.lead_key)).map((row) => row.id);
        const purged = ids.length === 0 ? 0 : ((await client.query('UPDATE events SET payload = NULL, payload_purged_at = $1 WHERE id = ANY($2::bigint[])', [now, ids])).rowCount ?? 0);
        return { last: candidates.at(-1)?.id, purged, full: candidates.length === PURGE_PAGE };
      });
      events += page.purged;
      if (page.last === undefined || !('full' in page) || !page.full) break;
      after = page.last;
    }
    const conflicts = await this.database.query(
      'UPDATE conflicts SET payload = NULL, payload_purged_at = $1 WHERE payload IS NOT NULL AND last_received_at < $2',
      [now, cutoff],
    );
    return { events, conflicts: conflicts.rowCount ?? 0 };
  }
}
