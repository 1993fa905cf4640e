import type { Lane } from './job-queue.js';
import type { Page, PageRequest } from './page-types.js';

/** An event as it arrives, after signature and size checks. */
export interface NewEvent {
  readonly source: string;
  /** The lead's id at the source. */
  readonly leadId: string;
  /** The lead across sources; jobs of one lead key run in order. */
  readonly leadKey: string;
  /** source + lead id + source updated-at (core/hashing/idempotency-key.ts). */
  readonly idempotencyKey: string;
  /** SHA-256 of the canonical JSON of `payload` (core/hashing/canonical-json.ts). */
  readonly payloadHash: string;
  /** The raw payload; any JSON value. Kept until payload retention purges it. */
  readonly payload: unknown;
  readonly receivedAt: Date;
  readonly lane: Lane;
  /** The delivery id a webhook sender puts on each delivery, when it sends one. */
  readonly webhookId?: string;
}

export type AcceptResult =
  /** Stored, with one job enqueued. */
  | { readonly status: 'queued'; readonly eventId: string; readonly jobId: string }
  /**
   * Seen before: same idempotency key and same payload hash (`same_payload`),
   * or same source and webhook id (`webhook_id`). Nothing new is stored.
   */
  | { readonly status: 'duplicate'; readonly eventId: string; readonly reason: 'same_payload' | 'webhook_id' }
  /**
   * Same idempotency key, different payload hash: recorded as a conflict of
   * the original event and never processed. Repeats of the same conflicting
   * payload return the same conflict id.
   */
  | { readonly status: 'conflict'; readonly eventId: string; readonly conflictId: string };

/** Raw payload of a stored event or conflict, unless retention has purged it (the hash stays). */
export type StoredPayload =
  | { readonly state: 'kept'; readonly json: unknown }
  | { readonly state: 'purged'; readonly purgedAt: Date };

export interface StoredEvent {
  readonly eventId: string;
  readonly source: string;
  readonly leadId: string;
  readonly leadKey: string;
  readonly idempotencyKey: string;
  readonly payloadHash: string;
  readonly payload: StoredPayload;
  readonly receivedAt: Date;
  readonly lane: Lane;
  readonly webhookId: string | null;
}

/** A delivery that reused an idempotency key with a different payload. */
export interface ConflictRecord {
  readonly conflictId: string;
  /** The original event whose key was reused. */
  readonly eventId: string;
  readonly source: string;
  readonly leadKey: string;
  readonly idempotencyKey: string;
  readonly originalPayloadHash: string;
  readonly payloadHash: string;
  readonly payload: StoredPayload;
  readonly webhookId: string | null;
  readonly firstReceivedAt: Date;
  readonly lastReceivedAt: Date;
  /** How many times this conflicting payload was delivered. */
  readonly deliveries: number;
}

export interface ConflictQuery extends PageRequest {
  readonly source?: string;
}

export interface PurgeResult {
  readonly events: number;
  readonly conflicts: number;
}

/**
 * The idempotency gate and raw event store. `accept` decides and stores in
 * one transaction, so an HTTP 202 can be sent as soon as it resolves.
 */
export interface IngestStore {
  /** Decides duplicate / conflict / new; a new event is stored and its job enqueued atomically. */
  accept(event: NewEvent): Promise<AcceptResult>;
  /**
   * `accept` for many events in one transaction (file imports, benchmarks):
   * one result per event, in order. Events later in the list see the earlier
   * ones, so a file repeating an event yields `duplicate` for the repeat.
   */
  acceptMany(events: readonly NewEvent[]): Promise<readonly AcceptResult[]>;
  getEvent(eventId: string): Promise<StoredEvent | undefined>;
  /** `getEvent` for many ids at once (one round trip where the store has them): results in the order of `eventIds`. */
  getEvents(eventIds: readonly string[]): Promise<readonly (StoredEvent | undefined)[]>;
  /** Conflicts, newest first. */
  listConflicts(query?: ConflictQuery): Promise<Page<ConflictRecord>>;
  /**
   * Raw payload retention: drops the payload (keeps the hash) of events and
   * conflicts received before `cutoff`. Events that still have an unfinished
   * job or an open DLQ item keep their payload, since processing and replay
   * need it.
   */
  purgePayloadsOlderThan(cutoff: Date, now: Date): Promise<PurgeResult>;
}
