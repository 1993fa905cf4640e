/**
 * What the worker thread answers to a `metrics` message: by default the
 * prom-client default registry's `getMetricsAsJSON()`, so the service can
 * merge it with its own through `AggregatorRegistry.aggregate`. Code running
 * in the worker thread that keeps its metrics in another registry registers
 * it here instead.
 */
export type WorkerThreadMetricsSource = () => Promise<readonly object[]> | readonly object[];

let source: WorkerThreadMetricsSource | undefined;

/** Sets what this thread answers to `metrics` (call it in the worker thread). */
export function provideWorkerThreadMetrics(next: WorkerThreadMetricsSource): void {
  source = next;
}

/** This thread's metrics, as JSON for `AggregatorRegistry.aggregate`. */
export async function workerThreadMetrics(): Promise<readonly object[]> {
  if (source) return source();
  const { register } = await import('prom-client');
  return register.getMetricsAsJSON();
}
