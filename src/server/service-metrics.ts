import { PrometheusPipelineMetrics } from '../adapters/prometheus/prometheus-pipeline-metrics.js';
import type { CrmDestination } from '../ports/crm-destination.js';
import type { PipelineGaugeSource } from '../ports/pipeline-metrics.js';
import type { StoragePorts } from '../ports/storage-ports.js';
import type { StructuredLogger } from '../ports/structured-logger.js';

/** Options of {@link createServiceMetrics}. */
export interface ServiceMetricsOptions {
  /** Read queue, DLQ and approval gauges from this storage at scrape time. (Default: no gauges, e.g. in a worker thread) */
  readonly storage?: StoragePorts;
  /** The destination: names the CRM timings; its rate-limit budget, if it reports one, becomes a gauge. */
  readonly crm?: CrmDestination;
  /** Process and Node.js metrics; once per process. (Default: true) */
  readonly defaultMetrics?: boolean;
  /** Where gauge read failures are logged. (Default: none) */
  readonly logger?: StructuredLogger;
}

/**
 * The metrics of one process (or thread): a prom-client registry with the
 * pipeline counters and, given storage, the gauges read at scrape time.
 *
 * A worker thread creates its own with `{ defaultMetrics: false }` and no
 * storage, passes it to `startWorkerLoop({ metrics })` and its CRM to
 * `timedCrmDestination`, and answers the main thread's requests with
 * `metrics.snapshot()`; the main thread plugs that in with
 * `metrics.addRemote(() => askTheThread())`, so `/metrics` serves both
 * (docs/metrics.md, "Worker threads").
 */
export function createServiceMetrics(options: ServiceMetricsOptions = {}): PrometheusPipelineMetrics {
  const { storage, crm, logger } = options;
  return new PrometheusPipelineMetrics({
    ...(storage ? { gauges: storageGauges(storage, crm) } : {}),
    ...(crm ? { destination: crm.name } : {}),
    defaultMetrics: options.defaultMetrics ?? true,
    ...(logger ? { onCollectError: (gauge: string, error: unknown) => logger.warn({ err: error, gauge }, 'metrics: reading a gauge failed') } : {}),
  });
}

function storageGauges(storage: StoragePorts, crm: CrmDestination | undefined): PipelineGaugeSource {
  return {
    queueDepth: () => storage.jobs.depth(),
    oldestJobAgeMs: () => storage.jobs.oldestAgeMs(new Date()),
    openDeadLetters: async () => (await storage.deadLetters.groupByCode({ status: 'open' })).map((group) => ({ code: group.errorCode, count: group.count })),
    pendingApprovals: () => storage.approvals.countPending(),
    // Optional on the port: only destinations that read rate-limit headers (HubSpot, Salesforce) report a budget.
    ...(crm?.rateLimitStatus ? { rateLimit: () => crm.rateLimitStatus?.() } : {}),
  };
}
