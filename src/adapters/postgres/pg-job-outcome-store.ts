import type { JobOutcomeStore, SettleInput, SettleResult } from '../../ports/job-outcome-store.js';
import type { PgApprovalStore } from './pg-approval-store.js';
import { AUDIT_HEAD_LOCK, type AuditHead, type PgAuditStore } from './pg-audit-store.js';
import type { PgClient, PgDatabase, PgTransactionScript } from './pg-database.js';
import type { PgDeadLetterStore } from './pg-dead-letter-store.js';
import type { PgFieldStateStore } from './pg-field-state-store.js';
import type { PgJobQueueTransactions } from './pg-job-queue-link.js';

/** Outcome parts live in the other stores; this one runs them in one transaction. */
export interface PgOutcomeParts {
  readonly queue: PgJobQueueTransactions;
  readonly audit: PgAuditStore;
  readonly deadLetters: PgDeadLetterStore;
  readonly approvals: PgApprovalStore;
  readonly fieldState: PgFieldStateStore;
}

/**
 * Finishes jobs on PostgreSQL: job completion, DLQ item, approvals, field
 * state and audit entries commit together or not at all. The audit append
 * comes last and for all inputs at once, so the chain head is locked only
 * for one insert and the commit.
 */
export class PgJobOutcomeStore implements JobOutcomeStore {
  constructor(
    private readonly database: PgDatabase,
    private readonly parts: PgOutcomeParts,
  ) {}

  private async settleAll(client: PgClient, inputs: readonly SettleInput[]): Promise<SettleResult[]> {
    const settled: { index: number; input: SettleInput; deadLetterId: string | null; approvalIds: string[] }[] = [];
    const results: (SettleResult | undefined)[] = inputs.map(() => undefined);
    // The claim check comes first and writes nothing else when it fails, so
    // a worker whose claim expired cannot add a second outcome for the job.
    // All jobs are completed in one go (two statements however many inputs);
    // a job listed twice settles once, its repeat is a lost claim.
    const jobs = inputs.flatMap((input) => (input.job === undefined ? [] : [input.job]));
    const completed = new Set(jobs.length === 0 ? [] : await this.parts.queue.completeJobsInTransaction(client, jobs));
    const kept: { index: number; input: SettleInput }[] = [];
    for (const [index, input] of inputs.entries()) {
      if (input.job !== undefined && !completed.delete(input.job.id)) results[index] = { status: 'lost_claim' };
      else kept.push({ index, input });
    }
    // One statement per table for all inputs, in input order.
    const deadLetterIds = await this.parts.deadLetters.insertInTransaction(client, kept.flatMap(({ input }) => (input.deadLetter === undefined ? [] : [input.deadLetter])));
    const approvalIds = await this.parts.approvals.insertInTransaction(client, kept.flatMap(({ input }) => input.approvals ?? []));
    let nextDeadLetter = 0;
    let nextApproval = 0;
    for (const { index, input } of kept) {
      const deadLetterId = input.deadLetter === undefined ? null : deadLetterIds[nextDeadLetter++];
      if (deadLetterId === undefined) throw new Error('dead letter insert returned fewer ids than items');
      const count = input.approvals?.length ?? 0;
      settled.push({ index, input, deadLetterId, approvalIds: approvalIds.slice(nextApproval, nextApproval + count) });
      nextApproval += count;
    }
    await this.parts.fieldState.upsertInTransaction(client, settled.flatMap((entry) => entry.input.fieldState ?? []));
    const auditIds = await this.parts.audit.appendInTransaction(client, settled.flatMap((entry) => entry.input.audit));
    let offset = 0;
    for (const entry of settled) {
      const count = entry.input.audit.length;
      results[entry.index] = { status: 'settled', auditIds: auditIds.slice(offset, offset + count), deadLetterId: entry.deadLetterId, approvalIds: entry.approvalIds };
      offset += count;
    }
    return results.map((result) => {
      if (result === undefined) throw new Error('settle left an input without a result');
      return result;
    });
  }

  async settle(input: SettleInput): Promise<SettleResult> {
    const [result] = await this.settleMany([input]);
    if (result === undefined) throw new Error('settle produced no result');
    return result;
  }

  async settleMany(inputs: readonly SettleInput[]): Promise<readonly SettleResult[]> {
    if (inputs.length === 0) return [];
    if (inputs.every((input) => input.deadLetter === undefined && (input.approvals?.length ?? 0) === 0)) {
      const results = await this.database.withScriptedTransaction((script) => this.settleInTwoMessages(script, inputs));
      if (results !== undefined) return results;
    }
    return this.database.withTransaction((client) => this.settleAll(client, inputs));
  }

  /**
   * The common settle (no DLQ item, no approval) in two messages instead of a
   * round trip per statement: `BEGIN`, lead locks, completion, field state and
   * the audit head's lock; then, with the audit rows sealed after that head,
   * their insert and `COMMIT`. The same statements in the same order as
   * `settleAll`, each with its own snapshot; only they travel together. The
   * field state goes out before the completion's result is known, so when a
   * claim was lost (or a job is listed twice) this rolls back and returns
   * undefined, for `settleAll` to settle the inputs one by one as ever.
   */
  private async settleInTwoMessages(script: PgTransactionScript, inputs: readonly SettleInput[]): Promise<SettleResult[] | undefined> {
    const jobs = inputs.flatMap((input) => (input.job === undefined ? [] : [input.job]));
    const completion = this.parts.queue.completeJobsStatements(jobs);
    if (jobs.length > 0 && completion === undefined) return undefined;
    const fieldState = this.parts.fieldState.upsertStatement(inputs.flatMap((input) => input.fieldState ?? []));
    const drafts = inputs.flatMap((input) => input.audit);
    const results = await script.run([...(completion ?? []), ...(fieldState === undefined ? [] : [fieldState]), ...(drafts.length === 0 ? [] : [AUDIT_HEAD_LOCK])]);
    if (completion !== undefined) {
      const completed = new Set((results[1]?.rows ?? []).map((row: { id: string }) => row.id));
      if (completed.size !== jobs.length || jobs.some((job) => !completed.has(job.id))) {
        await script.rollback();
        return undefined;
      }
    }
    let auditIds: string[] = [];
    if (drafts.length > 0) {
      const append = this.parts.audit.appendStatement(drafts, results.at(-1)?.rows[0] as AuditHead | undefined);
      auditIds = append.ids;
      await script.commit([append.statement]);
    } else await script.commit();
    let offset = 0;
    return inputs.map((input) => {
      const ids = auditIds.slice(offset, offset + input.audit.length);
      offset += input.audit.length;
      return { status: 'settled', auditIds: ids, deadLetterId: null, approvalIds: [] };
    });
  }
}
