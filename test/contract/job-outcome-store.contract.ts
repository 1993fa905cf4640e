import { describe, expect, it } from 'vitest';
import type { NewApproval } from '../../src/ports/approval-store.js';
import type { NewDeadLetter } from '../../src/ports/dead-letter-store.js';
import type { Job } from '../../src/ports/job-queue.js';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import { ManualClock } from '../support/manual-clock.js';
import { auditDraft, newEvent } from '../support/storage-fixtures.js';
import type { StorageFactory } from './storage-under-test.js';

async function claimOne(ports: StoragePorts, clock: ManualClock, leadId = 'lead-1'): Promise<Job> {
  await ports.ingest.accept(newEvent({ leadId, receivedAt: clock.now() }));
  const [job] = await ports.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
  if (job === undefined) throw new Error('nothing to claim');
  return job;
}

function deadLetterFor(job: Job, createdAt: Date): NewDeadLetter {
  return {
    eventId: job.eventId, jobId: job.id, source: 'webform', leadKey: job.leadKey, errorCode: 'CRM_UNAVAILABLE',
    message: 'retries exhausted', trace: 'CRM_UNAVAILABLE x3', attempts: job.attempt, createdAt,
  };
}

function approvalFor(job: Job, createdAt: Date): NewApproval {
  return {
    leadKey: job.leadKey, object: 'contact', field: 'owner', before: 'ada', proposed: 'bob', confidence: 0.8,
    reason: 'approval policy', source: 'webform', sourceUpdatedAt: '2026-01-01T00:00:00.000Z', eventId: job.eventId, createdAt,
  };
}

