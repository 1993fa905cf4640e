import type { JobOutcome, JobProcessorDeps } from '../../src/app/job-processor.js';
import { startWorkerLoop, type WorkerLoopOptions } from '../../src/app/worker-loop.js';
import type { Job } from '../../src/ports/job-queue.js';

/** A worker loop started for a test, with every outcome and error it reported. */
export interface TestWorkerLoop {
  readonly stop: () => Promise<void>;
  readonly outcomes: { job: Job; outcome: JobOutcome }[];
  readonly errors: unknown[];
  /** The jobs settled so far, in the order they were. */
  settled(): Job[];
}

/**
 * The real worker loop with small test settings (batches of 2 that never flush by age, two in
 * flight, a 5 ms idle poll); `options` overrides any of them.
 */
export function startTestWorkerLoop(deps: JobProcessorDeps, workerId: string, options: Partial<WorkerLoopOptions> = {}): TestWorkerLoop {
  const outcomes: { job: Job; outcome: JobOutcome }[] = [];
  const errors: unknown[] = [];
  const loop = startWorkerLoop(deps, {
    workerId,
    visibilityMs: 60_000,
    realtimeConcurrency: 4,
    batchMaxSize: 2,
    batchMaxAgeMs: 60_000,
    batchInFlight: 2,
    idleMs: 5,
    onError: (error) => errors.push(error),
    onOutcome: (job, outcome) => outcomes.push({ job, outcome }),
    ...options,
  });
  return { stop: () => loop.stop(), outcomes, errors, settled: () => outcomes.filter(({ outcome }) => outcome.kind === 'settled').map(({ job }) => job) };
}
