import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/core/audit/audit-chain.js';
import type { AuditRecord } from '../../src/core/audit/audit-record-types.js';
import type { AuditQuery } from '../../src/ports/audit-store.js';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import { auditDraft } from '../support/storage-fixtures.js';
import type { StorageFactory } from './storage-under-test.js';

const OUTCOMES = ['written', 'no_change', 'stale'] as const;
const SOURCES = ['webform', 'clearbit'] as const;

/** 30 entries over 3 leads, 2 sources and 3 outcomes; every third pair shares a timestamp. */
async function seed(ports: StoragePorts): Promise<readonly string[]> {
  const drafts = Array.from({ length: 30 }, (_, index) =>
    auditDraft({
      time: new Date(Date.UTC(2026, 0, 1) + Math.floor(index / 2) * 60_000).toISOString(),
      leadKey: `lead-${index % 3}`,
      source: SOURCES[index % 2] ?? 'webform',
      outcome: OUTCOMES[index % 3] ?? 'written',
    }),
  );
  return ports.audit.append(drafts);
}

async function searchAll(ports: StoragePorts, query: Omit<AuditQuery, 'cursor'>): Promise<readonly AuditRecord[]> {
  const found: AuditRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await ports.audit.search(cursor === null ? query : { ...query, cursor });
    found.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return found;
}

/** Contract of AuditStore: append-only, hash-chained, searchable. */
export function auditStoreContract(makeStorage: StorageFactory): void {
  describe('AuditStore contract', () => {
    it('appends entries in order on one chain and gives a lead its history', async () => {
      const { ports } = await makeStorage();
      const ids = await ports.audit.append([
        auditDraft({ leadKey: 'a', eventId: '1', payloadHash: 'f'.repeat(64), mappingVersion: 'webform@3', schemaVersion: '2026-01-01', object: 'contact', crmRecordId: '512' }),
        auditDraft({ leadKey: 'b', outcome: 'dead_lettered', errorCode: 'CRM_UNAVAILABLE', errorTrace: 'timeout x3', changes: [] }),
      ]);
      const [more] = await ports.audit.append([auditDraft({ leadKey: 'a', outcome: 'no_change', attempt: 2 })]);
      expect(new Set([...ids, more]).size).toBe(3);

      const history = await ports.audit.history('a');
      expect(history.map((entry) => entry.id)).toEqual([ids[0], more]);
      expect(history[0]).toMatchObject({
        leadKey: 'a', eventId: '1', payloadHash: 'f'.repeat(64), mappingVersion: 'webform@3', schemaVersion: '2026-01-01',
        object: 'contact', crmRecordId: '512', outcome: 'written', attempt: 1, errorCode: null, errorTrace: null,
        idempotencyKey: null, prevHash: GENESIS_HASH, actor: { kind: 'source', name: 'webform' },
        changes: [{ field: 'jobtitle', before: null, after: 'VP Sales', confidence: 0.9, reason: 'overwrite policy' }],
      });
      const [b] = await ports.audit.history('b');
      expect(b).toMatchObject({ errorCode: 'CRM_UNAVAILABLE', errorTrace: 'timeout x3', changes: [], prevHash: history[0]?.rowHash });
      expect(history[1]?.prevHash).toBe(b?.rowHash);
      expect(await ports.audit.history('nobody')).toEqual([]);
      expect(await ports.audit.append([])).toEqual([]);
    });

    it('refuses a batch with an invalid draft and appends none of it', async () => {
      const { ports } = await makeStorage();
      await expect(ports.audit.append([auditDraft(), auditDraft({ time: '2026-01-01 00:00' })])).rejects.toThrow();
      await expect(ports.audit.append([auditDraft({ changes: [{ field: 'x', before: null, after: 1, confidence: 7, reason: 'r' }] })])).rejects.toThrow();
      expect(await ports.audit.verify()).toEqual({ ok: true, rows: 0, headHash: GENESIS_HASH });
    });

    it('searches by lead, source, outcome and time, newest first, paging through every match exactly once', async () => {
      const { ports } = await makeStorage();
      const ids = await seed(ports);
      const all = await searchAll(ports, { limit: 4 });
      expect(all.map((entry) => entry.id)).toEqual([...ids].reverse());

      const cases: readonly Omit<AuditQuery, 'cursor'>[] = [
        { leadKey: 'lead-1', limit: 3 },
        { source: 'clearbit', limit: 2 },
        { outcome: 'stale', limit: 3 },
        { source: 'webform', outcome: 'written', limit: 1 },
        { from: new Date('2026-01-01T00:03:00.000Z'), to: new Date('2026-01-01T00:07:00.000Z'), limit: 3 },
        { leadKey: 'lead-2', from: new Date('2026-01-01T00:05:00.000Z') },
      ];
      for (const query of cases) {
        const expected = all.filter(
          (entry) =>
            (query.leadKey === undefined || entry.leadKey === query.leadKey) &&
            (query.source === undefined || entry.source === query.source) &&
            (query.outcome === undefined || entry.outcome === query.outcome) &&
            (query.from === undefined || entry.time >= query.from.toISOString()) &&
            (query.to === undefined || entry.time < query.to.toISOString()),
        );
        expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
        expect((await searchAll(ports, query)).map((entry) => entry.id), JSON.stringify(query)).toEqual(expected.map((entry) => entry.id));
      }
      const firstPage = await ports.audit.search({ limit: 50 });
      expect(firstPage.items).toHaveLength(30);
      expect(firstPage.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not hand out', async () => {
      const { ports } = await makeStorage();
      await expect(ports.audit.search({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'PAGE_CURSOR_INVALID' });
    });

    it('verifies an intact chain and names the row whose content was changed', async () => {
      const { ports, auditBackdoor } = await makeStorage();
      expect(await ports.audit.verify()).toEqual({ ok: true, rows: 0, headHash: GENESIS_HASH });
      const ids = await seed(ports);
      const intact = await ports.audit.verify();
      const last = (await ports.audit.search({ limit: 1 })).items[0];
      expect(intact).toEqual({ ok: true, rows: 30, headHash: last?.rowHash });

      const victim = ids[17] ?? '';
      await auditBackdoor.flipLeadKeyCharacter(victim);
      expect(await ports.audit.verify()).toMatchObject({ ok: false, firstBrokenId: victim, rows: 17, reason: 'row_hash_mismatch' });
    });

    it('keeps a change\'s beforeRead flag through storage, and rows without it verify beside rows with it', async () => {
      const { ports } = await makeStorage();
      const unread = { field: 'jobtitle', before: 'CTO', after: 'VP Sales', confidence: 0.9, reason: 'overwrite policy', beforeRead: false as const };
      const [id] = await ports.audit.append([auditDraft(), auditDraft({ changes: [unread] }), auditDraft()]).then((ids) => [ids[1]]);
      const [row] = (await ports.audit.history('webform:lead-1')).filter((entry) => entry.id === id);
      expect(row?.changes).toEqual([unread]);
      expect((await ports.audit.history('webform:lead-1'))[0]?.changes[0]).not.toHaveProperty('beforeRead');
      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 3 });
    });

    it('refuses UPDATE and DELETE of audit rows', async () => {
      const { ports, auditBackdoor } = await makeStorage();
      const [id] = await ports.audit.append([auditDraft()]);
      expect(await auditBackdoor.tryUpdate(id ?? '')).toMatch(/append-only/);
      expect(await auditBackdoor.tryDelete(id ?? '')).toMatch(/append-only/);
      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 1 });
    });
  });
}
