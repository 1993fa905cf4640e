import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config/config-loader.js';
import type { LoadedConfig } from '../src/config/config-loader.js';
import { prepareEvent } from '../src/core/plan/event-planner.js';
import { signStandardWebhooks } from '../src/core/signatures/webhook-signature.js';
import { startService } from '../src/server/leadsync-service.js';
import { createLogger } from '../src/server/logger.js';
import { openRuntime } from '../src/server/runtime.js';
import type { CheckpointRound } from '../src/server/wal-checkpointer.js';
import { grantToken } from '../test/support/api-token-fixtures.js';
import { acceptPayload, drainQueue, fixturePayload } from '../test/support/operator-workspace.js';
import { writeBenchmarkSection } from './benchmark-report.js';
import { benchPayload } from './pipeline-benchmark.js';

// Operator actions against the HTTP thread's latency (docs/decisions/0033-operator-writes-off-the-busy-handler.md):
// the real service (`startService`: HTTP on this process's main thread, worker thread, ingest writer thread,
// checkpoint thread, sandbox CRM) on a SQLite file holding a backlog (on the batch lane unless told otherwise; the
// worker processes it throughout), open dead letters and pending approvals. A sender in its own worker thread sends signed webform ingest POSTs and
// `GET /healthz` at fixed rates (open loop); in the "operator actions" scenario it also sends, one after another,
// a bulk DLQ replay, a decision per pending approval, token creations and their revocations. The HTTP thread's
// event-loop delay is measured here, on the thread that serves HTTP.

