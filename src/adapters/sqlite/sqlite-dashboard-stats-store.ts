import type BetterSqlite3 from 'better-sqlite3';
import type { ApprovalStore } from '../../ports/approval-store.js';
import type { DashboardStatsStore, OverviewStats, Timeseries, TimeseriesQuery, TimeseriesSeries } from '../../ports/dashboard-stats-store.js';
import { LANES } from '../../ports/job-queue.js';
import { promised } from './sqlite-async-bridge.js';
import { fromMs, toMs } from './sqlite-column-codecs.js';

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
 * Dashboard aggregates from `stats_minutes` and `stats_hours` (migrations
 * 004 and 006; kept by the ingest and audit stores since 007) and the small indexed counts of jobs, DLQ
 * items, and the approval store's own pending count. Buckets of whole hours read the hours (and the minutes
 * of the range's last, unfinished hour), so a month costs ~720 rows per series
 * however thinly its traffic is spread; other widths read the minutes.
 */
export class SqliteDashboardStatsStore implements DashboardStatsStore {
  private readonly series: BetterSqlite3.Statement<[number, number, number, number], BucketRow>;
  private readonly seriesOfSource: BetterSqlite3.Statement<[number, number, number, number, string], BucketRow>;
  private readonly hourSeries: BetterSqlite3.Statement<[number, number, number, number, number, number], BucketRow>;
  private readonly hourSeriesOfSource: BetterSqlite3.Statement<[number, number, number, number, string, number, number, string], BucketRow>;
  private readonly totals: BetterSqlite3.Statement<[number], { source: string; lane: string; metric: string; n: number }>;
  private readonly laneDepth: BetterSqlite3.Statement<[string], { n: number }>;
  private readonly laneOldest: BetterSqlite3.Statement<[string], { enqueued_at: number }>;
  private readonly openDeadLetters: BetterSqlite3.Statement<[], { n: number }>;

  constructor(
    db: BetterSqlite3.Database,
    private readonly approvals: Pick<ApprovalStore, 'countPending'>,
  ) {
    // better-sqlite3 binds JS numbers as REAL: the casts keep the bucket division an integer one.
    const seriesSql = (where: string): string =>
      `SELECT (minute - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, source, lane, metric, sum(n) AS n FROM stats_minutes
       WHERE minute >= ? AND minute < ? ${where} GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4, 1`;
    this.series = db.prepare(seriesSql(''));
    this.seriesOfSource = db.prepare(seriesSql('AND source = ?'));
    // Whole hours [from, to) from stats_hours, then the minutes [from, to) of the last, unfinished hour.
    const hourSeriesSql = (where: string): string =>
      `SELECT (minute - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, source, lane, metric, sum(n) AS n FROM (
         SELECT hour * 60 AS minute, source, lane, metric, n FROM stats_hours WHERE hour >= ? AND hour < ? ${where}
         UNION ALL
         SELECT minute, source, lane, metric, n FROM stats_minutes WHERE minute >= ? AND minute < ? ${where}
       ) GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4, 1`;
    this.hourSeries = db.prepare(hourSeriesSql(''));
    this.hourSeriesOfSource = db.prepare(hourSeriesSql('AND source = ?'));
    this.totals = db.prepare('SELECT source, lane, metric, sum(n) AS n FROM stats_minutes WHERE minute >= ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3');
    this.laneDepth = db.prepare('SELECT n FROM job_counts WHERE lane = ?');
    // jobs_by_lane (lane, id): the lowest id of a lane is its oldest job.
    this.laneOldest = db.prepare('SELECT enqueued_at FROM jobs WHERE lane = ? ORDER BY id LIMIT 1');
    this.openDeadLetters = db.prepare("SELECT count(*) AS n FROM dead_letters WHERE status = 'open'");
  }

  timeseries(query: TimeseriesQuery): Promise<Timeseries> {
    return promised(() => {
      const width = Math.trunc(query.bucketMinutes);
      if (!(width >= 1 && width <= 1440)) throw new RangeError(`bucketMinutes must be 1..1440, got ${query.bucketMinutes}`);
      // Buckets are aligned to multiples of their width since the epoch, so a chart does not shift as time passes.
      const first = Math.floor(toMs(query.from) / 60_000 / width) * width;
      const end = Math.ceil(toMs(query.to) / 60_000);
      const count = Math.max(0, Math.ceil((end - first) / width));
      if (count > MAX_BUCKETS) throw new RangeError(`${count} buckets asked for; at most ${MAX_BUCKETS}: widen the buckets or shorten the range`);
      const rows = width % 60 === 0 ? this.hourRows(first, width, end, query.source) : query.source === undefined ? this.series.all(first, width, first, end) : this.seriesOfSource.all(first, width, first, end, query.source);
      const series: TimeseriesSeries[] = [];
      let current: { source: string; lane: string; metric: string; counts: number[] } | undefined;
      for (const row of rows) {
        if (current === undefined || current.source !== row.source || current.lane !== row.lane || current.metric !== row.metric) {
          current = { source: row.source, lane: row.lane, metric: row.metric, counts: new Array<number>(count).fill(0) };
          series.push(current);
        }
        if (row.bucket >= 0 && row.bucket < count) current.counts[row.bucket] = row.n;
      }
      const buckets = Array.from({ length: count }, (_, index) => fromMs((first + index * width) * 60_000));
      return { bucketMinutes: width, buckets, series };
    });
  }

  /** Bucket rows for a width of whole hours (`first` is then a whole hour too). */
  private hourRows(first: number, width: number, end: number, source: string | undefined): BucketRow[] {
    const endHour = Math.floor(end / 60);
    const tailFrom = Math.max(first, endHour * 60);
    return source === undefined
      ? this.hourSeries.all(first, width, first / 60, endHour, tailFrom, end)
      : this.hourSeriesOfSource.all(first, width, first / 60, endHour, source, tailFrom, end, source);
  }

  async overview(since: Date): Promise<OverviewStats> {
    // One count of pending approvals for the dashboard and the metrics gauge: the approval store's.
    const approvalsPending = await this.approvals.countPending();
    return promised(() => ({
      since,
      totals: this.totals.all(Math.floor(toMs(since) / 60_000)),
      queue: LANES.map((lane) => {
        const oldest = this.laneOldest.get(lane);
        return { lane, depth: this.laneDepth.get(lane)?.n ?? 0, oldestEnqueuedAt: oldest === undefined ? null : fromMs(oldest.enqueued_at) };
      }),
      deadLettersOpen: this.openDeadLetters.get()?.n ?? 0,
      approvalsPending,
    }));
  }
}
