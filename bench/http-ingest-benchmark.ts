import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  try {
    const total = rate * seconds;
    const pid = server.process.pid;
    const ticksBefore = pid === undefined ? null : threadTicks(pid);
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const body = Buffer.from(JSON.stringify({ submission_id: `http-${i}`, submitted_at: new Date().toISOString(), email: `http${i}@bench.example.com`, first_name: 'Http', job_title: 'Head of Growth', company: 'Bench Ltd', country: 'UK', form: 'Demo Request' }));
      const id = `msg_${i}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const sentAt = performance.now();
      inFlight.push(
        fetch(`${server.url}/v1/events/webform`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(SECRET, id, timestamp, body) },
          body,
        }).then(
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
    const ticksAfter = pid === undefined ? null : threadTicks(pid);
    // Linux reports thread CPU in clock ticks of 10 ms (USER_HZ = 100).
    if (ticksBefore && ticksAfter) cpuMsPerRequest = { mainThread: ((ticksAfter.main - ticksBefore.main) * 10) / total, otherThreads: ((ticksAfter.others - ticksBefore.others) * 10) / total };
  } finally {
    server.process.removeAllListeners('exit');
    server.process.kill('SIGTERM');
    await new Promise((resolve) => server.process.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { rate, seconds, sent: rate * seconds, accepted, failed, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] ?? 0, failures: Object.fromEntries(failures), cpuMsPerRequest };
}
