import { describe, expect, it } from 'vitest';
import type { NewApproval } from '../../src/ports/approval-store.js';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import { ManualClock } from '../support/manual-clock.js';
import { auditDraft, newEvent } from '../support/storage-fixtures.js';
import type { StorageFactory } from './storage-under-test.js';

/** Creates pending approvals the way a worker does: through a settled outcome. */
async function propose(ports: StoragePorts, clock: ManualClock, leadId: string, fields: readonly string[]): Promise<readonly string[]> {
  const accepted = await ports.ingest.accept(newEvent({ leadId, receivedAt: clock.now() }));
  const approvals = fields.map(
    (field): NewApproval => ({
      leadKey: `webform:${leadId}`, object: 'contact', field, before: 'ada', proposed: 'bob', confidence: 0.7,
      reason: 'approval policy on ownership fields', source: 'webform', sourceUpdatedAt: '2026-01-01T00:00:00.000Z',
      eventId: accepted.eventId, createdAt: clock.now(),
    }),
  );
  const result = await ports.outcomes.settle({ audit: [], approvals });
  if (result.status !== 'settled') throw new Error('expected settled');
  clock.advance(60_000);
  return result.approvalIds;
}

/** Contract of ApprovalStore: list, decide (audited, once), expire. */
export function approvalStoreContract(makeStorage: StorageFactory): void {
  describe('ApprovalStore contract', () => {
    it('stores proposals as pending items, listed newest first and filtered', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const [first] = await propose(ports, clock, 'a', ['owner']);
      const [second, third] = await propose(ports, clock, 'b', ['owner', 'lifecyclestage']);

      expect(await ports.approvals.get(first ?? '')).toMatchObject({
        id: first, leadKey: 'webform:a', object: 'contact', field: 'owner', before: 'ada', proposed: 'bob', confidence: 0.7,
        reason: 'approval policy on ownership fields', source: 'webform', sourceUpdatedAt: '2026-01-01T00:00:00.000Z',
        createdAt: new Date('2026-01-01T00:00:00.000Z'), status: 'pending',
      });
      expect((await ports.approvals.list()).items.map((item) => item.id)).toEqual([third, second, first]);
      expect((await ports.approvals.list({ leadKey: 'webform:a' })).items.map((item) => item.id)).toEqual([first]);
      const page = await ports.approvals.list({ limit: 2 });
      expect(page.items).toHaveLength(2);
      const rest = await ports.approvals.list({ limit: 2, cursor: page.nextCursor ?? '' });
      expect(rest).toEqual({ items: [expect.objectContaining({ id: first })], nextCursor: null });
    });

    it('records a decision once, with the person as actor, atomically with its audit entry', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const [toApprove, toReject] = await propose(ports, clock, 'a', ['owner', 'lifecyclestage']);
      const approved = await ports.approvals.decide(toApprove ?? '', {
        decision: 'approved',
        actor: 'maria@example.com',
        now: clock.now(),
        audit: [auditDraft({ leadKey: 'webform:a', outcome: 'approved', actor: { kind: 'person', name: 'maria@example.com' } })],
      });
      expect(approved).toMatchObject({
        status: 'decided',
        item: { id: toApprove, status: 'approved', decidedBy: 'maria@example.com', decidedAt: clock.now() },
        auditIds: [expect.any(String)],
      });
      const rejected = await ports.approvals.decide(toReject ?? '', { decision: 'rejected', actor: 'maria@example.com', now: clock.now() });
      expect(rejected).toMatchObject({ status: 'decided', item: { status: 'rejected' }, auditIds: [] });

      const again = await ports.approvals.decide(toApprove ?? '', { decision: 'rejected', actor: 'someone', now: clock.now() });
      expect(again).toMatchObject({ status: 'not_pending', item: { status: 'approved', decidedBy: 'maria@example.com' } });
      expect(await ports.approvals.decide('123456', { decision: 'approved', actor: 'x', now: clock.now() })).toEqual({ status: 'not_found' });
      expect(await ports.approvals.get('nope')).toBeUndefined();
      expect((await ports.approvals.list({ status: 'pending' })).items).toEqual([]);
      expect((await ports.audit.history('webform:a')).map((entry) => entry.actor)).toEqual([{ kind: 'person', name: 'maria@example.com' }]);
    });

    it('stores the approved field state with the decision, and nothing for an item no longer pending', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const [id] = await propose(ports, clock, 'a', ['owner']);
      const state = { leadKey: 'webform:a', object: 'contact', field: 'owner', value: 'bob', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.7, source: 'webform' };
      const decided = await ports.approvals.decide(id ?? '', { decision: 'approved', actor: 'maria', now: clock.now(), fieldState: [state] });
      expect(decided).toMatchObject({ status: 'decided' });
      expect(await ports.fieldState.read('webform:a', 'contact')).toEqual({ owner: { value: 'bob', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.7, source: 'webform' } });

      const again = await ports.approvals.decide(id ?? '', { decision: 'approved', actor: 'maria', now: clock.now(), fieldState: [{ ...state, value: 'carol' }] });
      expect(again).toMatchObject({ status: 'not_pending' });
      expect((await ports.fieldState.read('webform:a', 'contact'))['owner']?.value).toBe('bob');
    });

    it('expires only pending items created before the cutoff', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const [old, oldDecided] = await propose(ports, clock, 'a', ['owner', 'lifecyclestage']);
      const cutoff = clock.now();
      const [fresh] = await propose(ports, clock, 'b', ['owner']);
      await ports.approvals.decide(oldDecided ?? '', { decision: 'approved', actor: 'ops', now: clock.now() });

      expect(await ports.approvals.expireOlderThan(cutoff, clock.now())).toBe(1);
      expect(await ports.approvals.get(old ?? '')).toMatchObject({ status: 'expired', decidedAt: clock.now() });
      expect(await ports.approvals.get(oldDecided ?? '')).toMatchObject({ status: 'approved' });
      expect(await ports.approvals.get(fresh ?? '')).toMatchObject({ status: 'pending' });
      expect(await ports.approvals.expireOlderThan(cutoff, clock.now())).toBe(0);
      expect(await ports.approvals.decide(old ?? '', { decision: 'approved', actor: 'ops', now: clock.now() })).toMatchObject({ status: 'not_pending' });
    });

    it('counts pending items only, as listing them would', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      expect(await ports.approvals.countPending()).toBe(0);
      const [toApprove, toReject, toExpire] = await propose(ports, clock, 'a', ['owner', 'lifecyclestage', 'jobtitle']);
      const cutoff = clock.now();
      await propose(ports, clock, 'b', ['owner', 'lifecyclestage']);
      expect(await ports.approvals.countPending()).toBe(5);

      await ports.approvals.decide(toApprove ?? '', { decision: 'approved', actor: 'ops', now: clock.now() });
      await ports.approvals.decide(toReject ?? '', { decision: 'rejected', actor: 'ops', now: clock.now() });
      expect(await ports.approvals.expireOlderThan(cutoff, clock.now())).toBe(1);
      expect(await ports.approvals.get(toExpire ?? '')).toMatchObject({ status: 'expired' });

      const listed = (await ports.approvals.list({ status: 'pending' })).items.length;
      expect(listed).toBe(2);
      expect(await ports.approvals.countPending()).toBe(listed);
    });
  });
}
