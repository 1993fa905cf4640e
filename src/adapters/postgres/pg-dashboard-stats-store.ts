import type { ApprovalStore } from '../../ports/approval-store.js';
import type { DashboardStatsStore, OverviewStats, Timeseries, TimeseriesQuery, TimeseriesSeries } from '../../ports/dashboard-stats-store.js';
import { LANES, type JobQueue } from '../../ports/job-queue.js';
import { checkDate } from './pg-column-codecs.js';
import type { PgDatabase } from './pg-database.js';

interface BucketRow {
  bucket: number;
  source: string;
  lane: string;
  metric: string;
  n: number;
}

/** Most buckets one answer holds: a week of hours, or a day of minutes. */
const MAX_BUCKETS = 2000;

/**
 * Dashboard aggregates from `stats_minutes` and `stats_hours` (kept by
 * triggers, migrations 004 and 005), the queue's own depth and age, the
 * small indexed count of DLQ items and the approval store's own pending count. Buckets of whole hours read
 * the hours (and the minutes of the range's last, unfinished hour), so a month
 * costs ~720 rows per series however thinly its traffic is spread; other
 * widths read the minutes.
 */
export class PgDashboardStatsStore implements DashboardStatsStore {
  constructor(
    private readonly database: PgDatabase,
    private readonly jobs: JobQueue,
    private readonly approvals: Pick<ApprovalStore, 'countPending'>,
  ) {}

  async timeseries(query: TimeseriesQuery): Promise<Timeseries> {
    const width = Math.trunc(query.bucketMinutes);
    if (!(width >= 1 && width <= 1440)) throw new RangeError(`bucketMinutes must be 1..1440, got ${query.bucketMinutes}`);
    // Buckets are aligned to multiples of their width since the epoch, so a chart does not shift as time passes.
    const first = Math.floor(checkDate(query.from).getTime() / 60_000 / width) * width;
    const end = Math.ceil(checkDate(query.to).getTime() / 60_000);
    const count = Math.max(0, Math.ceil((end - first) / width));
    if (count > MAX_BUCKETS) throw new RangeError(`${count} buckets asked for; at most ${MAX_BUCKETS}: widen the buckets or shorten the range`);
    const { rows } = width % 60 === 0 ? await this.hourRows(first, width, end, query.source) : await this.database.query<BucketRow>(
      `SELECT ((minute - $1) / $2)::int AS bucket, source, lane, metric, sum(n)::float8 AS n FROM stats_minutes
       WHERE minute >= $1 AND minute < $3 ${query.source === undefined ? '' : 'AND source = $4'}
       GROUP BY 1, 2, 3, 4 ORDER BY source COLLATE "C", lane COLLATE "C", metric COLLATE "C", bucket`,
      query.source === undefined ? [first, width, end] : [first, width, end, query.source],
    );
    const series: TimeseriesSeries[] = [];
    let current: { source: string; lane: string; metric: string; counts: number[] } | undefined;
    for (const row of rows) {
      if (current === undefined || current.source !== row.source || current.lane !== row.lane || current.metric !== row.metric) {
        current = { source: row.source, lane: row.lane, metric: row.metric, counts: new Array<number>(count).fill(0) };
        series.push(current);
      }
      if (row.bucket >= 0 && row.bucket < count) current.counts[row.bucket] = row.n;
    }
    const buckets = Array.from({ length: count }, (_, index) => new Date((first + index * width) * 60_000));
    return { bucketMinutes: width, buckets, series };
  }

  /** Bucket rows for a width of whole hours (`first` is then a whole hour too): whole hours from stats_hours, then the minutes of the last, unfinished hour. */
  private hourRows(first: number, width: number, end: number, source: string | undefined): Promise<{ rows: BucketRow[] }> {
    const endHour = Math.floor(end / 60);
    const bySource = source === undefined ? '' : 'AND source = $7';
    return this.database.query<BucketRow>(
      `SELECT ((minute - $1) / $2)::int AS bucket, source, lane, metric, sum(n)::float8 AS n FROM (
         SELECT hour * 60 AS minute, source, lane, metric, n FROM stats_hours WHERE hour >= $3 AND hour < $4 ${bySource}
         UNION ALL
         SELECT minute, source, lane, metric, n FROM stats_minutes WHERE minute >= $5 AND minute < $6 ${bySource}
       ) AS counts
       GROUP BY 1, 2, 3, 4 ORDER BY source COLLATE "C", lane COLLATE "C", metric COLLATE "C", bucket`,
      [first, width, first / 60, endHour, Math.max(first, endHour * 60), end, ...(source === undefined ? [] : [source])],
    );
  }

  async overview(since: Date): Promise<OverviewStats> {
    const now = new Date();
    const [totals, counts, depth, age, approvalsPending] = await Promise.all([
      this.database.query<{ source: string; lane: string; metric: string; n: number }>(
        'SELECT source, lane, metric, sum(n)::float8 AS n FROM stats_minutes WHERE minute >= $1 GROUP BY 1, 2, 3 ORDER BY source COLLATE "C", lane COLLATE "C", metric COLLATE "C"',
        [Math.floor(checkDate(since).getTime() / 60_000)],
      ),
      this.database.query<{ dead_letters: number }>("SELECT count(*)::int AS dead_letters FROM dead_letters WHERE status = 'open'"),
      this.jobs.depth(),
      this.jobs.oldestAgeMs(now),
      this.approvals.countPending(),
    ]);
    return {
      since,
      totals: totals.rows,
      queue: LANES.map((lane) => ({ lane, depth: depth[lane], oldestEnqueuedAt: depth[lane] === 0 ? null : new Date(now.getTime() - age[lane]) })),
      deadLettersOpen: counts.rows[0]?.dead_letters ?? 0,
      approvalsPending,
    };
  }
}
