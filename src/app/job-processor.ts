import type { AuditChange, AuditDraft, AuditOutcome } from '../core/audit/audit-record-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';
import { planEvent, prepareEvent } from '../core/plan/event-planner.js';
import type { EventPlan, ObjectPlan, PlanContext } from '../core/plan/event-plan-types.js';
import { decideRetry, type RetryPolicy } from '../core/retry/backoff-policy.js';
import type { NewApproval } from '../ports/approval-store.js';
import type { CrmDestination, CrmRecordFailure } from '../ports/crm-destination.js';
import type { NewDeadLetter } from '../ports/dead-letter-store.js';
import type { FieldStateUpdate } from '../ports/field-state-store.js';
import type { Job } from '../ports/job-queue.js';
import type { SettleInput, SettleResult } from '../ports/job-outcome-store.js';
import type { StoragePorts } from '../ports/storage-ports.js';
import { readCurrentRecords } from './current-record-reader.js';

/** What processing one job needs: storage, the CRM, per-source planning context, retry policy, a clock and randomness. */
export interface JobProcessorDeps {
  readonly storage: StoragePorts;
  /** The CRM as the realtime lane calls it (through the rate-limit governor, realtime share). */
  readonly crm: CrmDestination;
  /** The CRM as the batch lane calls it (the batch share, which leaves the realtime reserve alone). (Default: `crm`) */
  readonly batchCrm?: CrmDestination;
  /**
   * How long the CRM destination stays paused (daily limit used up: the
   * rate-limit governor's `pausedForMs`). While above 0 the worker loop claims
   * nothing, so waiting jobs keep their attempts, and checks again every second.
   * (Default: never paused)
   */
  readonly destinationPausedForMs?: () => Promise<number>;
  readonly contextFor: (source: string) => PlanContext | undefined;
  readonly retry: RetryPolicy;
  readonly now: () => Date;
  readonly random: () => number;
}

/** What an alert needs to say about a dead-lettered event. */
export interface DeadLetterNotice {
  readonly deadLetterId: string | null;
  readonly eventId: string;
  readonly source: string;
  readonly leadKey: string;
  readonly errorCode: ErrorCode;
  readonly message: string;
  readonly trace: string;
  readonly attempts: number;
}

export type JobOutcome =
  | { readonly kind: 'settled'; readonly plan: EventPlan | null; readonly deadLetter: DeadLetterNotice | null }
  | { readonly kind: 'retry_scheduled'; readonly code: ErrorCode; readonly delayMs: number }
  | { readonly kind: 'lost_claim' };

const SYSTEM = { kind: 'system', name: 'leadsync' } as const;

/**
 * Runs one claimed job end to end: plan the event, read the current CRM
 * records, write the changes, then settle — audit entries, field state,
 * approvals, DLQ item and job completion in one local transaction. CRM
 * failures are retried (transient) or dead-lettered (permanent, exhausted).
 */
export async function processJob(job: Job, workerId: string, deps: JobProcessorDeps): Promise<JobOutcome> {
  const event = await deps.storage.ingest.getEvent(job.eventId);
  const base = { eventId: job.eventId, attempt: job.attempt, leadKey: job.leadKey };
  if (!event) return deadLetter(job, workerId, deps, 'WORKER_UNEXPECTED', `event ${job.eventId} not found`, null, base);
  if (event.payload.state === 'purged') return deadLetter(job, workerId, deps, 'WORKER_PAYLOAD_PURGED', 'the raw payload was purged by retention', event.source, base);
  const context = deps.contextFor(event.source);
  if (!context) return deadLetter(job, workerId, deps, 'MAPPING_SOURCE_UNKNOWN', `source "${event.source}" is no longer configured`, event.source, base);

  const prepared = prepareEvent(event.payload.json, context);
  if (!prepared.ok) {
    return deadLetter(job, workerId, deps, prepared.rejection.code, prepared.rejection.message, event.source, { ...base, payloadHash: prepared.payloadHash });
  }

  const read = await readCurrentRecords(prepared, deps.crm, deps.storage.fieldState, context);
  if (!read.ok) return failCrm(job, workerId, deps, read.failure, event.source, base);

  const plan = planEvent(prepared, read.currents, context);
  const written = new Map<string, { recordId: string; created: boolean }>();
  for (const object of plan.objects) {
    if (object.status !== 'planned') continue;
    // Nothing to write to an existing record; an unread record with nothing to write is not created either.
    if (Object.keys(object.write).length === 0 && (object.recordId !== null || object.unread === true)) continue;
    const [result] = await deps.crm.upsert(object.object, [{ idField: object.match.field, id: object.match.value, properties: object.write }]);
    if (!result) throw new Error(`CRM upsert returned no result for ${object.leadKey}`);
    if (!result.ok) return failCrm(job, workerId, deps, result, event.source, base);
    written.set(object.leadKey, { recordId: result.recordId, created: result.created });
  }

  const settle = settlement(plan, job, workerId, event.source, written, deps.now());
  const result = await deps.storage.outcomes.settle(settle);
  if (result.status === 'lost_claim') return { kind: 'lost_claim' };
  return { kind: 'settled', plan, deadLetter: settle.deadLetter ? notice(result.deadLetterId, settle.deadLetter) : null };
}

