import type { Job } from '../ports/job-queue.js';
import { noPipelineMetrics, type JobResult, type PipelineMetrics } from '../ports/pipeline-metrics.js';
import type { StoragePorts } from '../ports/storage-ports.js';
import { processBatch } from './batch-processor.js';
import { groupedSettle } from './grouped-settle.js';
import { processJob, type JobOutcome, type JobProcessorDeps } from './job-processor.js';

export interface WorkerLoopOptions {
  readonly workerId: string;
  readonly visibilityMs: number;
  /** Realtime jobs in flight at once. */
  readonly realtimeConcurrency: number;
  /** The batch lane is flushed when this many jobs wait, or when the oldest has waited `batchMaxAgeMs`. */
  readonly batchMaxSize: number;
  readonly batchMaxAgeMs: number;
  /**
   * Most jobs of one lead in one batch (the queue's `consecutivePerLead`): a
   * lead's consecutive updates waiting in the batch lane are written as one
   * CRM write. 1 turns coalescing of one lead's updates off. (Default: batchMaxSize)
   */
  readonly batchPerLead?: number;
  /**
   * Batches in flight at once: the next batch is claimed and started while the
   * previous one waits on the CRM or the database, so the worker does not idle
   * on round trips. Two in-flight batches never hold jobs of the same lead (the
   * queue's ordering rule); they may share a record, as two workers can.
   * 1 runs one batch at a time. (Default: 2)
   */
  readonly batchInFlight?: number;
  /** Pause when there is nothing to do. (Default: 50 ms) */
  readonly idleMs?: number;
  /**
   * After a realtime claim came back empty, the realtime lane is not claimed
   * again for this long, however often batches finish and wake the loop: a
   * realtime job enqueued meanwhile (by any process) waits at most this much
   * longer. 0 claims every round. (Default: `idleMs`, one poll interval)
   */
  readonly realtimeEmptyRecheckMs?: number;
  readonly onError: (error: unknown) => void;
  /** Called after every processed job (alerts hook here on `deadLetter`). Must not throw. (Default: none) */
  readonly onOutcome?: (job: Job, outcome: JobOutcome) => void;
  /** Counts every finished job by lane and outcome, retries and dead letters by code (docs/metrics.md). (Default: none) */
  readonly metrics?: PipelineMetrics;
}

/**
 * Claims and processes jobs until stopped. Every round serves the realtime
 * lane first, so a backfill delays a demo request by at most one batch; the
 * batch lane is flushed by size or age and written through the CRM's batch
 * calls, with up to `batchInFlight` batches running at once (the next one is
 * claimed while the previous one writes and settles; while every slot is
 * taken the realtime lane is still looked at every `idleMs`; after a realtime claim
 * that found nothing, the lane is looked at again after `realtimeEmptyRecheckMs`). `stop()` stops claiming
 * and resolves once every in-flight job and batch has finished.
 */
