import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { signStandardWebhooks } from '../src/core/signatures/webhook-signature.js';
import { startServeProcess } from '../test/support/serve-process.js';

// HTTP ingest latency under a steady open-loop load: the built service runs as its own
// process (worker on, SQLite file, sandbox CRM); this process sends signed webform events
// at a fixed rate and records each response time. Open loop: a slow response does not
// slow the sender down, so queueing shows up in the percentiles.

const SECRET = 'whsec_bGVhZHN5bmMtbG9jYWwtd2ViZm9ybS1zZWNyZXQ=';

export interface HttpBenchResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Failed requests by HTTP status or network error code. */
  readonly failures: Readonly<Record<string, number>>;
  /**
   * CPU time of the service process per request sent, in ms, on its main (HTTP) thread and
   * on its other threads (the worker thread, libuv, GC), from /proc; null where /proc is missing.
   * Unlike latency, it does not depend on other load on the machine.
   */
  readonly cpuMsPerRequest: { readonly mainThread: number; readonly otherThreads: number } | null;
  /**
   * How late the service's HTTP event loop ran while sending (prom-client's event-loop lag from `/metrics`, reset by a
   * scrape just before the load): p99 and max, in ms. A synchronous wait on the HTTP thread (a busy SQLite lock, a
   * checkpoint inside a commit) shows here; null if /metrics did not answer.
   */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number } | null;
  /**
   * Contacts the worker had written (audit rows with outcome `written`) when the last response
   * came back: shows whether the worker kept up with ingest, or was held back by it.
   * null with `--no-worker`.
   */
  readonly writtenWhenSendingEnded: number | null;
}

/** The HTTP thread's event-loop lag since the previous scrape (prom-client resets its histogram on each collect). */
async function eventLoopDelay(url: string): Promise<{ p99: number; max: number } | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const read = (name: string): number | undefined => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
    };
    const p99 = read('nodejs_eventloop_lag_p99_seconds');
    const max = read('nodejs_eventloop_lag_max_seconds');
    return p99 === undefined || max === undefined ? null : { p99, max };
  } catch (error) {
    console.warn(`could not read the service's /metrics: ${String(error)}`);
    return null;
  }
}

/** CPU ticks (user + system) of a process's main thread and of its other threads, from /proc (Linux). */
function threadTicks(pid: number): { main: number; others: number } | null {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return null;
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(tasks)) {
    try {
      const stat = readFileSync(`${tasks}/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (tid === String(pid)) main += ticks;
      else others += ticks;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { main, others };
}

/** Contacts written so far, read from the service's SQLite file on a read-only connection of this process. */
function writtenContacts(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit_log WHERE outcome = 'written' AND object = 'contacts'").get()?.n ?? 0;
  } finally {
    db.close();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runHttpIngestBenchmark(rate = 500, seconds = 10): Promise<HttpBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-http-bench-'));
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  writeFileSync(join(dir, 'leadsync.yaml'), readFileSync('examples/leadsync.yaml', 'utf8').replace('  file: ./data/leadsync.db', `  file: ${join(dir, 'leadsync.db')}`));
  const server = await startServeProcess(join(dir, 'leadsync.yaml'), process.env['BENCH_NO_WORKER'] ? ['--no-worker'] : []);
  const latencies: number[] = [];
  let accepted = 0;
  let failed = 0;
  const failures = new Map<string, number>();
  let cpuMsPerRequest: HttpBenchResult['cpuMsPerRequest'] = null;
  let eventLoopDelayMs: HttpBenchResult['eventLoopDelayMs'] = null;
  let writtenWhenSendingEnded: number | null = null;
  try {
    await eventLoopDelay(server.url);
    const total = rate * seconds;
    // Bodies and signatures are made before the clock starts: the sender's own CPU per request (JSON, HMAC) would
    // otherwise delay its sends and its reading of responses on a busy machine, and count as the service's latency.
    const timestamp = Math.floor(Date.now() / 1000);
    const requests = Array.from({ length: total }, (_, i) => {
      const body = Buffer.from(JSON.stringify({ submission_id: `http-${i}`, submitted_at: new Date().toISOString(), email: `http${i}@bench.example.com`, first_name: 'Http', job_title: 'Head of Growth', company: 'Bench Ltd', country: 'UK', form: 'Demo Request' }));
      const id = `msg_${i}`;
      return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(SECRET, id, timestamp, body) } };
    });
    const pid = server.process.pid;
    const ticksBefore = pid === undefined ? null : threadTicks(pid);
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const request = requests[i];
      if (!request) break;
      const sentAt = performance.now();
      inFlight.push(
        fetch(`${server.url}/v1/events/webform`, { method: 'POST', headers: request.headers, body: request.body }).then(
          async (response) => {
            await response.arrayBuffer();
            latencies.push(performance.now() - sentAt);
            if (response.status === 202) accepted += 1;
            else {
              failed += 1;
              failures.set(String(response.status), (failures.get(String(response.status)) ?? 0) + 1);
            }
          },
          (error: unknown) => {
            failed += 1;
            const key = error instanceof Error ? ((error.cause as { code?: string } | undefined)?.code ?? error.message) : 'error';
            failures.set(key, (failures.get(key) ?? 0) + 1);
          },
        ),
      );
    }
    await Promise.all(inFlight);
    if (!process.env['BENCH_NO_WORKER']) writtenWhenSendingEnded = writtenContacts(join(dir, 'leadsync.db'));
    eventLoopDelayMs = await eventLoopDelay(server.url);
    const ticksAfter = pid === undefined ? null : threadTicks(pid);
    // Linux reports thread CPU in clock ticks of 10 ms (USER_HZ = 100).
    if (ticksBefore && ticksAfter) cpuMsPerRequest = { mainThread: ((ticksAfter.main - ticksBefore.main) * 10) / total, otherThreads: ((ticksAfter.others - ticksBefore.others) * 10) / total };
  } finally {
    server.process.removeAllListeners('exit');
    server.process.kill('SIGTERM');
    await new Promise((resolve) => server.process.once('exit', resolve));
    // For a look at what the service logged during the run (slow commits, worker errors).
    const serverLog = process.env['BENCH_HTTP_SERVER_LOG'];
    if (serverLog) writeFileSync(serverLog, server.output());
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { rate, seconds, sent: rate * seconds, accepted, failed, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] ?? 0, failures: Object.fromEntries(failures), cpuMsPerRequest, eventLoopDelayMs, writtenWhenSendingEnded };
}