// Moved to current-record-reader.ts (shared with DLQ replay previews); re-exported for existing importers.
export { currentRecord } from './current-record-reader.js';

export function settlement(plan: EventPlan, job: Job, workerId: string, source: string, written: ReadonlyMap<string, { recordId: string; created: boolean }>, now: Date): SettleInput {
  const time = now.toISOString();
  const audit: AuditDraft[] = [];
  const approvals: NewApproval[] = [];
  const fieldState: FieldStateUpdate[] = [];
  const rejections: string[] = [];
  let firstCode: ErrorCode | null = null;
  const mappingVersion = `${plan.mapping.name}@${plan.mapping.version}`;
  const actor = { kind: 'source', name: source } as const;
  // Every draft written out in full, in one shape: spreading shared fields into each draft took over half of the settlement's time.
  const draft = (leadKey: string, object: string | null, changes: AuditChange[], outcome: AuditOutcome, crmRecordId: string | null, errorCode: ErrorCode | null, errorTrace: string | null, by: AuditDraft['actor'] = actor): AuditDraft => ({
    time,
    leadKey,
    source,
    eventId: job.eventId,
    idempotencyKey: plan.idempotencyKey,
    payloadHash: plan.payloadHash,
    mappingVersion,
    schemaVersion: plan.schemaVersion,
    object,
    changes,
    actor: by,
    outcome,
    attempt: job.attempt,
    errorCode,
    errorTrace,
    crmRecordId,
  });
  for (const object of plan.objects) {
    if (object.status === 'skipped') continue;
    if (object.status === 'rejected') {
      firstCode ??= object.rejection.code;
      rejections.push(`${object.object}: ${object.rejection.code} ${object.rejection.message}`);
      audit.push(draft(object.leadKey ?? job.leadKey, object.object, [], 'rejected', null, object.rejection.code, object.rejection.message));
      continue;
    }
    const changes: AuditChange[] = [];
    const proposed: AuditChange[] = [];
    const record = written.get(object.leadKey);
    // An unread record's before values are leadsync's own, unless the write created the record: then the CRM had none.
    const unread = object.unread === true && record?.created !== true;
    for (const field of object.fields) {
      if (field.kind === 'change') {
        changes.push(unread ? { field: field.field, before: field.before, after: field.after, confidence: field.confidence, reason: field.reason, beforeRead: false } : { field: field.field, before: object.unread === true ? null : field.before, after: field.after, confidence: field.confidence, reason: field.reason });
        if (plan.sourceUpdatedAt) fieldState.push({ leadKey: object.leadKey, object: object.object, field: field.field, value: field.after, appliedAt: plan.sourceUpdatedAt, confidence: field.confidence, source });
      } else if (field.kind === 'pending_approval') {
        proposed.push({ field: field.field, before: field.before, after: field.proposed, confidence: field.confidence, reason: field.reason });
        approvals.push({ leadKey: object.leadKey, object: object.object, field: field.field, before: field.before, proposed: field.proposed, confidence: field.confidence, reason: field.reason, source, sourceUpdatedAt: plan.sourceUpdatedAt ?? time, eventId: job.eventId, createdAt: now });
      } else if (field.kind === 'rejected') {
        firstCode ??= field.code;
        rejections.push(`${object.object}.${field.field}: ${field.code} ${field.message}${field.suggestions?.length ? ` (nearest: ${field.suggestions.join(', ')})` : ''}`);
      }
    }
    const allStale = object.fields.length > 0 && object.fields.every((field) => field.kind === 'skip' && field.skip === 'stale');
    const outcome: AuditOutcome = changes.length > 0 || record?.created ? 'written' : allStale ? 'stale' : 'no_change';
    const crmRecordId = record?.recordId ?? object.recordId;
    audit.push(draft(object.leadKey, object.object, changes, outcome, crmRecordId, null, null));
    if (proposed.length > 0) audit.push(draft(object.leadKey, object.object, proposed, 'pending_approval', crmRecordId, null, null));
  }
  const base: SettleInput = { job: { id: job.id, workerId }, audit, approvals, fieldState };
  if (firstCode === null) return base;
  const trace = rejections.join('\n');
  audit.push(draft(job.leadKey, null, [], 'dead_lettered', null, firstCode, trace, SYSTEM));
  return { ...base, deadLetter: { eventId: job.eventId, jobId: job.id, source, leadKey: job.leadKey, errorCode: firstCode, message: rejections[0] ?? '', trace, attempts: job.attempt, createdAt: now } };
}

