import { canonicalJson } from '../hashing/canonical-json.js';
import { sha256Hex } from '../hashing/sha256.js';
import {
  ACTOR_KINDS,
  AUDIT_OUTCOMES,
  type AuditChange,
  type AuditDraft,
  type AuditRecord,
  type AuditRecordBody,
  type ChainVerification,
} from './audit-record-types.js';

/** prevHash of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

const ISO_MILLIS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whether `time` is a UTC ISO 8601 time exactly as `Date#toISOString` prints it (so text order is time order). */
export function isAuditTime(time: string): boolean {
  // The rows of a settle share one time: the last good one is remembered, as parsing it again is most of the check's cost.
  if (time === lastAuditTime) return true;
  if (!ISO_MILLIS_UTC.test(time)) return false;
  const parsed = new Date(time);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== time) return false;
  lastAuditTime = time;
  return true;
}

// Starts as a time that passes the check, so no other value can match it without being checked.
let lastAuditTime = new Date(0).toISOString();

/** Appends `"key":json` to an object being written, skipping an absent value as canonicalJson does. */
function member(out: string, quotedKey: string, value: unknown): string {
  if (value === undefined) return out;
  return `${out}${out.length > 1 ? ',' : ''}${quotedKey}${canonicalJson(value)}`;
}

function canonicalChange(change: AuditChange): string {
  const { after, before, beforeRead, confidence, field, reason } = change;
  // The usual change has every member (beforeRead only sometimes): one template, no per-member checks.
  if (after !== undefined && before !== undefined && confidence !== undefined && field !== undefined && reason !== undefined) {
    const read = beforeRead === undefined ? '' : `"beforeRead":${canonicalJson(beforeRead)},`;
    return `{"after":${canonicalJson(after)},"before":${canonicalJson(before)},${read}"confidence":${canonicalJson(confidence)},"field":${canonicalJson(field)},"reason":${canonicalJson(reason)}}`;
  }
  let out = '{';
  out = member(out, '"after":', change.after);
  out = member(out, '"before":', change.before);
  out = member(out, '"beforeRead":', change.beforeRead);
  out = member(out, '"confidence":', change.confidence);
  out = member(out, '"field":', change.field);
  out = member(out, '"reason":', change.reason);
  return `${out}}`;
}

/**
 * `canonicalJson` of the hashed part of a row (its body fields, changes and
 * actor picked field by field, so a row object carrying anything extra — a
 * storage column, a UI flag, its own rowHash — hashes the same as the record
 * that was sealed), written directly: the keys are known, so they
 * are emitted in canonical (sorted) order without building the body object or
 * sorting. Sealing every audit row made the generic path a measurable share of
 * a settle. A property test holds the two byte-equal.
 */
function canonicalBody(row: AuditRecordBody): string {
  let actor = '{';
  actor = member(actor, '"kind":', row.actor.kind);
  actor = member(actor, '"name":', row.actor.name);
  let changes = '[';
  for (let index = 0; index < row.changes.length; index += 1) {
    const change = row.changes[index] as AuditChange;
    changes += index > 0 ? `,${canonicalChange(change)}` : canonicalChange(change);
  }
  let out = '{"actor":';
  out += `${actor}}`;
  out = member(out, '"attempt":', row.attempt);
  out += `,"changes":${changes}]`;
  out = member(out, '"crmRecordId":', row.crmRecordId);
  out = member(out, '"errorCode":', row.errorCode);
  out = member(out, '"errorTrace":', row.errorTrace);
  out = member(out, '"eventId":', row.eventId);
  out = member(out, '"id":', row.id);
  out = member(out, '"idempotencyKey":', row.idempotencyKey);
  out = member(out, '"leadKey":', row.leadKey);
  out = member(out, '"mappingVersion":', row.mappingVersion);
  out = member(out, '"object":', row.object);
  out = member(out, '"outcome":', row.outcome);
  out = member(out, '"payloadHash":', row.payloadHash);
  out = member(out, '"prevHash":', row.prevHash);
  out = member(out, '"schemaVersion":', row.schemaVersion);
  out = member(out, '"source":', row.source);
  out = member(out, '"time":', row.time);
  return `${out}}`;
}

