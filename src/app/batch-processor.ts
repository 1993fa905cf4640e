import type { CurrentRecord } from '../core/merge/plan-types.js';
import { currentRecordNeed } from '../core/plan/current-record-need.js';
import { planEvent, prepareEvent } from '../core/plan/event-planner.js';
import type { EventPlan, PreparedEvent } from '../core/plan/event-plan-types.js';
import type { CrmRecordFailure, ReadResult } from '../ports/crm-destination.js';
import type { StoredEvent } from '../ports/ingest-store.js';
import type { Job } from '../ports/job-queue.js';
import type { SettleInput } from '../ports/job-outcome-store.js';
import { BatchRecordView } from './batch-record-view.js';
import { deadLetter, failCrm, notice, settlement, type JobOutcome, type JobProcessorDeps } from './job-processor.js';

interface PreparedJob {
  readonly job: Job;
  readonly source: string;
  readonly prepared: Extract<PreparedEvent, { ok: true }>;
}

interface RoundResult {
  readonly outcomes: Map<string, JobOutcome>;
  /** Jobs to run again one record-sharing job at a time (a shared record's write was refused). */
  readonly isolate: PreparedJob[];
  /** The CRM failure each failed job was retried or dead-lettered with. */
  readonly failures: ReadonlyMap<string, CrmRecordFailure>;
}

/**
 * The batch lane: many jobs planned together, current records read with one
 * CRM call per object, and changes written with one batch upsert per object.
 * Results are per record: a failed record retries or dead-letters only the
 * jobs that depend on it.
 *
 * Jobs are in enqueue order. Several may belong to one lead (a claim with
 * `consecutivePerLead` hands out a lead's consecutive jobs together); jobs of
 * different leads may still share a record (contacts of one company). Jobs
 * that share a record plan in job order, each against the record as the
 * previous job's write will leave it, and their changes go out as one write
 * of that record (DESIGN: "updates of one lead in the window coalesced into
 * one write"); each job audits its own change. A failure never lets a lead's
 * later job finish before an earlier one: when a lead's job fails, its later
 * jobs in the batch fail with it (same failure, their own retry or DLQ
 * decision). A CRM refusal of a coalesced write cannot say whose value it
 * refused, so when it is permanent its jobs run again in rounds of their own,
 * in job order, where no batch call names a record twice.
 */
export async function processBatch(jobs: readonly Job[], workerId: string, deps: JobProcessorDeps): Promise<JobOutcome[]> {
  const outcomes = new Map<string, JobOutcome>();
  const ready: PreparedJob[] = [];
  // Every job's event in one call.
  const events = await deps.storage.ingest.getEvents(jobs.map((job) => job.eventId));
  for (const [index, job] of jobs.entries()) {
    const prepared = await prepareJob(job, events[index], workerId, deps);
    if ('outcome' in prepared) outcomes.set(job.id, prepared.outcome);
    else ready.push(prepared);
  }
  const first = await runRound(ready, workerId, deps);
  for (const [jobId, outcome] of first.outcomes) outcomes.set(jobId, outcome);
  let pending = first.isolate;
  while (pending.length > 0) {
    const { round, later } = splitByRecord(pending);
    const result = await runRound(round, workerId, deps);
    if (result.isolate.length > 0) throw new Error('a batch round without shared records asked to isolate jobs');
    for (const [jobId, outcome] of result.outcomes) outcomes.set(jobId, outcome);
    // A lead whose job did not finish (retry, lost claim) holds its later jobs back: they fail alike or stay claimed.
    const held = new Map<string, CrmRecordFailure | null>();
    for (const item of round) {
      const outcome = result.outcomes.get(item.job.id);
      if (outcome?.kind !== 'settled') held.set(item.job.leadKey, result.failures.get(item.job.id) ?? null);
    }
    const next: PreparedJob[] = [];
    for (const item of later) {
      if (!held.has(item.job.leadKey)) {
        next.push(item);
        continue;
      }
      const failure = held.get(item.job.leadKey);
      if (failure) outcomes.set(item.job.id, await failCrm(item.job, workerId, deps, failure, item.source, { eventId: item.job.eventId, attempt: item.job.attempt, leadKey: item.job.leadKey }));
      // Without a failure (the earlier job's claim was lost) the job is left claimed; it is handed out again when the claim expires.
    }
    pending = next;
  }
  return jobs.map((job) => outcomes.get(job.id) ?? { kind: 'lost_claim' });
}