const SECRET = 'whsec_bGVhZHN5bmMtbG9jYWwtd2ViZm9ybS1zZWNyZXQ=';
const DECISIONS = ['reject', 'approve'] as const;
const BACKLOG_LANES = ['batch', 'realtime'] as const;
type BacklogLane = (typeof BACKLOG_LANES)[number];
type Decision = (typeof DECISIONS)[number];
const SCENARIOS = ['baseline', 'operator actions'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Sizes and rates of one benchmark; every field has an environment knob in `reportOperatorLatencyBenchmark`. */
export interface OperatorBenchOptions {
  /** Events on the backlog's lane when the service starts. (Default: 40,000) */
  readonly backlog: number;
  /** The lane the backlog waits on: `batch` (a backfill: batches of up to 100) or `realtime` (one job at a time per slot, a sandbox write each). (Default: `batch`) */
  readonly backlogLane: BacklogLane;
  /** Open dead letters (code `CRM_PICKLIST_MISMATCH`), all replayed by one `POST /v1/dlq/replay`. (Default: 500) */
  readonly deadLetters: number;
  /** Pending approvals, each decided by its own request; at most 1,000 (one page of the approvals listing). (Default: 100) */
  readonly approvals: number;
  /** `approve` also writes the field to the sandbox CRM on the HTTP thread's connection. (Default: `reject`) */
  readonly decision: Decision;
  /** Tokens created, then revoked. (Default: 20) */
  readonly tokens: number;
  /** How long the sender sends ingest and `/healthz` requests in each scenario. (Default: 5) */
  readonly seconds: number;
  /** Signed ingest POSTs per second. (Default: 100) */
  readonly ingestRate: number;
  /** `GET /healthz` per second. (Default: 50) */
  readonly healthRate: number;
  /** WAL frames at which the checkpoint thread's round also runs a RESTART checkpoint (it takes the write lock). (Default: the service's, 4096) */
  readonly restartAtPages?: number;
}

interface LatencyStats {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** One scenario of one run. Times in ms. */
export interface OperatorPhaseResult {
  readonly scenario: Scenario;
  /** 1-minute load average when the scenario started. */
  readonly load: number;
  /** The HTTP thread's event-loop delay over the whole scenario (`monitorEventLoopDelay`, 5 ms resolution). */
  readonly loopDelay: { readonly p99: number; readonly max: number };
  readonly ingest: LatencyStats;
  readonly healthz: LatencyStats;
  /**
   * The operator requests but the bulk replay (each one write: a decision, a token created or revoked): their answer
   * times, and the time from the first operator request sent to the last answered. Null in the baseline.
   */
  readonly operator: (LatencyStats & { readonly totalMs: number }) | null;
  /** The bulk replay's answer time (one request, one write per item). Null in the baseline or without dead letters. */
  readonly replayMs: number | null;
  /** Requests answered with an unexpected status or not at all, by kind and status. */
  readonly failures: Readonly<Record<string, number>>;
  /** Events on the backlog's lane when the scenario started. */
  readonly backlogDepth: number;
  /** Backlog events the worker finished during the scenario, per CPU-second of the whole process (every thread): the worker's throughput, less sensitive to other work on the machine than events/s. */
  readonly backlogPerCpuSecond: number;
  /** The checkpoint thread's rounds during the scenario: RESTART (or idle TRUNCATE) rounds and the time spent inside their attempts, in ms, in all and in the longest round. */
  readonly checkpoints: { readonly rounds: number; readonly restarts: number; readonly restartMs: number; readonly maxRoundMs: number; readonly walPeakPages: number };
  /** Errors the service logged during the scenario (`worker error` and others at level error, alerts not counted), by message. */
  readonly serviceErrors: Readonly<Record<string, number>>;
}

interface SentRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Timed apart from the single operator writes: the bulk replay is one request of many writes. (Default: 'operator') */
  readonly kind?: 'replay';
}

interface SenderResult {
  readonly latencies: Readonly<Record<'ingest' | 'health' | 'operator' | 'replay', number[]>>;
  readonly statuses: Readonly<Record<string, number>>;
  readonly operatorMs: number;
}

// Plain CommonJS evaluated in a worker thread, so the sender's own work (fetch, response parsing) does not run on
// the thread being measured. Requests are signed before the clock starts.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { ingest, rate, healthRate, seconds, url, operator } = workerData;
(async () => {
  const latencies = { ingest: [], health: [], operator: [], replay: [] };
  const statuses = {};
  const count = (key) => (statuses[key] = (statuses[key] ?? 0) + 1);
  const timed = async (kind, request) => {
    const sentAt = performance.now();
    try {
      const response = await fetch(url + request.url, { method: request.method, headers: request.headers, body: request.body });
      await response.arrayBuffer();
      count(kind + ' ' + response.status);
    } catch (error) {
      count(kind + ' ' + (error.cause?.code ?? error.message));
    }
    latencies[kind].push(performance.now() - sentAt);
  };
  const started = performance.now();
  const operatorDone = (async () => {
    for (const request of operator) await timed(request.kind ?? 'operator', request);
    return performance.now() - started;
  })();
  const inFlight = [];
  const total = Math.floor(rate * seconds);
  const healthEvery = Math.max(1, Math.round(rate / healthRate));
  for (let i = 0; i < total; i += 1) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(timed('ingest', ingest[i]));
    if (i % healthEvery === 0) inFlight.push(timed('health', { method: 'GET', url: '/healthz', headers: {} }));
  }
  await Promise.all(inFlight);
  parentPort.postMessage({ latencies, statuses, operatorMs: await operatorDone });
})();
`;

const EXPECTED_STATUSES = new Set(['ingest 202', 'health 200', 'operator 200', 'operator 201', 'replay 200']);

function stats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

function signedIngest(prefix: string, count: number): SentRequest[] {
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify({ submission_id: `${prefix}-${i}`, submitted_at: new Date().toISOString(), email: `${prefix}${i}@operator-bench.example.com`, first_name: 'Op', job_title: 'Head of Growth', company: 'Bench Ltd', country: 'UK', form: 'Demo Request' });
    const id = `msg_${prefix}_${i}`;
    return { method: 'POST', url: '/v1/events/webform', body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(SECRET, id, timestamp, Buffer.from(body)) } };
  });
}

function withFile(config: LoadedConfig, file: string): LoadedConfig {
  return { ...config, document: { ...config.document, storage: { ...config.document.storage, file } } };
}

/**
 * Writes the starting database once: dead letters and pending approvals made by the real worker step, then the batch
 * backlog accepted in batches as the ingest writer would. Each run starts from a copy of it.
 */
async function seedDatabase(config: LoadedConfig, options: OperatorBenchOptions): Promise<void> {
  const runtime = await openRuntime(config);
  try {
    for (let i = 0; i < options.deadLetters; i += 1) await acceptPayload(runtime, 'webform', fixturePayload('webform/bad-lead-source.json', { submission_id: `bad-${i}`, email: `bad${i}@navy-labs.example.com` }));
    // An owner change on an existing contact needs an approval: create the contacts first, then change their owners.
    for (let i = 0; i < options.approvals; i += 1) await acceptPayload(runtime, 'webform', fixturePayload('webform/demo-request.json', { submission_id: `demo-${i}`, email: `own${i}@acme-analytics.co.uk` }));
    await drainQueue(runtime);
    for (let i = 0; i < options.approvals; i += 1) await acceptPayload(runtime, 'webform', fixturePayload('webform/owner-change.json', { submission_id: `own-${i}`, email: `own${i}@acme-analytics.co.uk` }));
    await drainQueue(runtime);
    const source = runtime.sources.get('webform');
    if (!source) throw new Error('the example config has no webform source');
    for (let first = 0; first < options.backlog; first += 500) {
      const batch = [];
      for (let i = first; i < Math.min(options.backlog, first + 500); i += 1) {
        const payload = benchPayload(i);
        const prepared = prepareEvent(payload, source.context);
        if (!prepared.ok) throw new Error(`bench payload not admitted: ${prepared.rejection.message}`);
        const primary = prepared.objects.find((object) => object.status === 'ready');
        batch.push({ source: 'webform', leadId: prepared.leadId, leadKey: primary?.status === 'ready' ? primary.leadKey : prepared.leadId, idempotencyKey: prepared.idempotencyKey, payloadHash: prepared.payloadHash, payload, receivedAt: new Date(), lane: options.backlogLane });
      }
      await runtime.storage.ingest.acceptMany(batch);
    }
  } finally {
    await runtime.close();
  }
}

/** One run: a fresh copy of the seeded database, the service started on it, a warm-up, the baseline, then the operator actions. */
async function runOnce(config: LoadedConfig, options: OperatorBenchOptions, run: number): Promise<Record<Scenario, OperatorPhaseResult>> {
  // The service's error lines are counted, not printed: a replayed item that fails again raises an alert per item.
  const errors = new Map<string, number>();
  const destination = {
    write(line: string): void {
      const entry = JSON.parse(line) as { msg?: string; alert?: unknown; err?: { message?: string } };
      if (entry.alert !== undefined) return;
      const key = `${entry.msg ?? '?'}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    },
  };
  const rounds: CheckpointRound[] = [];
  const walCheckpoints = { onCheckpoint: (round: CheckpointRound) => rounds.push(round), ...(options.restartAtPages === undefined ? {} : { restartAtPages: options.restartAtPages }) };
  const service = await startService(config, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'error', destination }), walCheckpoints });
  try {
    const approvalIds = (await service.storage.approvals.list({ status: 'pending', limit: options.approvals + 100 })).items.map((item) => item.id);
    const deadLetters = (await service.storage.deadLetters.groupByCode()).reduce((sum, group) => sum + group.count, 0);
    if (approvalIds.length !== options.approvals || deadLetters !== options.deadLetters) throw new Error(`seeded ${deadLetters} dead letters and ${approvalIds.length} approvals, expected ${options.deadLetters} and ${options.approvals}`);
    const auth = await grantToken(service.storage.apiTokens, 'operator-bench@example.com', 'admin');
    const json = { ...auth, 'content-type': 'application/json' };
    const operatorRequests: SentRequest[] = [
      ...(options.deadLetters > 0 ? [{ method: 'POST', url: '/v1/dlq/replay', headers: json, body: JSON.stringify({ code: 'CRM_PICKLIST_MISMATCH' }), kind: 'replay' as const }] : []),
      ...approvalIds.map((id) => ({ method: 'POST', url: `/v1/approvals/${id}/${options.decision}`, headers: auth })),
      ...Array.from({ length: options.tokens }, (_, i) => ({ method: 'POST', url: '/v1/tokens', headers: json, body: JSON.stringify({ name: `bench-${i}`, role: 'viewer' }) })),
      ...Array.from({ length: options.tokens }, (_, i) => ({ method: 'POST', url: `/v1/tokens/bench-${i}/revoke`, headers: auth })),
    ];
    const phase = async (name: string, seconds: number, operator: readonly SentRequest[]): Promise<Omit<OperatorPhaseResult, 'scenario'>> => {
      const backlogDepth = (await service.storage.jobs.depth())[options.backlogLane];
      const cpuBefore = process.cpuUsage();
      rounds.length = 0;
      const ingest = signedIngest(`r${run}-${name.replaceAll(' ', '-')}`, Math.floor(options.ingestRate * seconds));
      const load = loadavg()[0] ?? 0;
      const errorsBefore = new Map(errors);
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const result = await new Promise<SenderResult>((resolve, reject) => {
        const worker = new Worker(SENDER, { eval: true, workerData: { ingest, rate: options.ingestRate, healthRate: options.healthRate, seconds, url: service.url, operator } });
        worker.once('message', (message: SenderResult) => resolve(message));
        worker.once('error', reject);
      });
      loop.disable();
      const cpu = process.cpuUsage(cpuBefore);
      const processed = backlogDepth - (await service.storage.jobs.depth())[options.backlogLane];
      const failures = Object.fromEntries(Object.entries(result.statuses).filter(([key]) => !EXPECTED_STATUSES.has(key)));
      return {
        load,
        loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
        ingest: stats(result.latencies.ingest),
        healthz: stats(result.latencies.health),
        operator: operator.length === 0 ? null : { ...stats(result.latencies.operator), totalMs: result.operatorMs },
        replayMs: result.latencies.replay[0] ?? null,
        failures,
        backlogDepth,
        backlogPerCpuSecond: processed / ((cpu.user + cpu.system) / 1e6),
        checkpoints: {
          rounds: rounds.length,
          restarts: rounds.filter((round) => round.restarted).length,
          restartMs: rounds.reduce((sum, round) => sum + round.restartMs, 0),
          maxRoundMs: Math.max(0, ...rounds.map((round) => round.restartMs)),
          walPeakPages: Math.max(0, ...rounds.map((round) => round.walPages)),
        },
        serviceErrors: Object.fromEntries([...errors].map(([key, n]) => [key, n - (errorsBefore.get(key) ?? 0)] as const).filter(([, n]) => n > 0)),
      };
    };
    await phase('warmup', 2, []);
    const baseline = await phase('baseline', options.seconds, []);
    const operated = await phase('operator actions', options.seconds, operatorRequests);
    return { baseline: { scenario: 'baseline', ...baseline }, 'operator actions': { scenario: 'operator actions', ...operated } };
  } finally {
    await service.stop();
  }
}