/** `sha256(prevHash + canonicalJson(row without rowHash))`, hex. */
export function auditRowHash(row: AuditRecordBody): string {
  return sha256Hex(row.prevHash + canonicalBody(row));
}

function checkChange(change: AuditChange, index: number): void {
  if (change.confidence !== null && !(change.confidence >= 0 && change.confidence <= 1)) {
    throw new RangeError(`audit change ${index} (${change.field}): confidence must be within 0..1 or null, got ${String(change.confidence)}`);
  }
}

/**
 * Turns a draft into the next row of a chain. Throws on a draft that could
 * not be verified later the same way (a time that is not `toISOString` form,
 * a non-integer attempt, a value canonical JSON refuses).
 */
export function sealAuditRecord(draft: AuditDraft, position: { readonly id: string; readonly prevHash: string }): AuditRecord {
  if (!isAuditTime(draft.time)) throw new RangeError(`audit time must be Date#toISOString form, got "${draft.time}"`);
  if (draft.leadKey === '') throw new RangeError('audit leadKey must not be empty');
  if (!AUDIT_OUTCOMES.includes(draft.outcome)) throw new RangeError(`unknown audit outcome "${String(draft.outcome)}"`);
  if (!ACTOR_KINDS.includes(draft.actor.kind)) throw new RangeError(`unknown actor kind "${String(draft.actor.kind)}"`);
  const attempt = draft.attempt ?? 0;
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`audit attempt must be a non-negative integer, got ${attempt}`);
  const changes = draft.changes ?? [];
  // Fields are picked one by one rather than spread, so a draft carrying anything extra stores only what is hashed.
  const sealedChanges: AuditChange[] = [];
  for (let index = 0; index < changes.length; index += 1) {
    const change = changes[index] as AuditChange;
    checkChange(change, index);
    sealedChanges.push(
      change.beforeRead === undefined
        ? { field: change.field, before: change.before, after: change.after, confidence: change.confidence, reason: change.reason }
        : { field: change.field, before: change.before, after: change.after, confidence: change.confidence, reason: change.reason, beforeRead: change.beforeRead },
    );
  }

  // Built once, rowHash last, and hashed without its rowHash (canonicalBody picks the body's fields).
  const record: Mutable<AuditRecord> = {
    id: position.id,
    time: draft.time,
    leadKey: draft.leadKey,
    source: draft.source ?? null,
    eventId: draft.eventId ?? null,
    idempotencyKey: draft.idempotencyKey ?? null,
    payloadHash: draft.payloadHash ?? null,
    mappingVersion: draft.mappingVersion ?? null,
    schemaVersion: draft.schemaVersion ?? null,
    object: draft.object ?? null,
    changes: sealedChanges,
    actor: { kind: draft.actor.kind, name: draft.actor.name },
    outcome: draft.outcome,
    attempt,
    errorCode: draft.errorCode ?? null,
    errorTrace: draft.errorTrace ?? null,
    crmRecordId: draft.crmRecordId ?? null,
    prevHash: position.prevHash,
    rowHash: '',
  };
  record.rowHash = auditRowHash(record);
  return record;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Checks rows in chain order (ascending id). Streams: pass a lazy iterable to
 * verify a large table in constant memory. Names the first row that breaks.
 */
export function verifyChain(rows: Iterable<AuditRecord>): ChainVerification {
  let expectedPrev = GENESIS_HASH;
  let verified = 0;
  for (const row of rows) {
    if (row.prevHash !== expectedPrev) {
      return {
        ok: false,
        rows: verified,
        firstBrokenId: row.id,
        reason: 'prev_hash_mismatch',
        detail: `row ${row.id} points at ${row.prevHash}, but the row before it hashes to ${expectedPrev}`,
      };
    }
    const recomputed = auditRowHash(row);
    if (recomputed !== row.rowHash) {
      return {
        ok: false,
        rows: verified,
        firstBrokenId: row.id,
        reason: 'row_hash_mismatch',
        detail: `row ${row.id} content hashes to ${recomputed}, but its stored rowHash is ${row.rowHash}`,
      };
    }
    expectedPrev = row.rowHash;
    verified += 1;
  }
  return { ok: true, rows: verified, headHash: expectedPrev };
}
