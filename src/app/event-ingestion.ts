import type { ErrorCode } from '../core/errors/error-codes.js';
import { readPath } from '../core/mapping/payload-path.js';
import { prepareEvent } from '../core/plan/event-planner.js';
import type { PlanContext } from '../core/plan/event-plan-types.js';
import { verifySignature, type SignatureScheme, type SignedRequest } from '../core/signatures/webhook-signature.js';
import type { Lane } from '../ports/job-queue.js';
import type { IngestStore, NewEvent } from '../ports/ingest-store.js';
import { noPipelineMetrics, type PipelineMetrics } from '../ports/pipeline-metrics.js';

/** A configured source as ingestion sees it. */
export interface IngestSource {
  readonly name: string;
  readonly signature: SignatureScheme;
  readonly lane: Lane;
  readonly eventTypePath?: string;
  readonly lanesByEventType?: Readonly<Record<string, Lane>>;
  readonly context: PlanContext;
}

export type IngestResult =
  | { readonly status: 'queued'; readonly httpStatus: 202; readonly eventId: string; readonly idempotencyKey: string; readonly lane: Lane }
  | { readonly status: 'duplicate'; readonly httpStatus: 200; readonly eventId: string; readonly idempotencyKey: string | null }
  | { readonly status: 'conflict'; readonly httpStatus: 409; readonly eventId: string; readonly conflictId: string; readonly idempotencyKey: string; readonly code: 'INGEST_IDEMPOTENCY_CONFLICT' }
  | { readonly status: 'rejected'; readonly httpStatus: number; readonly code: ErrorCode; readonly message: string };

const SIGNATURE_CODES = {
  missing_headers: 'INGEST_SIGNATURE_MISSING',
  timestamp_out_of_tolerance: 'INGEST_TIMESTAMP_OUT_OF_TOLERANCE',
  mismatch: 'INGEST_SIGNATURE_INVALID',
} as const;

/** Why a payload cannot become an event; the HTTP status is what the ingest endpoint answers. */
export interface IngestRejection {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly message: string;
}

/** A payload read from JSON text, or why it could not be. */
export type ParsedPayload = { readonly ok: true; readonly payload: unknown } | { readonly ok: false; readonly rejection: IngestRejection };

/** A payload turned into the event the ingest store takes, or why it cannot be. */
export type EventAdmission =
  | {
      readonly ok: true;
      readonly event: NewEvent;
      /** Lead keys of every CRM record the event will write, primary first (the demo looks them up). */
      readonly recordKeys: readonly string[];
    }
  | { readonly ok: false; readonly rejection: IngestRejection };

/**
 * Accepts one delivery: signature over the raw bytes first, then JSON, then
 * the lead identity (so the idempotency key and lead key exist), then the
 * idempotency gate and durable enqueue in one transaction. Only a durable
 * commit yields `queued`; nothing rejected is enqueued. Every answer is
 * counted in `metrics` by source and outcome. (Default metrics: none)
 */
export async function ingestEvent(
  source: IngestSource,
  request: SignedRequest,
  store: Pick<IngestStore, 'accept'>,
  now: Date,
  metrics: PipelineMetrics = noPipelineMetrics,
): Promise<IngestResult> {
  const result = await acceptDelivery(source, request, store, now);
  metrics.eventIngested(source.name, result.status, result.status === 'rejected' || result.status === 'conflict' ? result.code : undefined);
  return result;
}

async function acceptDelivery(source: IngestSource, request: SignedRequest, store: Pick<IngestStore, 'accept'>, now: Date): Promise<IngestResult> {
  const signature = verifySignature(source.signature, request, now.getTime());
  if (!signature.ok) return { status: 'rejected', httpStatus: 401, code: SIGNATURE_CODES[signature.reason], message: signature.detail };

  const parsed = parsePayloadJson(request.rawBody);
  if (!parsed.ok) return { status: 'rejected', ...parsed.rejection };
  const admission = admitPayload(source, parsed.payload, now, signature.webhookId);
  if (!admission.ok) return { status: 'rejected', ...admission.rejection };

  const { event } = admission;
  const result = await store.accept(event);
  switch (result.status) {
    case 'queued':
      return { status: 'queued', httpStatus: 202, eventId: result.eventId, idempotencyKey: event.idempotencyKey, lane: event.lane };
    case 'duplicate':
      return { status: 'duplicate', httpStatus: 200, eventId: result.eventId, idempotencyKey: event.idempotencyKey };
    case 'conflict':
      return { status: 'conflict', httpStatus: 409, eventId: result.eventId, conflictId: result.conflictId, idempotencyKey: event.idempotencyKey, code: 'INGEST_IDEMPOTENCY_CONFLICT' };
  }
}

/** Parses a delivery body (or one NDJSON line) as JSON; any JSON value passes, `admitPayload` judges its shape. */
export function parsePayloadJson(raw: Buffer | string): ParsedPayload {
  try {
    return { ok: true, payload: JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, rejection: { code: 'INPUT_JSON_INVALID', httpStatus: 400, message: `not valid JSON: ${(error as Error).message}` } };
  }
}

/**
 * The step every way in shares once a payload is trusted (a verified delivery,
 * a local backfill file): lead identity, idempotency key, payload hash, lead
 * key and lane, as the event to accept, or the rejection when the payload has
 * no identity. `webhookId` is the sender's delivery id, when it sent one.
 */
export function admitPayload(source: IngestSource, payload: unknown, receivedAt: Date, webhookId?: string): EventAdmission {
  const prepared = prepareEvent(payload, source.context);
  if (!prepared.ok) {
    return { ok: false, rejection: { httpStatus: prepared.rejection.code === 'MAPPING_PAYLOAD_NOT_OBJECT' ? 400 : 422, code: prepared.rejection.code, message: prepared.rejection.message } };
  }
  const recordKeys = prepared.objects.flatMap((object) => (object.status === 'ready' ? [object.leadKey] : []));
  // Jobs of one CRM record run in order; the first record the event writes names the lead.
  const leadKey = recordKeys[0] ?? `${source.name}:${prepared.leadId}`;
  return {
    ok: true,
    recordKeys,
    event: {
      source: source.name,
      leadId: prepared.leadId,
      leadKey,
      idempotencyKey: prepared.idempotencyKey,
      payloadHash: prepared.payloadHash,
      payload,
      receivedAt,
      lane: laneFor(source, payload),
      ...(webhookId === undefined ? {} : { webhookId }),
    },
  };
}

function laneFor(source: IngestSource, payload: unknown): Lane {
  if (!source.eventTypePath || !source.lanesByEventType) return source.lane;
  const type = readPath(payload, source.eventTypePath);
  return (typeof type === 'string' ? source.lanesByEventType[type] : undefined) ?? source.lane;
}
