import type { AuditDraft } from '../../src/core/audit/audit-record-types.js';
import { payloadHash } from '../../src/core/hashing/canonical-json.js';
import { idempotencyKey } from '../../src/core/hashing/idempotency-key.js';
import type { NewEvent } from '../../src/ports/ingest-store.js';
import type { Lane } from '../../src/ports/job-queue.js';

export interface EventSpec {
  readonly source?: string;
  readonly leadId?: string;
  readonly updatedAt?: string;
  readonly payload?: Record<string, unknown>;
  readonly lane?: Lane;
  readonly webhookId?: string;
  readonly receivedAt?: Date;
}

/** A well-formed event; the idempotency key and payload hash are derived as ingest derives them. */
export function newEvent(spec: EventSpec = {}): NewEvent {
  const source = spec.source ?? 'webform';
  const leadId = spec.leadId ?? 'lead-1';
  const updatedAt = spec.updatedAt ?? '2026-01-01T00:00:00.000Z';
  const payload = spec.payload ?? { id: leadId, updated_at: updatedAt, title: 'VP Sales' };
  return {
    source,
    leadId,
    leadKey: `${source}:${leadId}`,
    idempotencyKey: idempotencyKey(source, leadId, updatedAt),
    payloadHash: payloadHash(payload),
    payload,
    receivedAt: spec.receivedAt ?? new Date('2026-01-01T00:00:00.000Z'),
    lane: spec.lane ?? 'realtime',
    ...(spec.webhookId === undefined ? {} : { webhookId: spec.webhookId }),
  };
}

/** A minimal audit draft; override what the test is about. */
export function auditDraft(overrides: Partial<AuditDraft> = {}): AuditDraft {
  return {
    time: '2026-01-01T00:00:00.000Z',
    leadKey: 'webform:lead-1',
    source: 'webform',
    actor: { kind: 'source', name: 'webform' },
    outcome: 'written',
    attempt: 1,
    changes: [{ field: 'jobtitle', before: null, after: 'VP Sales', confidence: 0.9, reason: 'overwrite policy' }],
    ...overrides,
  };
}
