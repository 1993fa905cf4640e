import type BetterSqlite3 from 'better-sqlite3';
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
import { promised } from './sqlite-async-bridge.js';
import { writeWithoutBlocking } from '../../adapter-support/sqlite-nonblocking-write.js';
import { decodeJson, encodePayload, formatId, fromMs, parseId, parseLane, toMs } from './sqlite-column-codecs.js';
import type { JobCountTally, SqliteJobQueue } from './sqlite-job-queue.js';
import { SqliteReceivedCounts, type ReceivedTally } from './sqlite-stats-counts.js';
import { decodeIdCursor, encodeIdCursor, pageLimit, takePage } from './sqlite-paging.js';

interface EventRow {
  id: number;
  source: string;
  lead_id: string;
  lead_key: string;
  idempotency_key: string;
  payload_hash: string;
  payload_json: string | null;
  payload_purged_at: number | null;
  received_at: number;
  lane: string;
  webhook_id: string | null;
}

interface ConflictRow {
  id: number;
  event_id: number;
  source: string;
  lead_key: string;
  idempotency_key: string;
  original_payload_hash: string;
  payload_hash: string;
  payload_json: string | null;
  payload_purged_at: number | null;
  webhook_id: string | null;
  first_received_at: number;
  last_received_at: number;
  deliveries: number;
}

type InsertEventParams = [string, string, string, string, string, string, number, string, string | null];

function storedPayload(json: string | null, purgedAt: number | null): StoredPayload {
  if (json === null) return { state: 'purged', purgedAt: fromMs(purgedAt ?? 0) };
  return { state: 'kept', json: decodeJson(json) };
}

function toConflict(row: ConflictRow): ConflictRecord {
  return {
    conflictId: formatId(row.id),
    eventId: formatId(row.event_id),
    source: row.source,
    leadKey: row.lead_key,
    idempotencyKey: row.idempotency_key,
    originalPayloadHash: row.original_payload_hash,
    payloadHash: row.payload_hash,
    payload: storedPayload(row.payload_json, row.payload_purged_at),
    webhookId: row.webhook_id,
    firstReceivedAt: fromMs(row.first_received_at),
    lastReceivedAt: fromMs(row.last_received_at),
    deliveries: row.deliveries,
  };
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: formatId(row.id),
    source: row.source,
    leadId: row.lead_id,
    leadKey: row.lead_key,
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    payload: storedPayload(row.payload_json, row.payload_purged_at),
    receivedAt: fromMs(row.received_at),
    lane: parseLane(row.lane),
    webhookId: row.webhook_id,
  };
}

const CONFLICT_COLUMNS = `c.id, c.event_id, e.source, e.lead_key, e.idempotency_key, e.payload_hash AS original_payload_hash,
  c.payload_hash, c.payload_json, c.payload_purged_at, c.webhook_id, c.first_received_at, c.last_received_at, c.deliveries`;

