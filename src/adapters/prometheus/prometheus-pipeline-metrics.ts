import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../../core/errors/error-codes.js';
import type { Lane } from '../../ports/job-queue.js';
import type { CrmOperation, CrmStatusClass, IngestOutcome, JobResult, PipelineGaugeSource, PipelineMetrics } from '../../ports/pipeline-metrics.js';

/**
 * One registry's metrics as plain JSON (`registry.getMetricsAsJSON()`):
 * structured-cloneable, so a worker thread can post it to the HTTP thread,
 * which merges it with {@link aggregateMetricSnapshots}.
 */
export type MetricsSnapshot = readonly object[];

/** A `/metrics` answer. */
export interface MetricsExposition {
  readonly contentType: string;
  readonly body: string;
}

/** Options of {@link PrometheusPipelineMetrics}. */
export interface PrometheusMetricsOptions {
  /**
   * Read at scrape time: queue depth and age, DLQ size, pending approvals,
   * rate-limit budget. Give it in ONE registry of a process (the HTTP
   * thread's): the values are global, so two copies would add up. (Default: none)
   */
  readonly gauges?: PipelineGaugeSource;
  /** The destination name for the rate-limit gauges. (Default: "crm") */
  readonly destination?: string;
  /**
   * prom-client's process and Node.js metrics (`process_*`, `nodejs_*`), under
   * their standard names so stock dashboards work. One per process: a worker
   * thread leaves them off, the main thread already reports the process. (Default: false)
   */
  readonly defaultMetrics?: boolean;
  /** Told when a gauge read fails (counted in `leadsync_metrics_collect_errors_total` as well). (Default: none) */
  readonly onCollectError?: (gauge: string, error: unknown) => void;
}

// Seconds. CRM calls run from ~5 ms (sandbox) to tens of seconds (a throttled batch upsert).
const CRM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The pipeline's metrics in a prom-client registry of its own (never the
 * global one, so tests and threads do not share state). Names follow the
 * Prometheus conventions (`leadsync_` prefix, `_total` counters, base units
 * as suffixes); label values come only from bounded sets (docs/metrics.md).
 */
