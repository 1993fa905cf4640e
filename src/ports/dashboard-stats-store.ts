import type { Lane } from './job-queue.js';

/** Metrics counted per minute: `received` (accepted events), or an audit outcome. */
export type StatsMetric = string;

export interface TimeseriesQuery {
  /** Inclusive; rounded down to a bucket boundary. */
  readonly from: Date;
  /** Exclusive. */
  readonly to: Date;
  /** Bucket width in minutes, 1..1440. */
  readonly bucketMinutes: number;
  readonly source?: string;
}

export interface TimeseriesSeries {
  readonly source: string;
  /** `realtime`, `batch`, or `none` for audit entries without an event (operator actions). */
  readonly lane: string;
  readonly metric: StatsMetric;
  /** One count per bucket, aligned with `Timeseries.buckets`. */
  readonly counts: readonly number[];
}

export interface Timeseries {
  readonly bucketMinutes: number;
  /** Start of each bucket. */
  readonly buckets: readonly Date[];
  readonly series: readonly TimeseriesSeries[];
}

export interface StatsTotal {
  readonly source: string;
  readonly lane: string;
  readonly metric: StatsMetric;
  readonly n: number;
}

export interface QueueLaneState {
  readonly lane: Lane;
  /** Unfinished jobs (queued, claimed or waiting to retry). */
  readonly depth: number;
  /** Enqueue time of the oldest unfinished job; its age is the lane's lag. Null when the lane is empty. */
  readonly oldestEnqueuedAt: Date | null;
}

export interface OverviewStats {
  readonly since: Date;
  /** Counts since `since`, per source, lane and metric. */
  readonly totals: readonly StatsTotal[];
  readonly queue: readonly QueueLaneState[];
  readonly deadLettersOpen: number;
  readonly approvalsPending: number;
}

/**
 * The dashboard's aggregate reads. Each answer costs a bounded amount of
 * work however many events and audit entries are stored.
 */
export interface DashboardStatsStore {
  timeseries(query: TimeseriesQuery): Promise<Timeseries>;
  overview(since: Date): Promise<OverviewStats>;
}