/** The idempotency gate and raw event store on SQLite. */
export class SqliteIngestStore implements IngestStore {
  private readonly byWebhookId: BetterSqlite3.Statement<[string, string], { id: number }>;
  private readonly byIdempotencyKey: BetterSqlite3.Statement<[string], { id: number; payload_hash: string }>;
  private readonly insertEvent: BetterSqlite3.Statement<InsertEventParams>;
  private readonly upsertConflict: BetterSqlite3.Statement<[number, string, string, string | null, number, number], { id: number }>;
  private readonly eventById: BetterSqlite3.Statement<[number], EventRow>;
  private readonly eventsByIds: BetterSqlite3.Statement<[string], EventRow>;
  private readonly conflictsPage: BetterSqlite3.Statement<[string | null, string | null, number, number], ConflictRow>;
  private readonly purgeEvents: BetterSqlite3.Statement<[number, number]>;
  private readonly purgeConflicts: BetterSqlite3.Statement<[number, number]>;
  private readonly acceptTransaction: BetterSqlite3.Transaction<(events: readonly NewEvent[]) => AcceptResult[]>;
  /** The dashboard's `received` counts, added once per transaction (migration 007). */
  private readonly received: SqliteReceivedCounts;
  private readonly purgeTransaction: BetterSqlite3.Transaction<(cutoff: number, now: number) => PurgeResult>;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly queue: SqliteJobQueue,
  ) {
    this.byWebhookId = db.prepare('SELECT id FROM events WHERE source = ? AND webhook_id = ?');
    this.byIdempotencyKey = db.prepare('SELECT id, payload_hash FROM events WHERE idempotency_key = ?');
    // Insert first: for a new event (the common case) the unique index probe of the insert is the
    // idempotency check, and a seen key inserts nothing; only then is the original looked up.
    this.insertEvent = db.prepare(
      `INSERT INTO events (source, lead_id, lead_key, idempotency_key, payload_hash, payload_json, received_at, lane, webhook_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    // A repeated conflicting delivery counts on its first row instead of adding rows.
    this.upsertConflict = db.prepare(
      `INSERT INTO conflicts (event_id, payload_hash, payload_json, webhook_id, first_received_at, last_received_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id, payload_hash) DO UPDATE SET
         deliveries = deliveries + 1,
         last_received_at = max(last_received_at, excluded.last_received_at)
       RETURNING id`,
    );
    this.eventById = db.prepare('SELECT * FROM events WHERE id = ?');
    // A batch's events, given as a JSON array of ids: one statement instead of one per job.
    this.eventsByIds = db.prepare('SELECT * FROM events WHERE id IN (SELECT value FROM json_each(?))');
    this.conflictsPage = db.prepare(
      `SELECT ${CONFLICT_COLUMNS} FROM conflicts c JOIN events e ON e.id = c.event_id
       WHERE (? IS NULL OR e.source = ?) AND c.id < ? ORDER BY c.id DESC LIMIT ?`,
    );
    // Unfinished work of the lead or an open DLQ item means processing or a
    // replay still needs the payload; those are kept until a later purge.
    this.purgeEvents = db.prepare(
      `UPDATE events SET payload_json = NULL, payload_purged_at = ?
       WHERE payload_json IS NOT NULL AND received_at < ?
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.lead_key = events.lead_key)
         AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.event_id = events.id AND d.status = 'open')`,
    );
    this.purgeConflicts = db.prepare(
      `UPDATE conflicts SET payload_json = NULL, payload_purged_at = ?
       WHERE payload_json IS NOT NULL AND last_received_at < ?`,
    );
    this.received = new SqliteReceivedCounts(db);
    this.acceptTransaction = db.transaction((events: readonly NewEvent[]) => {
      const received = this.received.tally();
      const jobCounts = this.queue.countTally();
      const results = events.map((event) => this.acceptOne(event, received, jobCounts));
      received.writeInTransaction();
      jobCounts.writeInTransaction();
      return results;
    });
    this.purgeTransaction = db.transaction((cutoff: number, now: number) => ({
      events: this.purgeEvents.run(now, cutoff).changes,
      conflicts: this.purgeConflicts.run(now, cutoff).changes,
    }));
  }

  private acceptOne(event: NewEvent, received: ReceivedTally, jobCounts: JobCountTally): AcceptResult {
    const receivedAt = toMs(event.receivedAt);
    if (event.webhookId !== undefined) {
      const seen = this.byWebhookId.get(event.source, event.webhookId);
      if (seen !== undefined) return { status: 'duplicate', eventId: formatId(seen.id), reason: 'webhook_id' };
    }
    const payloadJson = encodePayload(event.payload);
    const info = this.insertEvent.run(
      event.source, event.leadId, event.leadKey, event.idempotencyKey, event.payloadHash, payloadJson, receivedAt, event.lane, event.webhookId ?? null,
    );
    if (info.changes === 0) {
      const original = this.byIdempotencyKey.get(event.idempotencyKey);
      if (original === undefined) throw new Error('event insert conflicted, but no event holds its idempotency key');
      if (original.payload_hash === event.payloadHash) {
        return { status: 'duplicate', eventId: formatId(original.id), reason: 'same_payload' };
      }
      const conflict = this.upsertConflict.get(original.id, event.payloadHash, payloadJson, event.webhookId ?? null, receivedAt, receivedAt);
      if (conflict === undefined) throw new Error('conflict upsert returned no row');
      return { status: 'conflict', eventId: formatId(original.id), conflictId: formatId(conflict.id) };
    }
    const eventId = Number(info.lastInsertRowid);
    received.count(event.source, event.lane, receivedAt);
    const jobId = this.queue.enqueueInTransaction(eventId, event.leadKey, event.lane, event.receivedAt, jobCounts);
    return { status: 'queued', eventId: formatId(eventId), jobId };
  }

  accept(event: NewEvent): Promise<AcceptResult> {
    return promised(() => {
      const [result] = this.acceptTransaction.immediate([event]);
      if (result === undefined) throw new Error('accept produced no result');
      return result;
    });
  }

  acceptMany(events: readonly NewEvent[]): Promise<readonly AcceptResult[]> {
    // The HTTP thread's group commit lands here: waiting for another connection's write lock must not sleep its event loop.
    return writeWithoutBlocking(this.db, () => (events.length === 0 ? [] : this.acceptTransaction.immediate(events)));
  }

  getEvents(eventIds: readonly string[]): Promise<readonly (StoredEvent | undefined)[]> {
    // One statement for the batch: a statement per id cost ~8 µs per job, most of it the statement itself.
    return promised(() => {
      const ids = eventIds.map(parseId);
      const known = ids.filter((id): id is number => id !== undefined);
      const rows = new Map<number, EventRow>();
      if (known.length > 0) for (const row of this.eventsByIds.all(JSON.stringify(known))) rows.set(row.id, row);
      // A fresh object per requested id, as when each was read on its own (an id may be asked for twice).
      return ids.map((id) => {
        const row = id === undefined ? undefined : rows.get(id);
        return row === undefined ? undefined : toStoredEvent(row);
      });
    });
  }

  getEvent(eventId: string): Promise<StoredEvent | undefined> {
    return promised(() => {
      const id = parseId(eventId);
      const row = id === undefined ? undefined : this.eventById.get(id);
      return row === undefined ? undefined : toStoredEvent(row);
    });
  }

  listConflicts(query: ConflictQuery = {}): Promise<Page<ConflictRecord>> {
    return promised(() => {
      const limit = pageLimit(query.limit);
      const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeIdCursor(query.cursor);
      const page = takePage(this.conflictsPage.all(query.source ?? null, query.source ?? null, before, limit + 1), limit);
      return { items: page.rows.map(toConflict), nextCursor: page.last === undefined ? null : encodeIdCursor(page.last.id) };
    });
  }

  purgePayloadsOlderThan(cutoff: Date, now: Date): Promise<PurgeResult> {
    // The service's maintenance runs this on the HTTP thread: no busy sleep there either.
    return writeWithoutBlocking(this.db, () => this.purgeTransaction.immediate(toMs(cutoff), toMs(now)));
  }
}