/** Contract of JobOutcomeStore: a job's outcome is written whole or not at all. */
export function jobOutcomeStoreContract(makeStorage: StorageFactory): void {
  describe('JobOutcomeStore contract', () => {
    it('settles a job: audit appended, job gone, field state stored', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const job = await claimOne(ports, clock);
      const result = await ports.outcomes.settle({
        job: { id: job.id, workerId: 'w' },
        audit: [auditDraft({ leadKey: job.leadKey, eventId: job.eventId }), auditDraft({ leadKey: job.leadKey, outcome: 'no_change' })],
        fieldState: [{ leadKey: job.leadKey, object: 'contact', field: 'jobtitle', value: 'VP Sales', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' }],
      });
      expect(result).toMatchObject({ status: 'settled', deadLetterId: null, approvalIds: [] });
      if (result.status !== 'settled') return;
      expect(result.auditIds).toHaveLength(2);
      expect((await ports.audit.history(job.leadKey)).map((entry) => entry.id)).toEqual(result.auditIds);
      expect(await ports.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
      expect(await ports.fieldState.read(job.leadKey, 'contact')).toEqual({
        jobtitle: { value: 'VP Sales', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
      });
    });

    it('creates the DLQ item and approval items of an outcome', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const failed = await claimOne(ports, clock, 'failing');
      const dlq = await ports.outcomes.settle({
        job: { id: failed.id, workerId: 'w' },
        audit: [auditDraft({ leadKey: failed.leadKey, outcome: 'dead_lettered', errorCode: 'CRM_UNAVAILABLE' })],
        deadLetter: deadLetterFor(failed, clock.now()),
      });
      expect(dlq.status).toBe('settled');
      if (dlq.status !== 'settled' || dlq.deadLetterId === null) throw new Error('expected a DLQ item');
      expect(await ports.deadLetters.get(dlq.deadLetterId)).toMatchObject({ status: 'open', jobId: failed.id, eventId: failed.eventId });

      const pending = await claimOne(ports, clock, 'owned');
      const approvals = await ports.outcomes.settle({
        job: { id: pending.id, workerId: 'w' },
        audit: [auditDraft({ leadKey: pending.leadKey, outcome: 'pending_approval' })],
        approvals: [approvalFor(pending, clock.now())],
      });
      if (approvals.status !== 'settled') throw new Error('expected settled');
      expect(approvals.approvalIds).toHaveLength(1);
      const [approvalId] = approvals.approvalIds;
      expect(await ports.approvals.get(approvalId ?? '')).toMatchObject({ status: 'pending', field: 'owner', proposed: 'bob' });
    });

    it('writes nothing when the claim is not ours', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const job = await claimOne(ports, clock);
      const result = await ports.outcomes.settle({
        job: { id: job.id, workerId: 'someone-else' },
        audit: [auditDraft()],
        deadLetter: deadLetterFor(job, clock.now()),
      });
      expect(result).toEqual({ status: 'lost_claim' });
      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 0 });
      expect((await ports.deadLetters.list()).items).toEqual([]);
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
    });

    it('writes nothing at all when settle fails midway', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      const job = await claimOne(ports, clock);
      // NaN cannot be stored as a field value; the field state is the last part written.
      await expect(
        ports.outcomes.settle({
          job: { id: job.id, workerId: 'w' },
          audit: [auditDraft({ leadKey: job.leadKey })],
          deadLetter: deadLetterFor(job, clock.now()),
          approvals: [approvalFor(job, clock.now())],
          fieldState: [{ leadKey: job.leadKey, object: 'contact', field: 'score', value: Number.NaN, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 1, source: 'webform' }],
        }),
      ).rejects.toThrow();

      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 0 });
      expect((await ports.deadLetters.list()).items).toEqual([]);
      expect((await ports.approvals.list()).items).toEqual([]);
      expect(await ports.fieldState.read(job.leadKey, 'contact')).toEqual({});
      // The job is still claimed by w: settling it properly still works.
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
      expect((await ports.outcomes.settle({ job: { id: job.id, workerId: 'w' }, audit: [auditDraft()] })).status).toBe('settled');
    });

    it('settleMany gives each input the ids of its own DLQ item and approvals, a lost claim none', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      for (const leadId of ['a', 'b', 'c', 'd']) await ports.ingest.accept(newEvent({ leadId, receivedAt: clock.now() }));
      const [a, b, c, d] = await ports.jobs.claim({ lane: 'realtime', limit: 4, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
      if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('expected four jobs');
      const approval = (job: Job, proposed: string): NewApproval => ({ ...approvalFor(job, clock.now()), proposed });
      const results = await ports.outcomes.settleMany([
        { job: { id: a.id, workerId: 'w' }, audit: [], deadLetter: deadLetterFor(a, clock.now()) },
        { job: { id: b.id, workerId: 'not-w' }, audit: [], deadLetter: deadLetterFor(b, clock.now()), approvals: [approval(b, 'lost')] },
        { job: { id: c.id, workerId: 'w' }, audit: [], approvals: [approval(c, 'c1'), approval(c, 'c2')] },
        { job: { id: d.id, workerId: 'w' }, audit: [], deadLetter: deadLetterFor(d, clock.now()), approvals: [approval(d, 'd1')] },
      ]);
      const [ra, rb, rc, rd] = results;
      if (ra?.status !== 'settled' || rc?.status !== 'settled' || rd?.status !== 'settled') throw new Error('expected a, c and d settled');
      expect(rb?.status).toBe('lost_claim');
      expect([ra.approvalIds.length, rc.deadLetterId, rc.approvalIds.length]).toEqual([0, null, 2]);
      expect((await ports.deadLetters.get(ra.deadLetterId ?? ''))?.jobId).toBe(a.id);
      expect((await ports.deadLetters.get(rd.deadLetterId ?? ''))?.jobId).toBe(d.id);
      const proposed = async (ids: readonly string[]): Promise<unknown[]> => Promise.all(ids.map(async (id) => (await ports.approvals.get(id))?.proposed));
      expect(await proposed(rc.approvalIds)).toEqual(['c1', 'c2']);
      expect(await proposed(rd.approvalIds)).toEqual(['d1']);
      expect((await ports.deadLetters.list()).items).toHaveLength(2);
      expect((await ports.approvals.list()).items).toHaveLength(3);
    });

    it('settleMany settles each input on its own merits, in one all-or-nothing call', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      for (const leadId of ['a', 'b', 'c']) await ports.ingest.accept(newEvent({ leadId, receivedAt: clock.now() }));
      const jobs = await ports.jobs.claim({ lane: 'realtime', limit: 3, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
      const [a, b, c] = jobs;
      if (a === undefined || b === undefined || c === undefined) throw new Error('expected three jobs');

      const results = await ports.outcomes.settleMany([
        { job: { id: a.id, workerId: 'w' }, audit: [auditDraft({ leadKey: a.leadKey })] },
        { job: { id: b.id, workerId: 'not-w' }, audit: [auditDraft({ leadKey: b.leadKey })] },
        { job: { id: c.id, workerId: 'w' }, audit: [auditDraft({ leadKey: c.leadKey })] },
      ]);
      expect(results.map((result) => result.status)).toEqual(['settled', 'lost_claim', 'settled']);
      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 2 });
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });

      // One failing input rolls back the whole call.
      await expect(
        ports.outcomes.settleMany([
          { job: { id: b.id, workerId: 'w' }, audit: [auditDraft({ leadKey: b.leadKey })] },
          { audit: [auditDraft({ time: 'yesterday' })] },
        ]),
      ).rejects.toThrow();
      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 2 });
      expect(await ports.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
      expect(await ports.outcomes.settleMany([])).toEqual([]);
    });

    it('settleMany stores field state as settling the inputs one by one would: in input order, nothing of a lost claim', async () => {
      const { ports } = await makeStorage();
      const clock = new ManualClock();
      for (const leadId of ['a', 'b', 'c']) await ports.ingest.accept(newEvent({ leadId, receivedAt: clock.now() }));
      const [a, b, c] = await ports.jobs.claim({ lane: 'realtime', limit: 3, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
      if (a === undefined || b === undefined || c === undefined) throw new Error('expected three jobs');
      const state = (field: string, value: string, source: string): { leadKey: string; object: string; field: string; value: string; appliedAt: string; confidence: number; source: string } => ({
        leadKey: 'companies:example.com', object: 'companies', field, value, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source,
      });
      await ports.outcomes.settle({ audit: [auditDraft()], fieldState: [state('name', 'Before', 'seed'), state('domain', 'example.com', 'seed')] });

      const results = await ports.outcomes.settleMany([
        { job: { id: a.id, workerId: 'w' }, audit: [auditDraft({ leadKey: a.leadKey })], fieldState: [state('name', 'First', 'a'), state('industry', 'Software', 'a')] },
        { job: { id: b.id, workerId: 'not-w' }, audit: [auditDraft({ leadKey: b.leadKey })], fieldState: [state('name', 'Lost', 'b'), state('city', 'Lost', 'b')] },
        { job: { id: c.id, workerId: 'w' }, audit: [auditDraft({ leadKey: c.leadKey })], fieldState: [state('name', 'Second', 'c')] },
      ]);
      expect(results.map((result) => result.status)).toEqual(['settled', 'lost_claim', 'settled']);
      expect(await ports.fieldState.read('companies:example.com', 'companies')).toEqual({
        name: { value: 'Second', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'c' },
        domain: { value: 'example.com', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'seed' },
        industry: { value: 'Software', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'a' },
      });
      // The chain carried through the batch continues with the next append.
      await ports.outcomes.settle({ audit: [auditDraft()] });
      expect(await ports.audit.verify()).toMatchObject({ ok: true, rows: 4 });
    });

    it('settles an outcome without a job (a decision recorded on its own)', async () => {
      const { ports } = await makeStorage();
      const result = await ports.outcomes.settle({ audit: [auditDraft({ actor: { kind: 'person', name: 'ops@example.com' }, outcome: 'approved', attempt: 0 })] });
      expect(result.status).toBe('settled');
      if (result.status === 'settled') expect(await ports.audit.history('webform:lead-1')).toMatchObject([{ id: result.auditIds[0], outcome: 'approved' }]);
    });
  });
}
