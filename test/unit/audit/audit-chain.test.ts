import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, auditRowHash, isAuditTime, sealAuditRecord, verifyChain } from '../../../src/core/audit/audit-chain.js';
import { AUDIT_OUTCOMES, type AuditChange, type AuditDraft, type AuditRecord } from '../../../src/core/audit/audit-record-types.js';
import type { FieldValue } from '../../../src/core/crm-schema/crm-schema-types.js';

const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
);

const change: fc.Arbitrary<AuditChange> = fc.record({
  field: fc.string({ minLength: 1 }),
  before: fieldValue,
  after: fieldValue,
  confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  reason: fc.string(),
});

const optionalText = fc.option(fc.string(), { nil: null });

const draft: fc.Arbitrary<AuditDraft> = fc.record({
  time: fc.date({ min: new Date('2000-01-01T00:00:00.000Z'), max: new Date('2100-01-01T00:00:00.000Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  leadKey: fc.string({ minLength: 1 }),
  source: optionalText,
  eventId: optionalText,
  idempotencyKey: optionalText,
  payloadHash: optionalText,
  mappingVersion: optionalText,
  schemaVersion: optionalText,
  object: optionalText,
  changes: fc.array(change, { maxLength: 3 }),
  actor: fc.record({ kind: fc.constantFrom('source' as const, 'system' as const, 'person' as const), name: fc.string() }),
  outcome: fc.constantFrom(...AUDIT_OUTCOMES),
  attempt: fc.nat(10),
  errorCode: fc.constantFrom(null, 'CRM_UNAVAILABLE' as const, 'CRM_PICKLIST_MISMATCH' as const),
  errorTrace: optionalText,
  crmRecordId: optionalText,
});

/** Appends drafts one by one, as a store does. */
function buildChain(drafts: readonly AuditDraft[]): AuditRecord[] {
  const rows: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  drafts.forEach((entry, index) => {
    const row = sealAuditRecord(entry, { id: String(index + 1), prevHash });
    rows.push(row);
    prevHash = row.rowHash;
  });
  return rows;
}

const FIELDS = [
  'id', 'time', 'leadKey', 'source', 'eventId', 'idempotencyKey', 'payloadHash', 'mappingVersion', 'schemaVersion', 'object',
  'changes', 'actor', 'outcome', 'attempt', 'errorCode', 'errorTrace', 'crmRecordId', 'prevHash', 'rowHash',
] as const satisfies readonly (keyof AuditRecord)[];

function otherText(value: string | null): string {
  return value === null ? '' : `${value}x`;
}

function flipHex(hash: string): string {
  return `${hash.startsWith('0') ? '1' : '0'}${hash.slice(1)}`;
}

/** The row with one field set to a different value of a type the field can hold. */
function mutate(row: AuditRecord, field: (typeof FIELDS)[number]): AuditRecord {
  switch (field) {
    case 'id':
      return { ...row, id: `${row.id}0` };
    case 'time':
      return { ...row, time: new Date(new Date(row.time).getTime() + 1).toISOString() };
    case 'leadKey':
      return { ...row, leadKey: otherText(row.leadKey) };
    case 'changes': {
      const [first, ...rest] = row.changes;
      if (first === undefined) return { ...row, changes: [{ field: 'f', before: null, after: 'x', confidence: null, reason: '' }] };
      return { ...row, changes: [{ ...first, reason: `${first.reason}x` }, ...rest] };
    }
    case 'actor':
      return { ...row, actor: { ...row.actor, name: `${row.actor.name}x` } };
    case 'outcome':
      return { ...row, outcome: row.outcome === 'written' ? 'stale' : 'written' };
    case 'attempt':
      return { ...row, attempt: row.attempt + 1 };
    case 'errorCode':
      return { ...row, errorCode: row.errorCode === null ? 'CRM_REJECTED' : null };
    case 'prevHash':
      return { ...row, prevHash: flipHex(row.prevHash) };
    case 'rowHash':
      return { ...row, rowHash: flipHex(row.rowHash) };
    default:
      return { ...row, [field]: otherText(row[field]) };
  }
}

describe('audit chain', () => {
  it('verifies any chain built by appending, also after a JSON round trip through storage', () => {
    fc.assert(
      fc.property(fc.array(draft, { maxLength: 12 }), (drafts) => {
        const rows = buildChain(drafts);
        const expected = { ok: true, rows: rows.length, headHash: rows.at(-1)?.rowHash ?? GENESIS_HASH };
        expect(verifyChain(rows)).toEqual(expected);
        expect(verifyChain(JSON.parse(JSON.stringify(rows)) as AuditRecord[])).toEqual(expected);
      }),
    );
  });

  it('breaks at exactly the row in which any one field was changed', () => {
    fc.assert(
      fc.property(
        fc.array(draft, { minLength: 1, maxLength: 8 }).chain((drafts) =>
          fc.tuple(fc.constant(drafts), fc.nat(drafts.length - 1), fc.constantFrom(...FIELDS)),
        ),
        ([drafts, index, field]) => {
          const rows = buildChain(drafts);
          const original = rows[index];
          if (original === undefined) throw new Error('index out of range');
          const tampered = mutate(original, field);
          rows[index] = tampered;
          const result = verifyChain(rows);
          expect(result).toMatchObject({
            ok: false,
            rows: index,
            firstBrokenId: tampered.id,
            reason: field === 'prevHash' ? 'prev_hash_mismatch' : 'row_hash_mismatch',
          });
        },
      ),
    );
  });

  it('names the row after a removed row, and a reordered row', () => {
    const rows = buildChain(fc.sample(draft, { numRuns: 5, seed: 42 }));
    const [first, second, third] = rows;
    expect(verifyChain([first, third].filter((row) => row !== undefined))).toMatchObject({ ok: false, firstBrokenId: third?.id, reason: 'prev_hash_mismatch' });
    expect(verifyChain([second, first].filter((row) => row !== undefined))).toMatchObject({ ok: false, firstBrokenId: second?.id, reason: 'prev_hash_mismatch' });
  });

  it('hashes prevHash + canonical JSON of every field but rowHash, ignoring extra properties', () => {
    const [row] = buildChain(fc.sample(draft, { numRuns: 1, seed: 7 }));
    if (row === undefined) throw new Error('no row');
    expect(auditRowHash(row)).toBe(row.rowHash);
    expect(auditRowHash({ ...row, uiFlag: true } as AuditRecord)).toBe(row.rowHash);
    expect(row.prevHash).toBe('0'.repeat(64));
  });

  it('stores absent optional fields as null and defaults attempt and changes', () => {
    const row = sealAuditRecord(
      { time: '2026-01-01T00:00:00.000Z', leadKey: 'k', actor: { kind: 'system', name: 'leadsync' }, outcome: 'duplicate' },
      { id: '1', prevHash: GENESIS_HASH },
    );
    expect(row).toMatchObject({ source: null, eventId: null, errorCode: null, crmRecordId: null, attempt: 0, changes: [] });
  });

  it.each([
    ['a time not in toISOString form', { time: '2026-01-01T00:00:00Z' }],
    ['an impossible date', { time: '2026-02-30T00:00:00.000Z' }],
    ['an empty lead key', { leadKey: '' }],
    ['a negative attempt', { attempt: -1 }],
    ['a fractional attempt', { attempt: 1.5 }],
    ['a confidence above 1', { changes: [{ field: 'f', before: null, after: 1, confidence: 1.01, reason: '' }] }],
    ['a NaN value', { changes: [{ field: 'f', before: null, after: Number.NaN, confidence: null, reason: '' }] }],
  ] satisfies [string, Partial<AuditDraft>][])('refuses to seal %s', (_name, overrides) => {
    const base: AuditDraft = { time: '2026-01-01T00:00:00.000Z', leadKey: 'k', actor: { kind: 'system', name: 'leadsync' }, outcome: 'written' };
    expect(() => sealAuditRecord({ ...base, ...overrides }, { id: '1', prevHash: GENESIS_HASH })).toThrow();
  });

  it('recognises audit times', () => {
    expect(isAuditTime('2026-01-01T00:00:00.000Z')).toBe(true);
    expect(isAuditTime('2026-01-01T00:00:00.000+00:00')).toBe(false);
    expect(isAuditTime('2026-13-01T00:00:00.000Z')).toBe(false);
  });

  it('checks every time in full, also right after an audit time was recognised', () => {
    // isAuditTime remembers the last good time; nothing else may pass for it.
    for (const bad of ['', '2026-01-01T00:00:00.000z', '2026-02-30T00:00:00.000Z', ' 2026-01-01T00:00:00.000Z']) {
      expect(isAuditTime('2026-01-01T00:00:00.000Z')).toBe(true);
      expect(isAuditTime(bad)).toBe(false);
      expect(() => sealAuditRecord({ time: bad, leadKey: 'k', actor: { kind: 'system', name: 'leadsync' }, outcome: 'written' }, { id: '1', prevHash: GENESIS_HASH })).toThrow(RangeError);
    }
    expect(isAuditTime('2026-01-01T00:00:00.000Z')).toBe(true);
    expect(isAuditTime('2026-01-01T00:00:00.001Z')).toBe(true);
  });
});