export class PrometheusPipelineMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  private readonly remotes: (() => Promise<MetricsSnapshot>)[] = [];
  private readonly eventsReceived: Counter<'source' | 'outcome'>;
  private readonly eventsRejected: Counter<'source' | 'code'>;
  private readonly jobsProcessed: Counter<'lane' | 'outcome'>;
  private readonly retries: Counter<'lane' | 'code'>;
  private readonly deadLetters: Counter<'lane' | 'code'>;
  private readonly crmDuration: Histogram<'destination' | 'operation' | 'status_class'>;
  private readonly collectErrors: Counter<'gauge'>;

  constructor(options: PrometheusMetricsOptions = {}) {
    const registers = [this.registry];
    this.eventsReceived = new Counter({
      name: 'leadsync_events_received_total',
      help: 'Deliveries to a source answered by ingest, by outcome: queued (202), duplicate (200), conflict (409), rejected (4xx).',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.eventsRejected = new Counter({
      name: 'leadsync_events_rejected_total',
      help: 'Deliveries refused at ingest (and idempotency conflicts), by error code.',
      labelNames: ['source', 'code'],
      registers,
    });
    this.jobsProcessed = new Counter({
      name: 'leadsync_jobs_processed_total',
      help: 'Jobs the worker finished, by lane and outcome (completed, dead_lettered, retry_scheduled, lost_claim, error).',
      labelNames: ['lane', 'outcome'],
      registers,
    });
    this.retries = new Counter({
      name: 'leadsync_job_retries_total',
      help: 'Jobs scheduled to run again after a transient CRM failure, by the failure code.',
      labelNames: ['lane', 'code'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'leadsync_dead_letters_total',
      help: 'Jobs that ended in the dead-letter queue, by error code.',
      labelNames: ['lane', 'code'],
      registers,
    });
    this.crmDuration = new Histogram({
      name: 'leadsync_crm_request_duration_seconds',
      help: 'Duration of CRM calls by destination, operation (describe, read, upsert) and status class (ok, partial, transient, permanent, error).',
      labelNames: ['destination', 'operation', 'status_class'],
      buckets: CRM_BUCKETS,
      registers,
    });
    this.collectErrors = new Counter({
      name: 'leadsync_metrics_collect_errors_total',
      help: 'Scrapes where a gauge read from storage failed; the gauge then keeps its previous value.',
      labelNames: ['gauge'],
      registers,
    });
    if (options.gauges) this.registerGauges(options.gauges, options.destination ?? 'crm', options.onCollectError);
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry });
  }

  eventIngested(source: string, outcome: IngestOutcome, code?: ErrorCode): void {
    this.eventsReceived.inc({ source, outcome });
    if (code !== undefined && (outcome === 'rejected' || outcome === 'conflict')) this.eventsRejected.inc({ source, code });
  }

  jobProcessed(lane: Lane, result: JobResult): void {
    this.jobsProcessed.inc({ lane, outcome: result });
  }

  jobRetried(lane: Lane, code: ErrorCode): void {
    this.retries.inc({ lane, code });
  }

  jobDeadLettered(lane: Lane, code: ErrorCode): void {
    this.deadLetters.inc({ lane, code });
  }

  crmRequest(destination: string, operation: CrmOperation, status: CrmStatusClass, seconds: number): void {
    this.crmDuration.observe({ destination, operation, status_class: status }, seconds);
  }

  /** This registry's metrics as JSON, for a thread to hand to the registry that serves `/metrics`. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /**
   * Adds another registry's metrics to every scrape of this one, e.g. a
   * worker thread's: `metrics.addRemote(() => askThreadForSnapshot())`,
   * where the thread answers with its own `snapshot()`. Counters and
   * histograms are summed across registries.
   */
  addRemote(snapshot: () => Promise<MetricsSnapshot>): void {
    this.remotes.push(snapshot);
  }

  /** The text exposition format, this registry merged with every remote. */
  async exposition(): Promise<MetricsExposition> {
    if (this.remotes.length === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const snapshots = await Promise.all([this.snapshot(), ...this.remotes.map((remote) => remote())]);
    return aggregateMetricSnapshots(snapshots);
  }

  private registerGauges(source: PipelineGaugeSource, destination: string, onError?: (gauge: string, error: unknown) => void): void {
    const registers = [this.registry];
    // Storage-read values are global: if two registries ever carried them, `max` keeps one copy instead of a sum.
    const aggregator = 'max' as const;
    const guarded = async (gauge: string, read: () => Promise<void>): Promise<void> => {
      try {
        await read();
      } catch (error) {
        // Recorded, not swallowed: one failed read (a locked or closed database) must not fail the whole scrape.
        this.collectErrors.inc({ gauge });
        onError?.(gauge, error);
      }
    };
    new Gauge({
      name: 'leadsync_queue_jobs',
      help: 'Unfinished jobs per lane (queued, claimed, or waiting for a retry).',
      labelNames: ['lane'],
      registers,
      aggregator,
      async collect() {
        await guarded('leadsync_queue_jobs', async () => {
          for (const [lane, depth] of Object.entries(await source.queueDepth())) this.set({ lane }, depth);
        });
      },
    });
    new Gauge({
      name: 'leadsync_queue_oldest_job_age_seconds',
      help: 'Age of the oldest unfinished job per lane (0 when the lane is empty): the lane\'s lag.',
      labelNames: ['lane'],
      registers,
      aggregator,
      async collect() {
        await guarded('leadsync_queue_oldest_job_age_seconds', async () => {
          for (const [lane, ms] of Object.entries(await source.oldestJobAgeMs())) this.set({ lane }, ms / 1000);
        });
      },
    });
    new Gauge({
      name: 'leadsync_dlq_open_items',
      help: 'Open items in the dead-letter queue, by error code.',
      labelNames: ['code'],
      registers,
      aggregator,
      async collect() {
        await guarded('leadsync_dlq_open_items', async () => {
          const groups = await source.openDeadLetters();
          // A code whose items were all replayed drops to 0 instead of keeping its last count.
          this.reset();
          for (const group of groups) this.set({ code: group.code }, group.count);
        });
      },
    });
    new Gauge({
      name: 'leadsync_approvals_pending_items',
      help: 'Approval items waiting for a person.',
      registers,
      aggregator,
      async collect() {
        await guarded('leadsync_approvals_pending_items', async () => {
          this.set(await source.pendingApprovals());
        });
      },
    });
    if (source.rateLimit) {
      const budget = (): ReturnType<NonNullable<PipelineGaugeSource['rateLimit']>> => source.rateLimit?.();
      new Gauge({
        name: 'leadsync_crm_rate_limit_remaining_calls',
        help: 'CRM calls left in the current rate-limit window, as the destination last reported.',
        labelNames: ['destination'],
        registers,
        aggregator,
        collect() {
          const current = budget();
          if (current) this.set({ destination }, current.remaining);
        },
      });
      new Gauge({
        name: 'leadsync_crm_rate_limit_window_calls',
        help: 'CRM calls allowed per rate-limit window, as the destination last reported.',
        labelNames: ['destination'],
        registers,
        aggregator,
        collect() {
          const current = budget();
          if (current) this.set({ destination }, current.max);
        },
      });
      new Gauge({
        name: 'leadsync_crm_rate_limit_daily_remaining_calls',
        help: 'CRM calls left today, where the CRM reports a daily limit (HubSpot, Salesforce).',
        labelNames: ['destination'],
        registers,
        aggregator,
        collect() {
          const daily = budget()?.dailyRemaining;
          if (daily !== undefined) this.set({ destination }, daily);
        },
      });
    }
  }
}

/**
 * Merges registries' JSON snapshots (from `snapshot()` / `getMetricsAsJSON()`)
 * into one exposition: counters and histograms summed, gauges by their
 * aggregator (`max` for the storage gauges). For the HTTP thread to serve the
 * worker thread's metrics with its own.
 */
export async function aggregateMetricSnapshots(snapshots: readonly MetricsSnapshot[]): Promise<MetricsExposition> {
  const merged = AggregatorRegistry.aggregate(snapshots.map((snapshot) => [...snapshot]));
  return { contentType: merged.contentType, body: await merged.metrics() };
}
