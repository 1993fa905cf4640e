import type { JobOutcomeStore, SettleInput, SettleResult } from '../ports/job-outcome-store.js';

export interface GroupedSettleOptions {
  /** Most settles in one transaction. (Default: 200) */
  readonly maxBatch?: number;
}

/**
 * Group commit for settles (the realtime lane): settles requested while a
 * commit is running, or in the same turn of the event loop, are written
 * together with `settleMany` — one transaction, one fsync — and each caller
 * gets its own result once that commit is durable. Every input stays
 * all-or-nothing, as with `settle`: if the grouped transaction fails, each
 * input is settled again on its own, so one bad input fails only its caller.
 */
export function groupedSettle(store: JobOutcomeStore, options: GroupedSettleOptions = {}): JobOutcomeStore {
  const maxBatch = options.maxBatch ?? 200;
  let waiting: { input: SettleInput; resolve: (result: SettleResult) => void; reject: (error: unknown) => void }[] = [];
  let flushing = false;

  const flush = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      let results: readonly SettleResult[] | undefined;
      try {
        results = await store.settleMany(batch.map((entry) => entry.input));
      } catch {
        // Nothing of the group was written: settle each on its own so only the failing one reports an error.
        for (const entry of batch) await store.settle(entry.input).then(entry.resolve, entry.reject);
        continue;
      }
      batch.forEach((entry, index) => {
        const result = results[index];
        if (result) entry.resolve(result);
        else entry.reject(new Error(`settleMany returned ${results.length} results for ${batch.length} inputs`));
      });
    }
    flushing = false;
  };

  return {
    settle(input) {
      return new Promise<SettleResult>((resolve, reject) => {
        waiting.push({ input, resolve, reject });
        if (!flushing) {
          flushing = true;
          // Let the other jobs of the round reach their settle and join this commit.
          setImmediate(() => void flush());
        }
      });
    },
    settleMany: (inputs) => store.settleMany(inputs),
  };
}
