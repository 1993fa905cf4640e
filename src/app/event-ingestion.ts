import type { ErrorCode } from '../core/errors/error-codes.js';
import { readPath } from '../core/mapping/payload-path.js';
import { prepareEvent } from '../core/plan/event-planner.js';
import type { PlanContext } from '../core/plan/event-plan-types.js';
import { verifySignature, type SignatureScheme, type SignedRequest } from '../core/signatures/webhook-signature.js';
import type { Lane } from '../ports/job-queue.js';
import type { IngestStore } from '../ports/ingest-store.js';

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

/**
 * Accepts one delivery: signature over the raw bytes first, then JSON, then
 * the lead identity (so the idempotency key and lead key exist), then the
 * idempotency gate and durable enqueue in one transaction. Only a durable
 * commit yields `queued`; nothing rejected is enqueued.
 */
export async function ingestEvent(source: IngestSource, request: SignedRequest, store: IngestStore, now: Date): Promise<IngestResult> {
  const signature = verifySignature(source.signature, request, now.getTime());
  if (!signature.ok) return { status: 'rejected', httpStatus: 401, code: SIGNATURE_CODES[signature.reason], message: signature.detail };

  let payload: unknown;
  try {
    payload = JSON.parse(request.rawBody.toString('utf8')) as unknown;
  } catch (error) {
    return { status: 'rejected', httpStatus: 400, code: 'INPUT_JSON_INVALID', message: `the body is not valid JSON: ${(error as Error).message}` };
  }
  const prepared = prepareEvent(payload, source.context);
  if (!prepared.ok) return { status: 'rejected', httpStatus: prepared.rejection.code === 'MAPPING_PAYLOAD_NOT_OBJECT' ? 400 : 422, code: prepared.rejection.code, message: prepared.rejection.message };

  // Jobs of one CRM record run in order; the first record the event writes names the lead.
  const primary = prepared.objects.find((object) => object.status === 'ready');
  const leadKey = primary?.status === 'ready' ? primary.leadKey : `${source.name}:${prepared.leadId}`;
  const result = await store.accept({
    source: source.name,
    leadId: prepared.leadId,
    leadKey,
    idempotencyKey: prepared.idempotencyKey,
    payloadHash: prepared.payloadHash,
    payload,
    receivedAt: now,
    lane: laneFor(source, payload),
    ...(signature.webhookId === undefined ? {} : { webhookId: signature.webhookId }),
  });
  switch (result.status) {
    case 'queued':
      return { status: 'queued', httpStatus: 202, eventId: result.eventId, idempotencyKey: prepared.idempotencyKey, lane: laneFor(source, payload) };
    case 'duplicate':
      return { status: 'duplicate', httpStatus: 200, eventId: result.eventId, idempotencyKey: prepared.idempotencyKey };
    case 'conflict':
      return { status: 'conflict', httpStatus: 409, eventId: result.eventId, conflictId: result.conflictId, idempotencyKey: prepared.idempotencyKey, code: 'INGEST_IDEMPOTENCY_CONFLICT' };
  }
}

function laneFor(source: IngestSource, payload: unknown): Lane {
  if (!source.eventTypePath || !source.lanesByEventType) return source.lane;
  const type = readPath(payload, source.eventTypePath);
  return (typeof type === 'string' ? source.lanesByEventType[type] : undefined) ?? source.lane;
}
