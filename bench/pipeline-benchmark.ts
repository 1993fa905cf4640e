import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { processBatch } from '../src/app/batch-processor.js';
import { prepareEvent } from '../src/core/plan/event-planner.js';
import { loadConfig } from '../src/config/config-loader.js';
import type { NewEvent } from '../src/ports/ingest-store.js';
import { openRuntime, sqliteDatabaseOf } from '../src/server/runtime.js';
import { SYNCHRONOUS_MODES, type SynchronousMode } from '../src/adapters/sqlite/sqlite-storage.js';
import { writeBenchmarkSection } from './benchmark-report.js';
import { runKillDurabilityTest, type KillDurabilityResult } from './kill-durability-benchmark.js';

// In one run, on the same machine and durability setting:
// 1. the raw SQLite queue limit: enqueue + claim + complete of no-op jobs in batched transactions;
// 2. leadsync end to end: accept (idempotency gate + event store + enqueue) → claim → plan →
//    sandbox CRM read and write → audit + field state + completion, on generated events.

export interface PipelineBenchResult {
  readonly events: number;
  readonly synchronous: SynchronousMode;
  readonly rawJobsPerSecond: number;
  readonly endToEndEventsPerSecond: number;
  /** Events per second of this process's CPU time (user + system), end to end: less sensitive to other load on the machine. */
  readonly endToEndEventsPerCpuSecond: number;
  readonly ingestEventsPerSecond: number;
  readonly ratio: number;
}