async function prepareJob(job: Job, event: StoredEvent | undefined, workerId: string, deps: JobProcessorDeps): Promise<PreparedJob | { outcome: JobOutcome }> {
  const base = { eventId: job.eventId, attempt: job.attempt, leadKey: job.leadKey };
  if (!event) return { outcome: await deadLetter(job, workerId, deps, 'WORKER_UNEXPECTED', `event ${job.eventId} not found`, null, base) };
  if (event.payload.state === 'purged') return { outcome: await deadLetter(job, workerId, deps, 'WORKER_PAYLOAD_PURGED', 'the raw payload was purged by retention', event.source, base) };
  const context = deps.contextFor(event.source);
  if (!context) return { outcome: await deadLetter(job, workerId, deps, 'MAPPING_SOURCE_UNKNOWN', `source "${event.source}" is no longer configured`, event.source, base) };
  const prepared = prepareEvent(event.payload.json, context);
  if (!prepared.ok) {
    return { outcome: await deadLetter(job, workerId, deps, prepared.rejection.code, prepared.rejection.message, event.source, { ...base, payloadHash: prepared.payloadHash }) };
  }
  return { job, source: event.source, prepared };
}

function recordsOf(item: PreparedJob): string[] {
  const records: string[] = [];
  for (const object of item.prepared.objects) if (object.status === 'ready') records.push(object.leadKey);
  return records;
}

/** Records named by more than one of the items. */
function sharedRecords(items: readonly PreparedJob[]): Set<string> {
  const seen = new Set<string>();
  const shared = new Set<string>();
  for (const item of items) {
    for (const record of recordsOf(item)) {
      if (seen.has(record)) shared.add(record);
      else seen.add(record);
    }
  }
  return shared;
}

function splitByRecord(items: readonly PreparedJob[]): { round: PreparedJob[]; later: PreparedJob[] } {
  const taken = new Set<string>();
  const round: PreparedJob[] = [];
  const later: PreparedJob[] = [];
  for (const item of items) {
    const records = recordsOf(item);
    if (records.some((record) => taken.has(record))) later.push(item);
    else {
      for (const record of records) taken.add(record);
      round.push(item);
    }
  }
  return { round, later };
}

/**
 * Reads every record the items name, once each: one CRM read per object, field
 * state for the records found. A record no job's plan needs read
 * (`currentRecordNeed`) gets its field state only, as an unread view.
 */
async function readViews(items: readonly PreparedJob[], deps: JobProcessorDeps, failed: Map<string, CrmRecordFailure>): Promise<Map<string, BatchRecordView>> {
  const views = new Map<string, BatchRecordView>();
  const readsByObject = new Map<string, { leadKey: string; idField: string; id: string; jobIds: string[]; needed: boolean }[]>();
  const seen = new Map<string, { jobIds: string[]; needed: boolean }>();
  for (const item of items) {
    const context = deps.contextFor(item.source);
    for (const object of item.prepared.objects) {
      if (object.status !== 'ready') continue;
      const needed = context === undefined || currentRecordNeed(object, context).read;
      const known = seen.get(object.leadKey);
      if (known !== undefined) {
        known.jobIds.push(item.job.id);
        known.needed ||= needed;
        continue;
      }
      const read = { leadKey: object.leadKey, idField: object.match.field, id: object.match.value, jobIds: [item.job.id], needed };
      seen.set(object.leadKey, read);
      const list = readsByObject.get(object.object) ?? [];
      list.push(read);
      readsByObject.set(object.object, list);
    }
  }
  for (const [object, all] of readsByObject) {
    const reads = all.filter((read) => read.needed);
    const unread = all.filter((read) => !read.needed);
    const unreadStates = unread.length === 0 ? [] : await deps.storage.fieldState.readMany(unread.map((read) => ({ leadKey: read.leadKey, object })));
    unread.forEach((read, index) => views.set(read.leadKey, BatchRecordView.unread(read.leadKey, object, { idField: read.idField, id: read.id }, unreadStates[index] ?? {})));
    if (reads.length === 0) continue;
    const results = await (deps.batchCrm ?? deps.crm).read(object, reads.map(({ idField, id }) => ({ idField, id })));
    // Field state of the records found, in one call, in the order the loop below takes them.
    const foundStates = await deps.storage.fieldState.readMany(reads.filter((_, index) => isFound(results[index])).map((read) => ({ leadKey: read.leadKey, object })));
    let nextState = 0;
    for (const [index, read] of reads.entries()) {
      const result = results[index];
      if (!result) throw new Error(`CRM read returned ${results.length} results for ${reads.length} keys`);
      if (!result.ok) {
        for (const jobId of read.jobIds) if (!failed.has(jobId)) failed.set(jobId, result);
        continue;
      }
      const found = result.found ? { recordId: result.recordId, properties: result.properties, states: foundStates[nextState++] ?? {} } : null;
      views.set(read.leadKey, new BatchRecordView(read.leadKey, object, { idField: read.idField, id: read.id }, found));
    }
  }
  return views;
}

function isFound(result: ReadResult | undefined): boolean {
  return result?.ok === true && result.found;
}

