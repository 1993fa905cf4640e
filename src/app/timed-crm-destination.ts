import type { CrmDestination, CrmRecordFailure } from '../ports/crm-destination.js';
import type { CrmOperation, CrmStatusClass, PipelineMetrics } from '../ports/pipeline-metrics.js';

/**
 * A CrmDestination that reports the duration and status class of every call
 * to `metrics.crmRequest`, then answers exactly what the wrapped one answers
 * (a rejection is reported as `error` and rethrown). `monotonicMs` is a
 * monotonic clock in milliseconds (`performance.now` in the service).
 */
export function timedCrmDestination(crm: CrmDestination, metrics: PipelineMetrics, monotonicMs: () => number): CrmDestination {
  const timed = async <T>(operation: CrmOperation, call: () => Promise<T>, classify: (result: T) => CrmStatusClass): Promise<T> => {
    const started = monotonicMs();
    let result: T;
    try {
      result = await call();
    } catch (error) {
      metrics.crmRequest(crm.name, operation, 'error', (monotonicMs() - started) / 1000);
      throw error;
    }
    metrics.crmRequest(crm.name, operation, classify(result), (monotonicMs() - started) / 1000);
    return result;
  };
  const overrides: Partial<CrmDestination> = {
    describe: () => timed('describe', () => crm.describe(), () => 'ok'),
    read: (object, keys) => timed('read', () => crm.read(object, keys), classifyRecords),
    upsert: (object, inputs) => timed('upsert', () => crm.upsert(object, inputs), classifyRecords),
  };
  // A proxy, so members this wrapper does not time (the name, an optional rate-limit status, …) reach the CRM unchanged.
  return new Proxy(crm, {
    get(target, property) {
      if (property in overrides) return overrides[property as keyof CrmDestination];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The class of a batch call from its per-record results. */
export function classifyRecords(results: readonly ({ readonly ok: true } | CrmRecordFailure)[]): CrmStatusClass {
  const failures = results.filter((result): result is CrmRecordFailure => !result.ok);
  if (failures.length === 0) return 'ok';
  if (failures.length < results.length) return 'partial';
  return failures.some((failure) => failure.retryable) ? 'transient' : 'permanent';
}
