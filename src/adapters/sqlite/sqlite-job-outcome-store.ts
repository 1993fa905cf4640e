import type BetterSqlite3 from 'better-sqlite3';
import type { FieldStateUpdate } from '../../ports/field-state-store.js';
import type { JobOutcomeStore, SettleInput, SettleResult } from '../../ports/job-outcome-store.js';
import { promised } from './sqlite-async-bridge.js';
import type { SqliteApprovalStore } from './sqlite-approval-store.js';
import type { AuditAppendBatch, SqliteAuditStore } from './sqlite-audit-store.js';
import { formatId, parseId } from './sqlite-column-codecs.js';
import type { SqliteDeadLetterStore } from './sqlite-dead-letter-store.js';
import type { SqliteFieldStateStore } from './sqlite-field-state-store.js';
import type { DeletedJob, SqliteJobQueue } from './sqlite-job-queue.js';

/** Outcome parts live in the other stores; this one runs them in one transaction. */
export interface SqliteOutcomeParts {
  readonly jobs: SqliteJobQueue;
  readonly audit: SqliteAuditStore;
  readonly deadLetters: SqliteDeadLetterStore;
  readonly approvals: SqliteApprovalStore;
  readonly fieldState: SqliteFieldStateStore;
}

/**
 * Finishes jobs on SQLite: every part of an outcome commits together or not
 * at all. A batch of settles is one transaction, and within it the shared
 * work is done once: the audit chain head is read once and carried from one
 * input to the next, the dashboard counts are added once, and each record's
 * field state is read and written once with the updates of every settled
 * input applied in input order (later updates of a field win, as when the
 * inputs were written one by one). Nothing inside a settle reads field state,
 * so writing it at the end of the transaction is indistinguishable from
 * writing it per input; a throw anywhere still rolls back every input.
 *
 * The settled jobs are deleted first, with one statement per worker, and the
 * queue's counts are updated once; an input whose job was not deleted by its
 * own claim is `lost_claim`, as if its delete had come up empty in input
 * order (nothing between the deletes and the other writes reads the jobs
 * table). The lanes the delete returns are the lanes the dashboard counts
 * the jobs' audit rows under, so they are not looked up again.
 */
export class SqliteJobOutcomeStore implements JobOutcomeStore {
  private readonly settleTransaction: BetterSqlite3.Transaction<(inputs: readonly SettleInput[]) => SettleResult[]>;

  constructor(
    db: BetterSqlite3.Database,
    private readonly parts: SqliteOutcomeParts,
  ) {
    this.settleTransaction = db.transaction((inputs: readonly SettleInput[]) => {
      const jobCounts = this.parts.jobs.countTally();
      const claims: { id: number; workerId: string }[] = [];
      for (const input of inputs) {
        const id = input.job === undefined ? undefined : parseId(input.job.id);
        if (input.job !== undefined && id !== undefined) claims.push({ id, workerId: input.job.workerId });
      }
      // Deleting a head job fires jobs_promote_next_head, releasing the lead's next job.
      const deleted = claims.length === 0 ? new Map<number, DeletedJob>() : this.parts.jobs.deleteClaimedInTransaction(claims, jobCounts);
      const audit = this.parts.audit.beginBatch();
      for (const job of deleted.values()) this.parts.audit.knowEventLane(audit, formatId(job.eventId), job.lane);
      const fieldState: FieldStateUpdate[] = [];
      const results = inputs.map((input) => this.settleOne(input, deleted, audit, fieldState));
      this.parts.audit.finishBatch(audit);
      this.parts.fieldState.upsertInTransaction(fieldState);
      jobCounts.writeInTransaction();
      return results;
    });
  }

  private settleOne(input: SettleInput, deleted: Map<number, DeletedJob>, audit: AuditAppendBatch, fieldState: FieldStateUpdate[]): SettleResult {
    // The claim check comes first and writes nothing else when it fails, so a
    // worker whose claim expired cannot add a second outcome for the job.
    if (input.job !== undefined) {
      const jobId = parseId(input.job.id);
      const job = jobId === undefined ? undefined : deleted.get(jobId);
      if (jobId === undefined || job === undefined || job.workerId !== input.job.workerId) return { status: 'lost_claim' };
      // Settled once: a second input naming the same job finds it gone, as its delete would have.
      deleted.delete(jobId);
    }
    const auditIds = this.parts.audit.appendInTransaction(input.audit, audit);
    const deadLetterId = input.deadLetter === undefined ? null : this.parts.deadLetters.insertInTransaction(input.deadLetter);
    const approvalIds = (input.approvals ?? []).map((approval) => this.parts.approvals.insertInTransaction(approval));
    for (const update of input.fieldState ?? []) fieldState.push(update);
    return { status: 'settled', auditIds, deadLetterId, approvalIds };
  }

  settle(input: SettleInput): Promise<SettleResult> {
    return promised(() => {
      const [result] = this.settleTransaction.immediate([input]);
      if (result === undefined) throw new Error('settle produced no result');
      return result;
    });
  }

  settleMany(inputs: readonly SettleInput[]): Promise<readonly SettleResult[]> {
    return promised(() => (inputs.length === 0 ? [] : this.settleTransaction.immediate(inputs)));
  }
}
