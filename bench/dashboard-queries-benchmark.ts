// `npm run bench -- dashboard`: the dashboard's reads on a SQLite file holding
// 1,000,000 audit rows (BENCH_DASHBOARD_ROWS), timed as the HTTP routes run them.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStorage } from '../src/adapters/sqlite/sqlite-storage.js';
import { writeBenchmarkSection } from './benchmark-report.js';

const SOURCES = ['webform', 'segment', 'zoominfo', 'clearbit', 'apollo'] as const;
const OUTCOMES = ['written', 'written', 'written', 'no_change', 'no_change', 'stale', 'duplicate', 'rejected', 'dead_lettered', 'pending_approval'] as const;
const DAYS = 30;

export interface DashboardQueryTiming {
  readonly query: string;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly rows: number;
}

function time(runs: number, work: () => Promise<number>): Promise<{ medianMs: number; maxMs: number; rows: number }> {
  return (async () => {
    const samples: number[] = [];
    let rows = 0;
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      rows = await work();
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    return { medianMs: samples[Math.floor(samples.length / 2)] ?? 0, maxMs: samples.at(-1) ?? 0, rows };
  })();
}

/** Fills a temp database (events, then audit rows spread over 30 days) and times each dashboard query. */
export async function runDashboardQueriesBenchmark(auditRows: number, runs = 9): Promise<{ fillSeconds: number; timings: DashboardQueryTiming[] }> {
  const directory = mkdtempSync(join(tmpdir(), 'leadsync-bench-dashboard-'));
  const storage = openSqliteStorage({ file: join(directory, 'leadsync.db'), synchronous: 'normal' });
  try {
    const db = storage.database;
    const now = Date.now();
    const events = Math.max(1, Math.floor(auditRows / 4));
    const leads = Math.max(1, Math.floor(auditRows / 20));
    const fillStart = performance.now();
    // Straight SQL inserts: the chain hashes are not what is measured, the row count and indexes are. The stores count rows for the
    // dashboard as they write them (SQLite migration 007); these inserts bypass them, so the counts are added below as migrations 004/006 add existing rows.
    const insertEvent = db.prepare(
      "INSERT INTO events (source, lead_id, lead_key, idempotency_key, payload_hash, payload_json, received_at, lane) VALUES (?, ?, ?, ?, 'h', '{}', ?, ?)",
    );
    const insertAudit = db.prepare(
      `INSERT INTO audit_log (time, lead_key, source, event_id, mapping_version, object, changes_json, actor_kind, actor_name, outcome, attempt, prev_hash, row_hash)
       VALUES (?, ?, ?, ?, 'preset:webform@1', 'contacts', ?, 'source', ?, ?, 1, 'p', 'r')`,
    );
    const changes = JSON.stringify([{ field: 'jobtitle', before: null, after: 'VP Sales', confidence: 0.9, reason: 'webform: job_title' }]);
    db.transaction(() => {
      for (let i = 0; i < events; i++) {
        const source = SOURCES[i % SOURCES.length] ?? 'webform';
        const lead = `lead-${i % leads}@example.com`;
        insertEvent.run(source, lead, `contacts:${lead}`, `${source}|${i}`, now - Math.floor((i / events) * DAYS * 86_400_000), source === 'webform' ? 'realtime' : 'batch');
      }
      for (let i = 0; i < auditRows; i++) {
        const source = SOURCES[i % SOURCES.length] ?? 'webform';
        const at = new Date(now - DAYS * 86_400_000 + Math.floor((i / auditRows) * DAYS * 86_400_000)).toISOString();
        insertAudit.run(at, `contacts:lead-${i % leads}@example.com`, source, String((i % events) + 1), changes, source, OUTCOMES[i % OUTCOMES.length] ?? 'written');
      }
      db.exec(`
        INSERT INTO stats_minutes (minute, source, lane, metric, n)
        SELECT received_at / 60000, source, lane, 'received', count(*) FROM events GROUP BY 1, 2, 3;
        INSERT INTO stats_minutes (minute, source, lane, metric, n)
        SELECT CAST(strftime('%s', a.time) AS INTEGER) / 60, coalesce(a.source, '(operator)'), coalesce(e.lane, 'none'), a.outcome, count(*)
        FROM audit_log a LEFT JOIN events e ON e.id = CAST(a.event_id AS INTEGER) WHERE true GROUP BY 1, 2, 3, 4
        ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + excluded.n;
        INSERT INTO stats_hours (hour, source, lane, metric, n) SELECT minute / 60, source, lane, metric, sum(n) FROM stats_minutes GROUP BY 1, 2, 3, 4;
      `);
    })();
    const fillSeconds = (performance.now() - fillStart) / 1000;
    db.exec('ANALYZE');

    const day = new Date(now - 86_400_000);
    const timings: DashboardQueryTiming[] = [];
    const add = async (query: string, work: () => Promise<number>): Promise<void> => {
      await work(); // warm the page cache and statement once
      timings.push({ query, ...(await time(runs, work)) });
    };
    await add('overview (last 24 h totals, queue, DLQ, approvals)', async () => (await storage.dashboardStats.overview(day)).totals.length);
    await add('timeseries, 24 h in 30-min buckets', async () => (await storage.dashboardStats.timeseries({ from: day, to: new Date(now), bucketMinutes: 30 })).series.length);
    await add('timeseries, 7 days in 1-h buckets (hourly rollup)', async () => (await storage.dashboardStats.timeseries({ from: new Date(now - 7 * 86_400_000), to: new Date(now), bucketMinutes: 60 })).series.length);
    await add('timeseries, 30 days in 6-h buckets (hourly rollup)', async () => (await storage.dashboardStats.timeseries({ from: new Date(now - DAYS * 86_400_000), to: new Date(now), bucketMinutes: 360 })).series.length);
    await add('timeseries, 30 days in 30-min buckets (per-minute table, for comparison)', async () => (await storage.dashboardStats.timeseries({ from: new Date(now - DAYS * 86_400_000), to: new Date(now), bucketMinutes: 30 })).series.length);
    await add('audit search, first page (50), no filter', async () => (await storage.audit.search({ limit: 50 })).items.length);
    await add('audit search, source + outcome', async () => (await storage.audit.search({ source: 'clearbit', outcome: 'rejected', limit: 50 })).items.length);
    await add('audit search, outcome + 1-day range', async () => (await storage.audit.search({ outcome: 'dead_lettered', from: new Date(now - 15 * 86_400_000), to: new Date(now - 14 * 86_400_000), limit: 50 })).items.length);
    await add('audit search, pages 1–20 by cursor (20 queries in a row)', async () => {
      let cursor: string | undefined;
      let n = 0;
      for (let page = 0; page < 20; page++) {
        const result = await storage.audit.search({ limit: 50, ...(cursor === undefined ? {} : { cursor }) });
        n = result.items.length;
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      return n;
    });
    await add('lead timeline (one lead, whole history)', async () => (await storage.audit.history('contacts:lead-4242@example.com')).length);
    return { fillSeconds, timings };
  } finally {
    await storage.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

export async function reportDashboardQueriesBenchmark(auditRows: number): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const { fillSeconds, timings } = await runDashboardQueriesBenchmark(auditRows);
  const loadAfter = loadavg()[0] ?? 0;
  const lines = [
    `Command: \`${auditRows === 1_000_000 ? '' : `BENCH_DASHBOARD_ROWS=${auditRows} `}npm run bench -- dashboard\` (\`BENCH_DASHBOARD_ROWS\`, default 1,000,000; Node ${process.version}). A temp SQLite file gets ${auditRows.toLocaleString('en-US')} audit rows over 30 days (5 sources, ${Math.floor(auditRows / 20).toLocaleString('en-US')} leads) and ${Math.floor(auditRows / 4).toLocaleString('en-US')} events (filled in ${fillSeconds.toFixed(1)} s by straight SQL inserts, then counted into the stats tables as the migrations count existing rows); each query runs once to warm up, then 9 times.`,
    '',
    '| query | rows answered | median | max |',
    '|---|---|---|---|',
    ...timings.map((t) => `| ${t.query} | ${t.rows} | ${t.medianMs.toFixed(2)} ms | ${t.maxMs.toFixed(2)} ms |`),
    '',
    `1-minute load average (2 cores shared with other work): ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end.`,
    '',
    'Totals and charts whose buckets are not whole hours read `stats_minutes` (migration 004); charts in whole-hour buckets read `stats_hours` (SQLite migration 006, PostgreSQL 005) plus the minutes of the last, unfinished hour. Both are kept by the same triggers, so a query costs the number of (minute or hour, source, lane, outcome) rows in its range, not the number of audit rows. When traffic is spread thinly, `stats_minutes` holds almost one row per audit row, so the 30-min line above scans about all of them; the hourly rollup holds at most one row per hour and series. Audit pages are keyset range scans on the audit indexes (migration 001).',
  ];
  writeBenchmarkSection('dashboard', `Dashboard queries at ${auditRows.toLocaleString('en-US')} audit rows`, lines.join('\n'));
  console.log(lines.join('\n'));
}
