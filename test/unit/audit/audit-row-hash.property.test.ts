import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditRowHash } from '../../../src/core/audit/audit-chain.js';
import type { AuditRecordBody } from '../../../src/core/audit/audit-record-types.js';
import { canonicalJson } from '../../../src/core/hashing/canonical-json.js';
import { sha256Hex } from '../../../src/core/hashing/sha256.js';

// auditRowHash writes the canonical JSON of a row directly instead of through
// canonicalJson; stored chains depend on the two agreeing byte for byte, for
// well-formed rows and for rows read back from a tampered or damaged store.

const BODY_KEYS = [
  'id', 'time', 'leadKey', 'source', 'eventId', 'idempotencyKey', 'payloadHash', 'mappingVersion', 'schemaVersion',
  'object', 'changes', 'actor', 'outcome', 'attempt', 'errorCode', 'errorTrace', 'crmRecordId', 'prevHash',
] as const;

function reference(row: AuditRecordBody): string {
  const body: Record<string, unknown> = {};
  for (const key of BODY_KEYS) body[key] = row[key];
  body['actor'] = { kind: row.actor.kind, name: row.actor.name };
  body['changes'] = row.changes.map((change) => ({ field: change.field, before: change.before, after: change.after, confidence: change.confidence, reason: change.reason, beforeRead: change.beforeRead }));
  return sha256Hex(row.prevHash + canonicalJson(body));
}

const maybe = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> => fc.oneof(arbitrary, fc.constant(null), fc.constant(undefined));
const text = fc.string({ unit: 'binary' });
const value = fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.constant(undefined));
const change = fc.record({ field: maybe(text), before: value, after: value, confidence: maybe(fc.double({ min: 0, max: 1, noNaN: true })), reason: maybe(text), beforeRead: fc.constantFrom(false, undefined) });
const row = fc.record({
  id: maybe(text), time: maybe(text), leadKey: maybe(text), source: maybe(text), eventId: maybe(text), idempotencyKey: maybe(text),
  payloadHash: maybe(text), mappingVersion: maybe(text), schemaVersion: maybe(text), object: maybe(text),
  changes: fc.array(change, { maxLength: 4 }), actor: fc.record({ kind: maybe(text), name: maybe(text) }), outcome: maybe(text),
  attempt: maybe(fc.integer()), errorCode: maybe(text), errorTrace: maybe(text), crmRecordId: maybe(text), prevHash: text,
  extra: maybe(text),
}) as unknown as fc.Arbitrary<AuditRecordBody>;

describe('auditRowHash', () => {
  it('equals sha256(prevHash + canonicalJson(row without rowHash)) for any row, absent members included', () => {
    fc.assert(fc.property(row, (candidate) => {
        expect(auditRowHash(candidate)).toBe(reference(candidate));
      }), { numRuns: 1000 });
  });
});