async function runRound(items: readonly PreparedJob[], workerId: string, deps: JobProcessorDeps): Promise<RoundResult> {
  const outcomes = new Map<string, JobOutcome>();
  const failed = new Map<string, CrmRecordFailure>();
  const views = await readViews(items, deps, failed);

  // Plan in job order; each plan moves the views of the records it writes.
  const shared = sharedRecords(items);
  const plans = new Map<string, EventPlan>();
  const currents = new Map<string, CurrentRecord | null>();
  for (const item of items) {
    if (failed.has(item.job.id)) continue;
    const context = deps.contextFor(item.source);
    if (!context) continue;
    for (const object of item.prepared.objects) {
      if (object.status === 'ready') currents.set(object.leadKey, views.get(object.leadKey)?.current() ?? null);
    }
    const plan = planEvent(item.prepared, currents, context);
    plans.set(item.job.id, plan);
    // The field state this job's settle will store, so a later plan of a shared record sees our provenance as a read after the settle would.
    const fieldState = recordsOf(item).some((record) => shared.has(record)) ? (settlement(plan, item.job, workerId, item.source, new Map(), deps.now()).fieldState ?? []) : [];
    for (const object of plan.objects) {
      if (object.status !== 'planned') continue;
      views.get(object.leadKey)?.apply(item.job.id, object, fieldState.filter((entry) => entry.leadKey === object.leadKey));
    }
  }

  // One batch upsert per object, one input per record.
  const isolate = new Set<string>();
  const written = new Map<string, Map<string, { recordId: string; created: boolean }>>();
  const writesByObject = new Map<string, BatchRecordView[]>();
  for (const view of views.values()) {
    if (!view.needsWrite()) continue;
    const list = writesByObject.get(view.object) ?? [];
    list.push(view);
    writesByObject.set(view.object, list);
  }
  for (const [object, writes] of writesByObject) {
    const results = await (deps.batchCrm ?? deps.crm).upsert(object, writes.map((view) => ({ ...view.key, properties: view.write })));
    for (const [index, view] of writes.entries()) {
      const result = results[index];
      if (!result) throw new Error(`CRM upsert returned ${results.length} results for ${writes.length} inputs`);
      if (!result.ok) {
        const shared = view.dependents.length > 1 && !result.retryable;
        for (const jobId of view.dependents) {
          if (shared) isolate.add(jobId);
          else if (!failed.has(jobId)) failed.set(jobId, result);
        }
        continue;
      }
      view.written(result.recordId);
      for (const jobId of view.dependents) {
        const byJob = written.get(jobId) ?? new Map<string, { recordId: string; created: boolean }>();
        byJob.set(view.leadKey, { recordId: result.recordId, created: result.created && view.creator === jobId });
        written.set(jobId, byJob);
      }
    }
  }

  // A lead's later jobs follow its earlier job's failure (or isolation), so none finishes before an earlier one.
  const heldLeads = new Map<string, CrmRecordFailure | 'isolate'>();
  for (const item of items) {
    const lead = item.job.leadKey;
    const earlier = heldLeads.get(lead);
    if (earlier !== undefined && !failed.has(item.job.id)) {
      if (earlier !== 'isolate') failed.set(item.job.id, earlier);
      else isolate.add(item.job.id);
    }
    const failure = failed.get(item.job.id);
    if (failure) heldLeads.set(lead, failure);
    else if (isolate.has(item.job.id) && !heldLeads.has(lead)) heldLeads.set(lead, 'isolate');
  }

  // Failed records retry or dead-letter the jobs that depend on them; the rest settle in one transaction.
  const settles: { item: PreparedJob; input: SettleInput; plan: EventPlan }[] = [];
  const isolated: PreparedJob[] = [];
  for (const item of items) {
    if (isolate.has(item.job.id) && !failed.has(item.job.id)) {
      isolated.push(item);
      continue;
    }
    const failure = failed.get(item.job.id);
    if (failure) {
      outcomes.set(item.job.id, await failCrm(item.job, workerId, deps, failure, item.source, { eventId: item.job.eventId, attempt: item.job.attempt, leadKey: item.job.leadKey }));
      continue;
    }
    const plan = plans.get(item.job.id);
    if (!plan) continue;
    settles.push({ item, plan, input: settlement(plan, item.job, workerId, item.source, written.get(item.job.id) ?? new Map(), deps.now()) });
  }
  const results = await deps.storage.outcomes.settleMany(settles.map((settle) => settle.input));
  settles.forEach(({ item, input, plan }, index) => {
    const result = results[index];
    if (!result || result.status === 'lost_claim') outcomes.set(item.job.id, { kind: 'lost_claim' });
    else outcomes.set(item.job.id, { kind: 'settled', plan, deadLetter: input.deadLetter ? notice(result.deadLetterId, input.deadLetter) : null });
  });
  return { outcomes, isolate: isolated, failures: failed };
}