/** Runs the benchmark `repeats` times, each on a fresh copy of one seeded database; returns every scenario of every run. */
export async function runOperatorLatencyBenchmark(options: OperatorBenchOptions, repeats: number, onPhase: (run: number, result: OperatorPhaseResult) => void = () => undefined): Promise<OperatorPhaseResult[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-operator-bench-'));
  try {
    const loaded = await loadConfig('examples/leadsync.yaml', { env: {} });
    const seeded = join(dir, 'seeded.db');
    await seedDatabase(withFile(loaded, seeded), options);
    const runs: OperatorPhaseResult[][] = [];
    for (let run = 1; run <= repeats; run += 1) {
      const file = join(dir, `run-${run}.db`);
      copyFileSync(seeded, file);
      if (existsSync(`${seeded}-wal`)) copyFileSync(`${seeded}-wal`, `${file}-wal`);
      const result = await runOnce(withFile(loaded, file), options, run);
      const phases = SCENARIOS.map((scenario) => result[scenario]);
      for (const phase of phases) onPhase(run, phase);
      runs.push(phases);
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (value: number): string => Math.round(value).toLocaleString('en-US');
const count = (value: number): string => value.toLocaleString('en-US');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

function row(run: number, phase: OperatorPhaseResult): string {
  const failures = Object.entries(phase.failures).map(([key, n]) => `${key}: ${n}`).join(', ') || '0';
  const errors = Object.entries(phase.serviceErrors).map(([key, n]) => `${key} (${n})`).join('; ') || '0';
  const operator = phase.operator ? `${(phase.operator.totalMs / 1000).toFixed(1)} s` : '—';
  const single = phase.operator ? `${ms(phase.operator.p50)} / ${ms(phase.operator.p90)} / ${ms(phase.operator.p99)} / ${ms(phase.operator.max)} ms (${phase.operator.n})` : '—';
  const replay = phase.replayMs === null ? '—' : `${ms(phase.replayMs)} ms`;
  const checkpoints = `${phase.checkpoints.restarts} / ${phase.checkpoints.rounds}, ${ms(phase.checkpoints.restartMs)} ms (longest ${ms(phase.checkpoints.maxRoundMs)} ms), WAL peak ${count(phase.checkpoints.walPeakPages)} frames`;
  return `| ${run} | ${phase.scenario} | ${phase.load.toFixed(1)} | ${count(phase.backlogDepth)} | ${count(Math.round(phase.backlogPerCpuSecond))} | ${checkpoints} | ${ms(phase.loopDelay.p99)} / ${ms(phase.loopDelay.max)} ms | ${ms(phase.ingest.p99)} / ${ms(phase.ingest.max)} ms | ${ms(phase.healthz.p99)} / ${ms(phase.healthz.max)} ms | ${operator} | ${single} | ${replay} | ${failures} | ${errors} |`;
}

function nonNegative(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
  return value;
}

/**
 * `npm run bench -- operator`: the baseline and the operator actions, `BENCH_OPERATOR_REPEATS` runs of both.
 * Writes the `operator` section of docs/BENCHMARKS.md.
 */
export async function reportOperatorLatencyBenchmark(): Promise<void> {
  const decision = process.env['BENCH_OPERATOR_DECISION'] ?? 'reject';
  const backlogLane = process.env['BENCH_OPERATOR_BACKLOG_LANE'] ?? 'batch';
  if (!BACKLOG_LANES.includes(backlogLane as BacklogLane)) throw new Error(`BENCH_OPERATOR_BACKLOG_LANE must be one of ${BACKLOG_LANES.join(', ')}`);
  if (!DECISIONS.includes(decision as Decision)) throw new Error(`BENCH_OPERATOR_DECISION must be one of ${DECISIONS.join(', ')}`);
  const options: OperatorBenchOptions = {
    backlog: nonNegative('BENCH_OPERATOR_BACKLOG', 40_000),
    backlogLane: backlogLane as BacklogLane,
    deadLetters: nonNegative('BENCH_OPERATOR_DEAD_LETTERS', 500),
    approvals: nonNegative('BENCH_OPERATOR_APPROVALS', 100),
    decision: decision as Decision,
    tokens: nonNegative('BENCH_OPERATOR_TOKENS', 20),
    seconds: nonNegative('BENCH_OPERATOR_SECONDS', 5),
    ingestRate: nonNegative('BENCH_OPERATOR_RATE', 100),
    healthRate: nonNegative('BENCH_OPERATOR_HEALTH_RATE', 50),
    ...(process.env['BENCH_OPERATOR_RESTART_AT_PAGES'] === undefined ? {} : { restartAtPages: nonNegative('BENCH_OPERATOR_RESTART_AT_PAGES', 4096) }),
  };
  const repeats = Math.max(1, Math.floor(nonNegative('BENCH_OPERATOR_REPEATS', 3)));
  if (options.approvals > 1000) throw new Error('BENCH_OPERATOR_APPROVALS must be at most 1000');
  const loadBefore = loadavg()[0] ?? 0;
  const runs = await runOperatorLatencyBenchmark(options, repeats, (run, phase) => console.log(`operator #${run} ${phase.scenario}: loop delay p99 ${ms(phase.loopDelay.p99)} / max ${ms(phase.loopDelay.max)} ms, ingest p99 ${ms(phase.ingest.p99)} ms, /healthz p99 ${ms(phase.healthz.p99)} ms${phase.operator ? `, operator actions ${(phase.operator.totalMs / 1000).toFixed(1)} s, single writes p50 ${ms(phase.operator.p50)} / p99 ${ms(phase.operator.p99)} / max ${ms(phase.operator.max)} ms` : ''}${phase.replayMs === null ? '' : `, bulk replay ${ms(phase.replayMs)} ms`}${Object.keys(phase.failures).length > 0 ? `, unexpected ${JSON.stringify(phase.failures)}` : ''}, backlog ${Math.round(phase.backlogPerCpuSecond)} events/CPU-s, checkpoints ${JSON.stringify({ ...phase.checkpoints, restartMs: Math.round(phase.checkpoints.restartMs), maxRoundMs: Math.round(phase.checkpoints.maxRoundMs) })}, load ${phase.load.toFixed(1)}`));
  const loadAfter = loadavg()[0] ?? 0;
  const phases = (scenario: Scenario): OperatorPhaseResult[] => runs.flat().filter((phase) => phase.scenario === scenario);
  const summary = SCENARIOS.map((scenario) => {
    const of = phases(scenario);
    return `| ${scenario} | ${ms(median(of.map((phase) => phase.loopDelay.max)))} ms (${ms(Math.min(...of.map((phase) => phase.loopDelay.max)))}–${ms(Math.max(...of.map((phase) => phase.loopDelay.max)))}) | ${ms(median(of.map((phase) => phase.ingest.p99)))} ms (${ms(Math.min(...of.map((phase) => phase.ingest.p99)))}–${ms(Math.max(...of.map((phase) => phase.ingest.p99)))}) | ${ms(median(of.map((phase) => phase.healthz.p99)))} ms (${ms(Math.min(...of.map((phase) => phase.healthz.p99)))}–${ms(Math.max(...of.map((phase) => phase.healthz.p99)))}) |`;
  });
  const lines = [
    `Command: \`npm run bench -- operator\` (\`BENCH_OPERATOR_REPEATS\` (default 3), \`BENCH_OPERATOR_BACKLOG\` (40,000), \`BENCH_OPERATOR_BACKLOG_LANE\` (\`batch\` or \`realtime\`), \`BENCH_OPERATOR_DEAD_LETTERS\` (500), \`BENCH_OPERATOR_APPROVALS\` (100), \`BENCH_OPERATOR_DECISION\` (\`reject\` or \`approve\`), \`BENCH_OPERATOR_TOKENS\` (20), \`BENCH_OPERATOR_SECONDS\` (5), \`BENCH_OPERATOR_RATE\` (100), \`BENCH_OPERATOR_HEALTH_RATE\` (50), \`BENCH_OPERATOR_RESTART_AT_PAGES\` (the checkpoint thread's RESTART threshold, 4,096 frames); Node ${process.version}). This run: backlog ${count(options.backlog)} on the ${options.backlogLane} lane, ${count(options.deadLetters)} dead letters, ${count(options.approvals)} approvals (${options.decision}), ${options.tokens} tokens, ${options.seconds} s at ${options.ingestRate} ingest/s and ${options.healthRate} \`/healthz\`/s, ${repeats} runs.`,
    '',
    'What it runs (docs/decisions/0033-operator-writes-off-the-busy-handler.md): the service in this process (`startService`: HTTP on the main thread, worker thread, ingest writer thread, checkpoint thread, sandbox CRM, SQLite `synchronous: full`) on a file holding a backlog of events (on the batch lane: a backfill; or the realtime lane) that the worker processes throughout, open dead letters (`CRM_PICKLIST_MISMATCH`) and pending owner-change approvals. Each run starts from a fresh copy of the same seeded file and a new service; after a 2 s warm-up, a sender in its own worker thread sends signed webform ingest POSTs and `GET /healthz` at fixed rates (open loop) for the given seconds with no operator action (**baseline**), then again while it sends, one after another over HTTP with an admin token, `POST /v1/dlq/replay` for every dead letter, one `POST /v1/approvals/:id/reject` (or `/approve`) per approval, token creations (`POST /v1/tokens`) and their revocations (**operator actions**).',
    '',
    '| run | scenario | load | backlog | backlog events per CPU-second | checkpoint restarts / rounds, time in them | loop delay p99 / max | ingest p99 / max | /healthz p99 / max | operator actions, total | single operator writes p50 / p90 / p99 / max (n) | bulk replay | unexpected answers | service errors logged |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.flatMap((phases, index) => phases.map((phase) => row(index + 1, phase))),
    '',
    '| scenario | loop delay max, median (range) | ingest p99, median (range) | /healthz p99, median (range) |',
    '|---|---|---|---|',
    ...summary,
    '',
    'Columns: **load** is the 1-minute load average when the scenario started (2 cores, shared with other work); **backlog** the events left on the backlog\'s lane then; **backlog events per CPU-second** the backlog events the worker finished during the scenario per CPU-second of the whole process (all its threads): the worker\'s throughput, steadier than events/s on a shared machine; **checkpoint restarts / rounds** the checkpoint thread\'s rounds during the scenario that ran a RESTART checkpoint (it takes the write lock; an idle TRUNCATE counts too) against all its rounds, the time spent inside those checkpoints in all and in the longest round (the write lock is held for the part of it that got the lock: its page copy and fsync), and the most frames the WAL held at a round. **Loop delay** is how late the HTTP thread\'s event loop ran over the whole scenario (`monitorEventLoopDelay`, 5 ms resolution), p99 and max: a synchronous wait on that thread (an SQLite busy handler, a bulk action that does not yield) shows here, and it is the figure that shows a stall. **Ingest** and **/healthz** are response times seen by the sender, p99 and max. **Operator actions, total** is the time from the start of the scenario to the last operator answer (the requests run one after another, so the longer ones extend the scenario past the sender\'s seconds; the loop delay covers all of it, ingest and `/healthz` only the sending seconds). **Single operator writes** are the answer times of the decisions and token requests (one write each: with the worker writing back to back, mostly the wait for SQLite\'s write lock), with their count; **bulk replay** the answer time of the one `POST /v1/dlq/replay` (a write per item). **Unexpected answers** counts requests not answered 202 (ingest), 200 (`/healthz`) or 200/201 (operator), by kind and status; **service errors logged** the service\'s log lines at level error during the scenario (alerts for dead letters not counted), by message.',
    '',
    `Every latency here is dominated by the machine (the sender, the service's four threads and other work on 2 cores); compare the two scenarios of a run, and the loop delay above all. Before decision 0033 the operator actions stopped the HTTP thread for seconds at a time (that decision's tables, old against new); with it, the loop delay with operator actions should stay near its baseline. 1-minute load average: ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end.`,
  ];
  writeBenchmarkSection('operator', 'Operator actions against HTTP latency (SQLite)', lines.join('\n'));
  console.log(lines.join('\n'));
}
