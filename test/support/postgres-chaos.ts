import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openPostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { createPgBouncerRole, dropPgBouncerRole, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { testDatabaseUrl, uniqueSchemaName, withConnection, withTestConnection } from './postgres-test-schema.js';
import { startServeProcess, type ServeProcess } from './serve-process.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

// The multi-process chaos run of issue 5 on PostgreSQL, shared by the test
// (test/integration/postgres-chaos.test.ts, sized for CI) and the benchmark
// variant (bench/pg-chaos-benchmark.ts, 50,000 events). Runs the BUILT CLI:
// 1 `leadsync serve --no-worker` + N `leadsync worker` processes on one schema,
// the HubSpot emulator (its own process) as the CRM with injected 5xx, 429 and
// latency, random SIGKILLs of workers (each restarted), and one restart of the
// PostgreSQL server mid-run. Then checks from the database and the CRM that
// every accepted event was written or dead-lettered exactly once.
// With `pgBouncer`, the API and the workers connect through a private PgBouncer
// in transaction mode (test/support/pgbouncer.ts), the schema on the role as
// docs/deploy.md says; PostgreSQL restarts behind it while PgBouncer stays up.

const run = promisify(execFile);

/** Every process a run started and has not seen exit: killed by `killChaosProcesses` (a test that timed out) or at exit. */
const live = new Set<ChildProcess>();

function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs whatever a run left behind (its `finally` does not run when a test times out). */
export function killChaosProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

process.once('exit', killChaosProcesses);

export interface ChaosOptions {
  readonly events: number;
  readonly workers: number;
  readonly kills: number;
  /** Restart the PostgreSQL server once, half way through sending. */
  readonly restartPostgres: boolean;
  /** Inject CRM faults (503s, 429s, resets, latency). (Default: true) */
  readonly crmFaults?: boolean;
  /** Deliveries in flight at once. (Default: 16) */
  readonly senders?: number;
  /** How long the queue may take to drain after the last delivery. (Default: 180000) */
  readonly drainTimeoutMs?: number;
  /**
   * Connect the API and the workers through a private PgBouncer in transaction mode
   * with `poolSize` server connections and any further `settings` (e.g.
   * `{ server_login_retry: '1' }`), instead of directly. (Default: directly)
   */
  readonly pgBouncer?: { readonly poolSize: number; readonly settings?: Readonly<Record<string, string>> };
  /** A directory to write every process's output to (`api-<pid>.log`, `worker-<pid>.log`, `pgbouncer.log`). (Default: not kept) */
  readonly outputDir?: string;
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  readonly schema: string;
  /** The role the run logged in as through PgBouncer (its schema is `schema`), or undefined for a direct run. */
  readonly role: string | undefined;
  /** `direct`, or `PgBouncer <version>, transaction mode, <n> server connections`. */
  readonly connection: string;
  readonly events: number;
  readonly accepted: number;
  readonly kills: number;
  readonly postgresRestarts: number;
  readonly faultsInjected: readonly string[];
  /** Accepted events with neither a terminal audit entry nor a DLQ item. */
  readonly lost: readonly string[];
  /** Events with more than one terminal audit entry. */
  readonly appliedTwice: number;
  /** CRM contact records minus distinct emails: records created twice for one lead. */
  readonly duplicateCreates: number;
  readonly crmContacts: number;
  /** CRM company records minus distinct domains: companies created twice. */
  readonly duplicateCompanyCreates: number;
  readonly crmCompanies: number;
  readonly deadLettered: number;
  readonly auditChainValid: boolean;
  readonly auditEntries: number;
  /** Longest time from a SIGKILL until every job the killed worker held was reclaimed or finished. */
  readonly maxReclaimMs: number;
  readonly sendSeconds: number;
  readonly drainSeconds: number;
  readonly deliveryRetries: number;
  /** The longest an event took from its first delivery attempt until the API accepted it (refused and sent again, or kept waiting): how long ingest stalled. */
  readonly longestDeliveryMs: number;
  /** How the API turned deliveries away, counted: `<status> <error code or message>`, or the sender's own error (`TimeoutError` after 30 s). */
  readonly deliveryRefusals: Readonly<Record<string, number>>;
  /** From the start of the PostgreSQL restart until a statement on the services' path (PgBouncer or direct) succeeded again. */
  readonly recoveryMs: number;
  /** API or worker processes that exited without being killed by the run, with the end of their output. */
  readonly unexpectedExits: readonly string[];
}

/** The companies the events are spread over (each a CRM company record, shared by every worker). */
export const CHAOS_COMPANIES = 7;

function payload(index: number): string {
  return JSON.stringify({
    submission_id: `chaos-${index}`,
    submitted_at: '2026-11-20T14:03:11Z',
    email: `lead${index}@chaos-test.example.com`,
    first_name: `Lead${index}`,
    job_title: index % 2 === 0 ? 'VP Marketing' : 'Senior Software Engineer',
    company: `Chaos Test ${index % CHAOS_COMPANIES}`,
    // A company record per website domain: the workers' batches race to create the same few companies.
    website: `https://www.chaos-test-${index % CHAOS_COMPANIES}.com`,
    country: 'DE',
    lead_source: 'Demo request',
    form: index % 10 === 0 ? 'Demo Request' : 'Contact Us',
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `work`, or a rejection after `ms`: a connection attempt while the server restarts can hang without one. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The URL with `search_path` set to the schema (startup option), so every process uses it. */
function urlWithSchema(schema: string): string {
  const base = testDatabaseUrl();
  return `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

function writeConfig(dir: string, databaseUrl: string, crmUrl: string): string {
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  const config = readFileSync('examples/hubspot.yaml', 'utf8')
    .replace(/ {2}file: \.\/data\/leadsync-hubspot\.db\n {2}synchronous: full\n/, `  url: "${databaseUrl}"\n`)
    .replace('${HUBSPOT_BASE_URL:-http://127.0.0.1:4010}', crmUrl)
    .replace('${HUBSPOT_TOKEN:-pat-na1-emulator}', 'pat-na1-emulator')
    .replace(/ {2}tier: professional\n/, '  rateLimit: { requests: 1000000, intervalMs: 10000, maxWaitMs: 2000 }\n  timeoutMs: 5000\n')
    // Demo requests (1 in 10) go to the realtime lane, the rest to the batch lane (coalesced, 100 per CRM call).
    .replace(/ {4}lane: realtime\n {4}signature:\n {6}scheme: standard-webhooks\n {6}secrets: \[[^\]]*\]\n/, "    lane: batch\n    eventTypePath: form\n    lanesByEventType: { 'Demo Request': realtime }\n    signature: { scheme: none }\n")
    .replace('  maxRetries: 3', '  maxRetries: 8')
    .replace('  baseDelayMs: 1000', '  baseDelayMs: 200')
    .replace('  maxDelayMs: 60000', '  maxDelayMs: 3000')
    .replace('  visibilityTimeoutMs: 30000', '  visibilityTimeoutMs: 5000');
  if (!config.includes("lanesByEventType: { 'Demo Request': realtime }") || !config.includes(`baseUrl: ${crmUrl}`) || !config.includes('url: "postgres') || !config.includes('scheme: none') || !config.includes('visibilityTimeoutMs: 5000')) {
    throw new Error('examples/hubspot.yaml changed shape; update the chaos config rewrite');
  }
  writeFileSync(join(dir, 'leadsync.yaml'), config);
  return join(dir, 'leadsync.yaml');
}

interface Emulator {
  readonly process: ChildProcess;
  readonly url: string;
}

function startEmulator(): Promise<Emulator> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/hubspot/main.ts'], {
      env: { ...process.env, PORT: '0', RATE_LIMIT_MAX: '100000000', DAILY_LIMIT: '100000000', SCHEMA_FILE: 'examples/crm-schema.yaml' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(proc);
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve({ process: proc, url: match[1] });
    });
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.on('exit', (code) => reject(new Error(`HubSpot emulator exited (${String(code)}):\n${output}`)));
  });
}

async function emulatorCall(emulator: Emulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}/__emulator${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

interface WorkerProcess {
  readonly process: ChildProcess;
  readonly output: string[];
}

/** Appends what `proc` prints to `<outputDir>/<name>-<pid>.log` when there is an output directory. */
function keepOutput(proc: ChildProcess, outputDir: string | undefined, name: string): void {
  if (outputDir === undefined) return;
  const file = join(outputDir, `${name}-${proc.pid ?? 'unknown'}.log`);
  const append = (chunk: Buffer): void => appendFileSync(file, chunk);
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
}

function startWorker(configFile: string, env: NodeJS.ProcessEnv, outputDir: string | undefined): Promise<WorkerProcess> {
  return new Promise((resolve, reject) => {
    const proc = track(spawn(process.execPath, ['bin/leadsync.js', 'worker', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    keepOutput(proc, outputDir, 'worker');
    const output: string[] = [];
    let started = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 200) output.splice(0, output.length - 200);
      if (!started && output.join('').includes('leadsync worker running')) {
        started = true;
        resolve({ process: proc, output });
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 200) output.splice(0, output.length - 200);
    });
    proc.on('exit', (code, signal) => {
      if (!started) reject(new Error(`worker exited (${code ?? signal}) before running:\n${output.join('')}`));
    });
  });
}

function postgresVersion(): string {
  const versions = readdirSync('/etc/postgresql');
  const version = versions.sort().at(-1);
  if (version === undefined) throw new Error('no PostgreSQL cluster under /etc/postgresql');
  return version;
}

/**
 * Restarts the machine's PostgreSQL server and waits until it accepts connections
 * again: directly, and then through PgBouncer when the services use it
 * (`throughPgBouncer`, their URL). Resolves with the time from the start of the
 * restart until a statement on the services' path succeeded.
 */
async function restartPostgres(log: (line: string) => void, throughPgBouncer: string | undefined): Promise<number> {
  const started = Date.now();
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', postgresVersion(), 'main', 'restart']);
  const waitUntilServing = async (connectionString: string, what: string): Promise<number> => {
    let lastError: unknown;
    for (;;) {
      try {
        await withTimeout(withConnection({ connectionString }, (client) => client.query('SELECT 1')), 5_000, `connecting ${what} after the restart`);
        return Date.now() - started;
      } catch (error) {
        lastError = error;
        if (Date.now() - started > 120_000) throw new Error(`PostgreSQL did not answer ${what} within 120 s of the restart`, { cause: lastError });
        await sleep(100);
      }
    }
  };
  const direct = await waitUntilServing(testDatabaseUrl(), 'directly');
  log(`PostgreSQL restarted and ready in ${direct} ms`);
  if (throughPgBouncer === undefined) return direct;
  const recovered = await waitUntilServing(throughPgBouncer, 'through PgBouncer');
  log(`a statement through PgBouncer succeeded ${recovered} ms after the restart began`);
  return recovered;
}

/** The ids of the jobs a worker process holds (its worker id is `host:pid:…`). */
async function jobsHeldBy(schema: string, pid: number): Promise<string[]> {
  return withTestConnection(async (client) => (await client.query<{ id: string }>('SELECT id FROM job_queue WHERE claimed_by LIKE $1', [`%:${pid}:%`])).rows.map((row) => row.id), schema);
}

/** Polls until none of `ids` is still held by the dead process; resolves with the time it took. */
async function reclaimTime(schema: string, pid: number, ids: readonly string[], killedAt: number): Promise<number> {
  if (ids.length === 0) return 0;
  for (;;) {
    try {
      const held = await withTimeout(
        withTestConnection(
          async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM job_queue WHERE id = ANY($1::bigint[]) AND claimed_by LIKE $2', [ids, `%:${pid}:%`])).rows[0]?.n ?? 0,
          schema,
        ),
        5_000,
        'checking a reclaim',
      );
      if (held === 0) return Date.now() - killedAt;
    } catch {
      // PostgreSQL restarting: ask again.
    }
    if (Date.now() - killedAt > 300_000) return Date.now() - killedAt;
    await sleep(100);
  }
}

/** Where the services' database connections go: a schema of the run's own, directly or through a PgBouncer. */
interface ChaosDatabase {
  readonly schema: string;
  /** The services' storage URL. */
  readonly url: string;
  readonly bouncer: PgBouncer | undefined;
  readonly connection: string;
}

async function openChaosDatabase(options: ChaosOptions): Promise<ChaosDatabase> {
  if (options.pgBouncer === undefined) {
    const schema = uniqueSchemaName('chaos');
    await withTestConnection((client) => client.query(`CREATE SCHEMA ${schema}`));
    return { schema, url: urlWithSchema(schema), bouncer: undefined, connection: 'direct' };
  }
  const { poolSize, settings } = options.pgBouncer;
  const bouncer = await startPgBouncer({ poolSize, ...(settings === undefined ? {} : { extraSettings: settings }) });
  try {
    // PgBouncer refuses the URL's search_path option: the schema is on the role (docs/deploy.md, section 3).
    const role = await createPgBouncerRole(bouncer);
    return { schema: role.role, url: role.url, bouncer, connection: `${bouncer.version}, transaction mode, ${poolSize} server connections${Object.entries(settings ?? {}).map(([key, value]) => `, ${key} = ${value}`).join('')}` };
  } catch (error) {
    await bouncer.stop();
    throw error;
  }
}

export async function runPostgresChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => undefined);
  const dir = makeTempDir('leadsync-pg-chaos-');
  const outputDir = options.outputDir;
  if (outputDir !== undefined) mkdirSync(outputDir, { recursive: true });
  const database = await openChaosDatabase(options);
  const { schema, bouncer } = database;
  const children: ChildProcess[] = [];
  // Processes the run stops on purpose (kills, the SIGTERM at the end): any other API or worker exit is a failure to report.
  const stopping = new Set<ChildProcess>();
  const unexpectedExits: string[] = [];
  const watchExit = (child: ChildProcess, name: string, output: () => string): void => {
    child.once('exit', (code, signal) => {
      if (!stopping.has(child)) unexpectedExits.push(`${name} pid ${child.pid ?? '?'} exited (${code ?? signal}) unasked; its output ended:\n${output().slice(-2000)}`);
    });
  };
  let emulator: Emulator | undefined;
  try {
    emulator = await startEmulator();
    children.push(emulator.process);
    const configFile = writeConfig(dir, database.url, emulator.url);
    // storage.url of the config wins over a DATABASE_URL in the environment.
    const env = process.env;
    // The API first: it applies the migrations before the workers open the schema.
    const api: ServeProcess = await startServeProcess(configFile, ['--no-worker']);
    children.push(track(api.process));
    keepOutput(api.process, outputDir, 'api');
    watchExit(api.process, 'API', () => api.output());
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < options.workers; i += 1) {
      const worker = await startWorker(configFile, env, outputDir);
      workers.push(worker);
      children.push(worker.process);
      watchExit(worker.process, 'worker', () => worker.output.join(''));
    }
    log(`started: API ${api.url}, ${options.workers} workers, HubSpot emulator ${emulator.url}, schema ${schema}, connection ${database.connection}`);

    const accepted = new Map<number, string>();
    const faults: string[] = [];
    const reclaims: Promise<number>[] = [];
    let kills = 0;
    let killsPlanned = 0;
    let restarts = 0;
    let deliveryRetries = 0;
    let next = 0;
    let restarting: Promise<number> = Promise.resolve(0);
    let longestDeliveryMs = 0;
    const deliveryRefusals: Record<string, number> = {};
    const refused = (how: string): void => {
      deliveryRefusals[how] = (deliveryRefusals[how] ?? 0) + 1;
    };
    const killEvery = Math.floor(options.events / (options.kills + 1));
    const milestones = new Map<number, () => Promise<void>>([
      [Math.floor(options.events * 0.2), async () => {
        await emulatorCall(emulator as Emulator, 'POST', '/faults', { kind: 'server_error', body: 'json', status: 503, times: 40 });
        faults.push('40 × 503');
      }],
      [Math.floor(options.events * 0.35), async () => {
        await emulatorCall(emulator as Emulator, 'POST', '/faults', { kind: 'rate_limit', policy: 'TEN_SECONDLY_ROLLING', retryAfterSeconds: 1, times: 30 });
        faults.push('30 × 429 (Retry-After 1 s)');
      }],
      [Math.floor(options.events * 0.6), async () => {
        await emulatorCall(emulator as Emulator, 'PUT', '/settings', { latencyMs: 40 });
        faults.push('40 ms latency on every call (60–80 % of the run)');
      }],
      [Math.floor(options.events * 0.7), async () => {
        await emulatorCall(emulator as Emulator, 'POST', '/faults', { kind: 'reset', times: 20 });
        faults.push('20 × connection reset');
      }],
      [Math.floor(options.events * 0.8), async () => {
        await emulatorCall(emulator as Emulator, 'PUT', '/settings', { latencyMs: 0 });
      }],
    ]);

    // One kill at a time: two senders must not pick the same victim (the second would wait for an exit already seen).
    let killing: Promise<void> = Promise.resolve();
    const killOne = (): Promise<void> => {
      const turn = killing.then(killNow, killNow);
      killing = turn.catch(() => undefined);
      return turn;
    };
    const killNow = async (): Promise<void> => {
      const index = Math.floor(Math.random() * workers.length);
      const victim = workers[index];
      if (victim?.process.pid === undefined) return;
      const pid = victim.process.pid;
      let held: string[] = [];
      try {
        held = await withTimeout(jobsHeldBy(schema, pid), 5_000, 'listing the jobs a worker holds');
      } catch {
        // PostgreSQL restarting: no list; the kill still counts.
      }
      const exited = victim.process.exitCode !== null || victim.process.signalCode !== null ? Promise.resolve() : new Promise((resolve) => victim.process.once('exit', resolve));
      stopping.add(victim.process);
      victim.process.kill('SIGKILL');
      const killedAt = Date.now();
      await exited;
      kills += 1;
      const number = kills;
      reclaims.push(reclaimTime(schema, pid, held, killedAt));
      // As a process manager would (systemd Restart=always): a worker started while PostgreSQL
      // restarts exits at once (it cannot migrate/connect), so start it again until it runs.
      let replacement: WorkerProcess | undefined;
      for (let attempt = 1; replacement === undefined; attempt += 1) {
        try {
          replacement = await startWorker(configFile, env, outputDir);
        } catch (error) {
          if (attempt >= 30) throw error;
          const said = (error instanceof Error ? error.message : String(error)).split('\n').filter((line) => /leadsync:|STORAGE_|error/i.test(line)).slice(0, 2).join(' / ');
          log(`kill ${number}: a replacement worker stopped before running (attempt ${attempt}): ${said.slice(0, 400)}`);
          await sleep(2_000);
        }
      }
      workers[index] = replacement;
      children.push(replacement.process);
      const started = replacement;
      watchExit(started.process, 'worker', () => started.output.join(''));
      log(`kill ${number}: worker pid ${pid} (held ${held.length} jobs), replaced by pid ${replacement.process.pid ?? '?'}`);
    };

    const sendStarted = Date.now();
    const sender = async (): Promise<void> => {
      for (;;) {
        const index = next;
        next += 1;
        if (index >= options.events) return;
        const milestone = options.crmFaults === false ? undefined : milestones.get(index);
        if (milestone) await milestone();
        if (index > 0 && index % killEvery === 0 && killsPlanned < options.kills) {
          killsPlanned += 1;
          await killOne();
        }
        if (options.restartPostgres && index === Math.floor(options.events / 2)) {
          restarts += 1;
          restarting = restartPostgres(log, bouncer === undefined ? undefined : database.url);
        }
        // Deliver until the service answers 2xx; a delivery refused during the restart is sent again, as webhook senders do.
        const firstAttempt = Date.now();
        for (;;) {
          try {
            // A sender gives up on a delivery after 30 s and sends it again, as webhook senders do.
            const response = await fetch(`${api.url}/v1/events/webform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload(index), signal: AbortSignal.timeout(30_000) });
            const body = (await response.json()) as { eventId?: string; error?: { code?: string; message?: string }; code?: string; message?: string };
            if ((response.status === 202 || response.status === 200) && body.eventId !== undefined) {
              accepted.set(index, body.eventId);
              longestDeliveryMs = Math.max(longestDeliveryMs, Date.now() - firstAttempt);
              break;
            }
            if (response.status < 500 && response.status !== 429) throw new Error(`unexpected ${response.status}: ${JSON.stringify(body)}`);
            refused(`${response.status} ${body.error?.code ?? body.code ?? body.error?.message ?? body.message ?? ''}`.trim());
          } catch (error) {
            if (error instanceof Error && error.message.startsWith('unexpected')) throw error;
            refused(error instanceof Error ? `${error.name}${error.message.startsWith('fetch failed') ? ' (fetch failed)' : ''}` : String(error));
          }
          deliveryRetries += 1;
          await sleep(100);
        }
      }
    };
    await Promise.all(Array.from({ length: options.senders ?? 16 }, () => sender()));
    const recoveryMs = await restarting;
    const sendSeconds = (Date.now() - sendStarted) / 1000;
    log(`sent ${options.events} events in ${sendSeconds.toFixed(1)} s (${deliveryRetries} deliveries repeated${deliveryRetries === 0 ? '' : `: ${JSON.stringify(deliveryRefusals)}`})`);

    const drainStarted = Date.now();
    const deadline = drainStarted + (options.drainTimeoutMs ?? 180_000);
    for (;;) {
      try {
        const ready = (await (await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).json()) as { queueDepth?: { realtime: number; batch: number } };
        if (ready.queueDepth !== undefined && ready.queueDepth.realtime + ready.queueDepth.batch === 0) break;
        if (Date.now() > deadline) throw new Error(`queue did not drain: ${JSON.stringify(ready.queueDepth)}\nlast worker output:\n${workers.map((w) => w.output.slice(-5).join('')).join('\n---\n')}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('queue did not drain')) throw error;
      }
      await sleep(250);
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    const reclaimTimes = await Promise.all(reclaims);
    for (const child of [api.process, ...workers.map((w) => w.process)]) {
      stopping.add(child);
      child.kill('SIGTERM');
    }
    await Promise.all([api.process, ...workers.map((w) => w.process)].map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve())));

    // The outcome, from the database and the CRM.
    const { terminal, deadLettered } = await withTestConnection(async (client) => {
      const terminalRows = await client.query<{ event_id: string; n: number }>(
        `SELECT event_id, count(*)::int AS n FROM audit_log WHERE object = 'contacts' AND outcome IN ('written', 'no_change', 'stale', 'rejected') GROUP BY event_id`,
      );
      const dlq = await client.query<{ event_id: string }>('SELECT DISTINCT event_id::text AS event_id FROM dead_letters');
      return { terminal: new Map(terminalRows.rows.map((row) => [row.event_id, row.n])), deadLettered: new Set(dlq.rows.map((row) => row.event_id)) };
    }, schema);
    const contacts = ((await emulatorCall(emulator, 'GET', '/records/contacts')) as { results: { properties: Record<string, string> }[] }).results;
    const emails = new Set(contacts.map((record) => record.properties['email']));
    const companies = ((await emulatorCall(emulator, 'GET', '/records/companies')) as { results: { properties: Record<string, string> }[] }).results;
    const domains = new Set(companies.map((record) => record.properties['domain']));
    const storage = await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: 2 });
    let auditChainValid = false;
    let auditEntries = 0;
    try {
      const verification = await storage.audit.verify();
      auditChainValid = verification.ok;
      auditEntries = verification.rows;
    } finally {
      await storage.close();
    }
    const lost = [...accepted.values()].filter((eventId) => !terminal.has(eventId) && !deadLettered.has(eventId));
    return {
      schema,
      role: bouncer === undefined ? undefined : schema,
      connection: database.connection,
      events: options.events,
      accepted: accepted.size,
      kills,
      postgresRestarts: restarts,
      faultsInjected: faults,
      lost,
      appliedTwice: [...terminal.values()].filter((n) => n > 1).length,
      duplicateCreates: contacts.length - emails.size,
      crmContacts: contacts.length,
      duplicateCompanyCreates: companies.length - domains.size,
      crmCompanies: companies.length,
      deadLettered: deadLettered.size,
      auditChainValid,
      auditEntries,
      maxReclaimMs: Math.max(0, ...reclaimTimes),
      sendSeconds,
      drainSeconds,
      deliveryRetries,
      longestDeliveryMs,
      deliveryRefusals,
      recoveryMs,
      unexpectedExits,
    };
  } finally {
    for (const child of children) {
      stopping.add(child);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (bouncer !== undefined) {
      if (outputDir !== undefined) writeFileSync(join(outputDir, 'pgbouncer.log'), bouncer.output());
      await bouncer.stop();
    }
    removeTempDir(dir);
  }
}

/** The results table of issue 5. */
export function chaosTable(result: ChaosResult): string {
  return [
    '| events | accepted | worker kills | PostgreSQL restarts | CRM faults | lost | applied twice | duplicate CRM creates (contacts / companies) | DLQ | audit chain | max reclaim time |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${result.events} | ${result.accepted} | ${result.kills} | ${result.postgresRestarts} | ${result.faultsInjected.join('; ')} | ${result.lost.length} | ${result.appliedTwice} | ${result.duplicateCreates} / ${result.duplicateCompanyCreates} | ${result.deadLettered} | ${result.auditChainValid ? `verifies (${result.auditEntries} entries)` : 'BROKEN'} | ${(result.maxReclaimMs / 1000).toFixed(1)} s |`,
  ].join('\n');
}

/** Drops the run's schema, and its role for a run through PgBouncer (call when the run passed; a failed run keeps them for inspection). */
export async function dropChaosSchema(result: Pick<ChaosResult, 'schema' | 'role'>): Promise<void> {
  if (result.role !== undefined) {
    await dropPgBouncerRole(result.role);
    return;
  }
  await withTestConnection((client) => client.query(`DROP SCHEMA IF EXISTS ${result.schema} CASCADE`));
}