export function startWorkerLoop(deps: JobProcessorDeps, options: WorkerLoopOptions): { stop(): Promise<void> } {
  let running = true;
  let wake: (() => void) | undefined;
  const idleMs = options.idleMs ?? 50;
  const realtimeEmptyRecheckMs = options.realtimeEmptyRecheckMs ?? idleMs;
  const batchInFlight = options.batchInFlight ?? 2;
  if (!Number.isSafeInteger(batchInFlight) || batchInFlight < 1) throw new RangeError(`batchInFlight must be a whole number ≥ 1, got ${String(options.batchInFlight)}`);
  // Realtime jobs of a round run side by side; their settles share one commit (one fsync) instead of one each.
  const realtimeStorage = Object.create(deps.storage, { outcomes: { value: groupedSettle(deps.storage.outcomes), enumerable: true } }) as StoragePorts;
  const realtimeDeps: JobProcessorDeps = { ...deps, storage: realtimeStorage };
  const metrics = options.metrics ?? noPipelineMetrics;
  /** Batches claimed and not yet finished (settled, retried, or failed). */
  const batches = new Set<Promise<void>>();
  // A claim that came back full means more jobs wait: the next claim skips the depth and age queries.
  let lastClaimFull = false;

  const report = (jobs: readonly Job[], results: readonly PromiseSettledResult<JobOutcome>[]): void => {
    results.forEach((result, index) => {
      const job = jobs[index];
      if (job) countOutcome(metrics, job, result.status === 'fulfilled' ? result.value : undefined);
      if (result.status === 'rejected') options.onError(result.reason);
      else if (job) options.onOutcome?.(job, result.value);
    });
  };

  // Set for `realtimeEmptyRecheckMs` after a realtime claim found nothing: while batches keep the loop
  // busy, the realtime claim (a statement planned and run by the database) is not repeated every round.
  let realtimeQuiet: ReturnType<typeof setTimeout> | undefined;

  const realtimeRound = async (): Promise<number> => {
    if (realtimeQuiet !== undefined) return 0;
    const jobs = await deps.storage.jobs.claim({ lane: 'realtime', limit: options.realtimeConcurrency, workerId: options.workerId, now: deps.now(), visibilityMs: options.visibilityMs });
    if (jobs.length === 0 && realtimeEmptyRecheckMs > 0) realtimeQuiet = setTimeout(() => (realtimeQuiet = undefined), realtimeEmptyRecheckMs);
    // Jobs of one claim belong to different leads (the queue guarantees it), so they may run side by side.
    report(jobs, await Promise.allSettled(jobs.map((job) => processJob(job, options.workerId, realtimeDeps))));
    return jobs.length;
  };

  const runBatch = async (jobs: readonly Job[]): Promise<void> => {
    try {
      const outcomes = await processBatch(jobs, options.workerId, deps);
      report(jobs, outcomes.map((value) => ({ status: 'fulfilled', value })));
    } catch (error) {
      // The claims expire and the jobs are handed out again after the visibility timeout.
      for (const job of jobs) countOutcome(metrics, job, undefined);
      options.onError(error);
    }
  };

  /** Claims a batch and starts it without waiting for it; the number of jobs claimed. */
  const batchRound = async (): Promise<number> => {
    if (batches.size >= batchInFlight) return 0;
    const now = deps.now();
    if (!lastClaimFull) {
      const [depth, age] = await Promise.all([deps.storage.jobs.depth(), deps.storage.jobs.oldestAgeMs(now)]);
      if (depth.batch === 0 || (depth.batch < options.batchMaxSize && age.batch < options.batchMaxAgeMs)) return 0;
    }
    // Jobs of an in-flight batch are claimed, so no job of their leads is handed out here (the queue's ordering rule).
    const jobs = await deps.storage.jobs.claim({ lane: 'batch', limit: options.batchMaxSize, consecutivePerLead: options.batchPerLead ?? options.batchMaxSize, workerId: options.workerId, now, visibilityMs: options.visibilityMs });
    lastClaimFull = jobs.length >= options.batchMaxSize;
    if (jobs.length === 0) return 0;
    const batch = runBatch(jobs).finally(() => {
      batches.delete(batch);
      // A free slot: claim the next batch now rather than after the idle pause.
      wake?.();
    });
    batches.add(batch);
    return jobs.length;
  };

  /** Waits `ms` or until woken by `stop()` or a finished batch. */
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = (): void => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      wake = done;
    });

  const loop = (async () => {
    while (running) {
      let realtime = 0;
      let claimed = 0;
      let pausedMs = 0;
      try {
        // While the CRM destination is paused nothing is claimed, so waiting jobs keep their attempts.
        pausedMs = (await deps.destinationPausedForMs?.()) ?? 0;
        if (pausedMs === 0) {
          realtime = await realtimeRound();
          claimed = await batchRound();
        }
      } catch (error) {
        lastClaimFull = false;
        options.onError(error);
      }
      if (!running) break;
      // Nothing to do, or every batch slot taken: pause until a batch finishes (a free slot) or `idleMs` passes,
      // so with full slots the realtime lane is still looked at every `idleMs` rather than only after a batch.
      if (realtime === 0 && (claimed === 0 || batches.size >= batchInFlight)) await pause(pausedMs > 0 ? Math.min(pausedMs, 1_000) : idleMs);
    }
    clearTimeout(realtimeQuiet);
    // Stopping: nothing new is claimed; the batches in flight finish (settle, retry or fail) first.
    while (batches.size > 0) await Promise.all([...batches]);
  })();

  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}

/** Records one finished job; `undefined` when processing threw. */
function countOutcome(metrics: PipelineMetrics, job: Job, outcome: JobOutcome | undefined): void {
  let result: JobResult;
  if (outcome === undefined) result = 'error';
  else if (outcome.kind === 'lost_claim') result = 'lost_claim';
  else if (outcome.kind === 'retry_scheduled') {
    result = 'retry_scheduled';
    metrics.jobRetried(job.lane, outcome.code);
  } else if (outcome.deadLetter) {
    result = 'dead_lettered';
    metrics.jobDeadLettered(job.lane, outcome.deadLetter.errorCode);
  } else result = 'completed';
  metrics.jobProcessed(job.lane, result);
}
