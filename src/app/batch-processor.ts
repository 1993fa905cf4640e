import type { CurrentRecord } from '../core/merge/plan-types.js';
import { planEvent, prepareEvent } from '../core/plan/event-planner.js';
import type { EventPlan, PreparedEvent } from '../core/plan/event-plan-types.js';
import type { CrmRecordFailure, RecordKey, UpsertInput } from '../ports/crm-destination.js';
import type { Job } from '../ports/job-queue.js';
import type { SettleInput } from '../ports/job-outcome-store.js';
import { currentRecord, deadLetter, failCrm, notice, settlement, type JobOutcome, type JobProcessorDeps } from './job-processor.js';

interface PreparedJob {
  readonly job: Job;
  readonly source: string;
  readonly prepared: Extract<PreparedEvent, { ok: true }>;
}

/**
 * The batch lane: many jobs (of different leads — the queue guarantees it)
 * planned together, current records read with one CRM call per object, and
 * changes written with one batch upsert per object. Results are per record:
 * a failed record retries or dead-letters only its own job. Jobs whose
 * records collide with an earlier job of the same batch (two contacts of one
 * company) run in a following round, so no batch call names a record twice
 * and every plan sees the record as the previous round left it.
 */
export async function processBatch(jobs: readonly Job[], workerId: string, deps: JobProcessorDeps): Promise<JobOutcome[]> {
  const outcomes = new Map<string, JobOutcome>();
  let pending: PreparedJob[] = [];
  for (const job of jobs) {
    const prepared = await prepareJob(job, workerId, deps);
    if ('outcome' in prepared) outcomes.set(job.id, prepared.outcome);
    else pending.push(prepared);
  }
  while (pending.length > 0) {
    const { round, later } = splitByRecord(pending);
    for (const [jobId, outcome] of await runRound(round, workerId, deps)) outcomes.set(jobId, outcome);
    pending = later;
  }
  return jobs.map((job) => outcomes.get(job.id) ?? { kind: 'lost_claim' });
}

async function prepareJob(job: Job, workerId: string, deps: JobProcessorDeps): Promise<PreparedJob | { outcome: JobOutcome }> {
  const base = { eventId: job.eventId, attempt: job.attempt, leadKey: job.leadKey };
  const event = await deps.storage.ingest.getEvent(job.eventId);
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
  return item.prepared.objects.flatMap((object) => (object.status === 'ready' ? [object.leadKey] : []));
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

async function runRound(items: readonly PreparedJob[], workerId: string, deps: JobProcessorDeps): Promise<Map<string, JobOutcome>> {
  const outcomes = new Map<string, JobOutcome>();
  const failed = new Map<string, CrmRecordFailure>();

  // One read per CRM object for every record of the round.
  const currents = new Map<string, CurrentRecord | null>();
  const readsByObject = new Map<string, { leadKey: string; key: RecordKey; jobId: string }[]>();
  for (const item of items) {
    for (const object of item.prepared.objects) {
      if (object.status !== 'ready') continue;
      const list = readsByObject.get(object.object) ?? [];
      list.push({ leadKey: object.leadKey, key: { idField: object.match.field, id: object.match.value }, jobId: item.job.id });
      readsByObject.set(object.object, list);
    }
  }
  for (const [object, reads] of readsByObject) {
    const results = await deps.crm.read(object, reads.map((read) => read.key));
    for (const [index, read] of reads.entries()) {
      const result = results[index];
      if (!result) throw new Error(`CRM read returned ${results.length} results for ${reads.length} keys`);
      if (!result.ok) {
        if (!failed.has(read.jobId)) failed.set(read.jobId, result);
        continue;
      }
      currents.set(read.leadKey, result.found ? currentRecord(result.recordId, result.properties, await deps.storage.fieldState.read(read.leadKey, object)) : null);
    }
  }

  // Plan every job whose reads succeeded, then one batch upsert per object.
  const plans = new Map<string, EventPlan>();
  const writesByObject = new Map<string, { leadKey: string; input: UpsertInput; jobId: string }[]>();
  for (const item of items) {
    if (failed.has(item.job.id)) continue;
    const context = deps.contextFor(item.source);
    if (!context) continue;
    const plan = planEvent(item.prepared, currents, context);
    plans.set(item.job.id, plan);
    for (const object of plan.objects) {
      if (object.status !== 'planned') continue;
      if (Object.keys(object.write).length === 0 && object.recordId !== null) continue;
      const list = writesByObject.get(object.object) ?? [];
      list.push({ leadKey: object.leadKey, input: { idField: object.match.field, id: object.match.value, properties: object.write }, jobId: item.job.id });
      writesByObject.set(object.object, list);
    }
  }
  const written = new Map<string, Map<string, { recordId: string; created: boolean }>>();
  for (const [object, writes] of writesByObject) {
    const results = await deps.crm.upsert(object, writes.map((write) => write.input));
    for (const [index, write] of writes.entries()) {
      const result = results[index];
      if (!result) throw new Error(`CRM upsert returned ${results.length} results for ${writes.length} inputs`);
      if (!result.ok) {
        if (!failed.has(write.jobId)) failed.set(write.jobId, result);
        continue;
      }
      const byJob = written.get(write.jobId) ?? new Map<string, { recordId: string; created: boolean }>();
      byJob.set(write.leadKey, { recordId: result.recordId, created: result.created });
      written.set(write.jobId, byJob);
    }
  }

  // Failed records retry or dead-letter their own job; the rest settle in one transaction.
  const settles: { item: PreparedJob; input: SettleInput; plan: EventPlan }[] = [];
  for (const item of items) {
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
  return outcomes;
}