function rawQueueJobsPerSecond(file: string, jobs: number, synchronous: SynchronousMode, batch: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY, lead TEXT NOT NULL, payload TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, claimed_by TEXT)');
  db.exec('CREATE INDEX q_state ON q (state, id)');
  const insert = db.prepare('INSERT INTO q (lead, payload) VALUES (?, ?)');
  const claim = db.prepare("UPDATE q SET state = 1, claimed_by = 'w' WHERE id IN (SELECT id FROM q WHERE state = 0 ORDER BY id LIMIT ?) RETURNING id");
  const complete = db.prepare('DELETE FROM q WHERE id = ?');
  const enqueueMany = db.transaction((from: number, count: number) => {
    for (let i = from; i < from + count; i += 1) insert.run(`lead-${i}`, '{}');
  });
  const claimBatch = db.transaction((count: number) => claim.all(count) as { id: number }[]);
  const completeMany = db.transaction((ids: number[]) => {
    for (const id of ids) complete.run(id);
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < jobs; i += batch) enqueueMany(i, Math.min(batch, jobs - i));
  for (;;) {
    const claimed = claimBatch(batch);
    if (claimed.length === 0) break;
    completeMany(claimed.map((row) => row.id));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return jobs / seconds;
}

const COMPANIES = 500;

/**
 * Webform submission number `i`: a new contact at one of 500 companies (each
 * its own registrable domain, so its own company record), picked by a hash of
 * `i`: a batch of 100 holds about 9 contacts whose company another contact of
 * the batch also names, as real traffic does, so shared records are exercised.
 */
export function benchPayload(i: number): Record<string, unknown> {
  // An integer hash (murmur3's finalizer), so neighbouring events land on unrelated companies.
  let h = Math.imul(i ^ (i >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  const n = ((h ^ (h >>> 16)) >>> 0) % COMPANIES;
  return {
    submission_id: `bench-${i}`,
    submitted_at: '2026-11-20T14:03:11Z',
    email: `lead${i}@bench-company-${n}.com`,
    first_name: 'Bench',
    last_name: `Lead ${i}`,
    job_title: i % 3 === 0 ? 'VP Marketing' : i % 3 === 1 ? 'Senior Data Engineer' : 'Account Executive',
    company: `Bench ${n} GmbH`,
    website: `https://bench-company-${n}.com`,
    country: i % 2 === 0 ? 'Germany' : 'USA',
    phone: '+49 30 901820',
    form: 'Demo Request',
  };
}

export async function runPipelineBenchmark(events = 20_000, synchronous: SynchronousMode = 'full', batchSize = Number(process.env['BENCH_PIPELINE_BATCH'] ?? 100)): Promise<PipelineBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-bench-'));
  try {
    const rawJobsPerSecond = rawQueueJobsPerSecond(join(dir, 'raw.db'), events, synchronous, 100);

    const config = await loadConfig('examples/leadsync.yaml', { env: {} });
    const runtime = await openRuntime({ ...config, document: { ...config.document, storage: { ...config.document.storage, file: join(dir, 'leadsync.db'), synchronous } } });
    const source = runtime.sources.get('webform');
    if (!source) throw new Error('no webform source');
    const payloads = Array.from({ length: events }, (_, i) => benchPayload(i));

    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    for (let i = 0; i < events; i += 500) {
      const batch: NewEvent[] = [];
      for (const payload of payloads.slice(i, i + 500)) {
        const prepared = prepareEvent(payload, source.context);
        if (!prepared.ok) throw new Error(prepared.rejection.message);
        const primary = prepared.objects.find((object) => object.status === 'ready');
        batch.push({ source: 'webform', leadId: prepared.leadId, leadKey: primary?.status === 'ready' ? primary.leadKey : prepared.leadId, idempotencyKey: prepared.idempotencyKey, payloadHash: prepared.payloadHash, payload, receivedAt: new Date(), lane: 'batch' });
      }
      await runtime.storage.ingest.acceptMany(batch);
    }
    const ingested = process.hrtime.bigint();
    for (;;) {
      const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: batchSize, consecutivePerLead: batchSize, workerId: 'bench', now: new Date(), visibilityMs: 60_000 });
      if (jobs.length === 0) break;
      const outcomes = await processBatch(jobs, 'bench', runtime.processorDeps);
      const unsettled = outcomes.filter((outcome) => outcome.kind !== 'settled');
      if (unsettled.length > 0) throw new Error(`unexpected outcomes: ${JSON.stringify(unsettled[0])}`);
    }
    const finished = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuStarted);
    const depth = await runtime.storage.jobs.depth();
    if (depth.batch + depth.realtime !== 0) throw new Error('queue not drained');
    // Proof the work was done: every contact exists, with its audit row (and its company's).
    const count = (sql: string): number => sqliteDatabaseOf(runtime).prepare<[], { n: number }>(sql).get()?.n ?? -1;
    const contacts = count("SELECT count(*) AS n FROM crm_records WHERE object = 'contacts'");
    const audited = count("SELECT count(*) AS n FROM audit_log WHERE outcome = 'written' AND object = 'contacts'");
    if (contacts !== events || audited !== events) throw new Error(`expected ${events} contacts written and audited, found ${contacts} and ${audited}`);
    await runtime.close();
    const endToEndEventsPerSecond = events / (Number(finished - started) / 1e9);
    return {
      events,
      synchronous,
      rawJobsPerSecond,
      endToEndEventsPerSecond,
      endToEndEventsPerCpuSecond: events / ((cpu.user + cpu.system) / 1e6),
      ingestEventsPerSecond: events / (Number(ingested - started) / 1e9),
      ratio: endToEndEventsPerSecond / rawJobsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const rate = (value: number): string => Math.round(value).toLocaleString('en-US');

/**
 * `npm run bench -- pipeline`: both durability settings, `repeats` times each,
 * alternating so that other load on the machine hits both alike; then the
 * process-kill test for both. Writes the `pipeline` section of docs/BENCHMARKS.md.
 */
export async function reportPipelineBenchmark(events: number, repeats: number, kills: number): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const loadNote = (): string => ` 1-minute load average on the machine (2 cores, shared with other work): ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end.`;
  const runs = new Map<SynchronousMode, PipelineBenchResult[]>(SYNCHRONOUS_MODES.map((mode) => [mode, []]));
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    for (const mode of SYNCHRONOUS_MODES) {
      const result = await runPipelineBenchmark(events, mode);
      runs.get(mode)?.push(result);
      console.log(`pipeline ${mode} #${repeat + 1}: raw ${rate(result.rawJobsPerSecond)} jobs/s, end to end ${rate(result.endToEndEventsPerSecond)} events/s (${rate(result.endToEndEventsPerCpuSecond)} per CPU-second), ingest ${rate(result.ingestEventsPerSecond)} events/s`);
    }
  }
  const kill: KillDurabilityResult[] = [];
  for (const mode of SYNCHRONOUS_MODES) kill.push(await runKillDurabilityTest(mode, kills));

  const rows = SYNCHRONOUS_MODES.map((mode) => {
    const results = runs.get(mode) ?? [];
    const pick = (value: (result: PipelineBenchResult) => number): number => median(results.map(value));
    const endToEnd = results.map((result) => result.endToEndEventsPerSecond);
    return `| ${mode.toUpperCase()} | ${rate(pick((r) => r.rawJobsPerSecond))} | ${rate(pick((r) => r.ingestEventsPerSecond))} | ${rate(pick((r) => r.endToEndEventsPerSecond))} (${rate(Math.min(...endToEnd))}–${rate(Math.max(...endToEnd))}) | ${rate(pick((r) => r.endToEndEventsPerCpuSecond))} | ${pick((r) => r.ratio).toFixed(3)} |`;
  });
  const body = [
    `Command: \`npm run bench -- pipeline\` (\`BENCH_PIPELINE_EVENTS\`, \`BENCH_PIPELINE_REPEATS\`, \`BENCH_KILLS\`, \`BENCH_PIPELINE_BATCH\` (jobs per claim, default 100) to change the sizes; Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores).`,
    '',
    `${events.toLocaleString('en-US')} generated webform events per run (a new contact each, at one of 500 companies, so a batch of 100 holds a few contacts sharing a company record), medians of ${repeats} runs per durability setting, the settings alternating. End to end is accept (idempotency gate, event store, enqueue) → claim (batch lane, 100 jobs) → plan → sandbox CRM batch read and upsert → settle (audit, field state, job completion) until the queue is empty, in one process, on the real SQLite file. The raw limit is enqueue + claim + complete of no-op jobs, 100 per transaction, on the same machine, setting and run.`,
    '',
    '| durability | raw queue limit, jobs/s | ingest only, events/s | end to end, events/s (range) | end to end per CPU-second | ratio end to end / raw |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Target (issue 3): end to end ≥ 0.3 of the raw limit and ≥ 5,000 events/s. The machine is shared with other work, so wall-clock figures vary several-fold between runs; the per-CPU-second column (this process\'s user + system time) moves much less and is the one to compare changes by. Where the time goes, what was changed and what is left: docs/decisions/0004-sqlite-write-path.md, 0009-worker-thread-and-lead-coalescing.md and 0016-sqlite-pipeline-per-transaction-work.md.' + loadNote(),
    '',
    '### What each durability setting survives',
    '',
    'Both run SQLite in WAL mode. SQLite documents (the `synchronous` pragma): with `synchronous=FULL` the WAL is synced at every commit, so a commit that returned survives a power loss or OS crash (on storage that honours fsync); with `NORMAL` the WAL is synced only at checkpoints, so the last commits may roll back after a power loss or OS crash, but the database stays consistent, and commits survive an application crash under any setting.',
    '',
    `Measured here: a child process accepts events in batches of 20 and reports each batch once \`acceptMany\` resolved (the point where HTTP ingest answers 202); it is SIGKILLed at a random moment, ${kills} times in a row on one file; then every reported event is looked up.`,
    '',
    '| durability | process kills | events acknowledged | acknowledged but lost | integrity check |',
    '|---|---|---|---|---|',
    ...kill.map((result) => `| ${result.synchronous.toUpperCase()} | ${result.kills} | ${rate(result.acknowledged)} | ${result.lost} | ${result.integrity} |`),
    '',
    '| failure | NORMAL | FULL |',
    '|---|---|---|',
    '| process killed (SIGKILL, OOM, crash) | nothing acknowledged is lost (measured above) | nothing acknowledged is lost (measured above) |',
    '| OS crash or power loss | commits since the last checkpoint may be lost: under `leadsync serve` a checkpoint thread checkpoints every second (docs/decisions/0014-nonblocking-ingest-writes.md), so about the last second of commits; a process without it (`leadsync worker`, `leadsync ingest`) checkpoints at `wal_autocheckpoint` (1,000 pages, 4 MiB of WAL: about 3,500 accepted events when only ingesting, ~0.29 pages per event; fewer while the worker writes too, ~4 pages per processed event); the file stays consistent | nothing acknowledged is lost, if the disk honours fsync (documented; not reproducible from a process) |',
    '',
    'leadsync defaults to `full` because ingest answers 202 only after a durable commit; `normal` fits deployments where a source can re-send the last moments after an OS crash.',
  ].join('\n');
  writeBenchmarkSection('pipeline', 'Pipeline end to end on SQLite (ingest → queue → plan → sandbox CRM → audit)', body);
  console.log(body);
}
