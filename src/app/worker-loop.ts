import type { Lane } from '../ports/job-queue.js';
import type { Job } from '../ports/job-queue.js';
import { processJob, type JobOutcome, type JobProcessorDeps } from './job-processor.js';

export interface WorkerLoopOptions {
  readonly workerId: string;
  readonly visibilityMs: number;
  /** Jobs claimed per lane per round. */
  readonly claimLimits: Readonly<Record<Lane, number>>;
  /** Pause when both lanes are empty. (Default: 50 ms) */
  readonly idleMs?: number;
  readonly onError: (error: unknown) => void;
  /** Called after every processed job (alerts hook here on `deadLetter`). Must not throw. (Default: none) */
  readonly onOutcome?: (job: Job, outcome: JobOutcome) => void;
}

/**
 * Claims and processes jobs until stopped. Realtime is claimed before batch
 * every round so a backfill never delays a demo request by more than one round.
 * `stop()` stops claiming and resolves once in-flight jobs finish.
 */
export function startWorkerLoop(deps: JobProcessorDeps, options: WorkerLoopOptions): { stop(): Promise<void> } {
  let running = true;
  let wake: (() => void) | undefined;
  const idleMs = options.idleMs ?? 50;

  const round = async (): Promise<number> => {
    let processed = 0;
    for (const lane of ['realtime', 'batch'] as const) {
      const jobs = await deps.storage.jobs.claim({ lane, limit: options.claimLimits[lane], workerId: options.workerId, now: deps.now(), visibilityMs: options.visibilityMs });
      // Jobs of one claim belong to different leads (the queue guarantees it), so they may run side by side.
      const results = await Promise.allSettled(jobs.map((job) => processJob(job, options.workerId, deps)));
      results.forEach((result, index) => {
        const job = jobs[index];
        if (result.status === 'rejected') options.onError(result.reason);
        else if (job) options.onOutcome?.(job, result.value);
      });
      processed += jobs.length;
    }
    return processed;
  };

  const loop = (async () => {
    while (running) {
      let processed = 0;
      try {
        processed = await round();
      } catch (error) {
        options.onError(error);
      }
      if (processed === 0 && running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idleMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();

  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
