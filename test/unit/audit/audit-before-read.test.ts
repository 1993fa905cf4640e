import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, sealAuditRecord, verifyChain } from '../../../src/core/audit/audit-chain.js';
import type { AuditDraft } from '../../../src/core/audit/audit-record-types.js';

// `AuditChange.beforeRead` (docs/decisions/0013) is hashed only when present:
// rows sealed before it existed must keep their hash, or `leadsync audit verify`
// would report every old row as tampered.

const draft: AuditDraft = {
  time: '2026-01-01T00:00:00.000Z',
  leadKey: 'contacts:ada@example.com',
  source: 'clearbit',
  eventId: '7',
  actor: { kind: 'source', name: 'clearbit' },
  outcome: 'written',
  attempt: 1,
  changes: [{ field: 'jobtitle', before: 'CTO', after: 'VP Sales', confidence: 0.9, reason: 'overwrite policy' }],
};

// Sealed by the audit chain as it was before `beforeRead` existed.
const HASH_BEFORE_THE_FLAG = '8e5038908b5a026aa3167509c606d668d71362d2401b4cc6af6ed00b98a35c1d';

describe('audit change beforeRead flag', () => {
  it('leaves the hash of a row without the flag as it was', () => {
    expect(sealAuditRecord(draft, { id: '1', prevHash: GENESIS_HASH }).rowHash).toBe(HASH_BEFORE_THE_FLAG);
  });

  it('is covered by the hash when present: removing it breaks the chain', () => {
    const flagged = sealAuditRecord({ ...draft, changes: [{ field: 'jobtitle', before: 'CTO', after: 'VP Sales', confidence: 0.9, reason: 'overwrite policy', beforeRead: false }] }, { id: '1', prevHash: GENESIS_HASH });
    expect(flagged.rowHash).not.toBe(HASH_BEFORE_THE_FLAG);
    const next = sealAuditRecord(draft, { id: '2', prevHash: flagged.rowHash });
    expect(verifyChain([flagged, next])).toMatchObject({ ok: true, rows: 2 });
    const stripped = { ...flagged, changes: flagged.changes.map(({ beforeRead: _dropped, ...change }) => change) };
    expect(verifyChain([stripped, next])).toMatchObject({ ok: false, firstBrokenId: '1', reason: 'row_hash_mismatch' });
  });
});