export async function failCrm(job: Job, workerId: string, deps: JobProcessorDeps, failure: CrmRecordFailure, source: string, base: { eventId: string; attempt: number; leadKey: string }): Promise<JobOutcome> {
  // A paused destination (daily limit) is not the job's fault: it waits out the pause, whatever its attempt count.
  // Spread over a minute after the pause, so the backlog does not all come due in one instant.
  const decision = failure.pauseDestinationMs !== undefined
    ? { kind: 'retry' as const, delayMs: failure.pauseDestinationMs + Math.floor(deps.random() * 60_000) }
    : decideRetry(failure, job.attempt, deps.retry, deps.random);
  if (decision.kind === 'retry') {
    const result = await deps.storage.jobs.retry(job.id, { workerId, runAt: new Date(deps.now().getTime() + decision.delayMs), error: `${failure.code}: ${failure.message}` });
    return result.status === 'lost_claim' ? { kind: 'lost_claim' } : { kind: 'retry_scheduled', code: failure.code, delayMs: decision.delayMs };
  }
  const why = decision.why === 'exhausted' ? ` (gave up after ${job.attempt} attempts)` : '';
  return deadLetter(job, workerId, deps, failure.code, `${failure.message}${why}`, source, base);
}

export async function deadLetter(
  job: Job,
  workerId: string,
  deps: JobProcessorDeps,
  code: ErrorCode,
  message: string,
  source: string | null,
  base: { eventId: string; attempt: number; leadKey: string; payloadHash?: string },
): Promise<JobOutcome> {
  const now = deps.now();
  const item: NewDeadLetter = { eventId: job.eventId, jobId: job.id, source: source ?? 'unknown', leadKey: base.leadKey, errorCode: code, message, trace: `${code}: ${message}${job.lastError ? `\nprevious attempt: ${job.lastError}` : ''}`, attempts: job.attempt, createdAt: now };
  const result: SettleResult = await deps.storage.outcomes.settle({
    job: { id: job.id, workerId },
    audit: [{ time: now.toISOString(), leadKey: base.leadKey, source, eventId: base.eventId, payloadHash: base.payloadHash ?? null, actor: SYSTEM, outcome: 'dead_lettered', attempt: base.attempt, errorCode: code, errorTrace: message }],
    deadLetter: item,
  });
  return result.status === 'lost_claim' ? { kind: 'lost_claim' } : { kind: 'settled', plan: null, deadLetter: notice(result.deadLetterId, item) };
}

export function notice(deadLetterId: string | null, item: NewDeadLetter): DeadLetterNotice {
  return { deadLetterId, eventId: item.eventId, source: item.source, leadKey: item.leadKey, errorCode: item.errorCode, message: item.message, trace: item.trace, attempts: item.attempts };
}

export type { ObjectPlan };
