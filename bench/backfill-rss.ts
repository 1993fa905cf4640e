// Memory of `leadsync ingest` on a large NDJSON file: the built CLI runs as a child
// process while its resident set size is sampled from /proc every 100 ms.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { writeBenchmarkSection } from './benchmark-report.js';

const FIRST_NAMES = ['Ada', 'Grace', 'Jürgen', 'Priya', 'Marcus', 'Sofia', 'Liam', 'Ana', 'Hannah', 'Tom', 'Olivia', 'Kenji', 'Amara', 'Mateo', 'Zoë'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Müller', 'Raman', 'Chen', 'Rossi', "O'Connor", 'Souza', 'Schmidt', 'Baker', 'Bennett', 'Tanaka', 'Okafor', 'García'];
const TITLES = ['VP, Data & Analytics', 'Head of Procurement', 'Sr. Dir, Sales Ops', 'Founder & CTO', 'Marketing Manager', 'Senior Software Engineer', 'Chief Information Security Officer', 'Logistics Coordinator', 'Account Executive', 'Director of RevOps'];
const COUNTRIES = ['United Kingdom', 'Deutschland', 'USA', 'FR', 'Japan', 'Brazil', 'Canada', 'Ireland', 'Austria', 'India', 'Nigeria', 'Spain'];
const FORMS = ['Demo Request', 'contact-us', 'newsletter', 'webinar'];
const EMPLOYEES = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1000+'];

/** One varied web-form payload; every line has its own lead, so nothing is a duplicate. */
function webformLine(index: number): string {
  const pick = <T>(list: readonly T[], salt: number): T => list[(index * salt + salt) % list.length] as T;
  const company = `Company ${index % 20_000}`;
  const payload: Record<string, unknown> = {
    submission_id: `sub_${index.toString(36)}`,
    form: pick(FORMS, 7),
    submitted_at: new Date(Date.UTC(2026, 10, 1) + index * 1000).toISOString(),
    email: `lead${index}@company${index % 20_000}.example.com`,
    first_name: pick(FIRST_NAMES, 3),
    last_name: pick(LAST_NAMES, 5),
    job_title: pick(TITLES, 11),
    company,
    website: `https://company${index % 20_000}.example.com`,
    country: pick(COUNTRIES, 13),
    employees: pick(EMPLOYEES, 17),
  };
  if (index % 3 === 0) payload['phone'] = `+44 20 7946 ${String(index % 10_000).padStart(4, '0')}`;
  if (index % 5 === 0) payload['demo_requested'] = true;
  return JSON.stringify(payload);
}

async function writeNdjson(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  const batch: string[] = [];
  for (let index = 0; index < lines; index += 1) {
    batch.push(webformLine(index));
    if (batch.length === 10_000 || index === lines - 1) {
      if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}

function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch (error) {
    // The child has exited between two samples; the last sample stands.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw error;
  }
}

export interface BackfillBenchResult {
  readonly lines: number;
  readonly fileMb: number;
  readonly seconds: number;
  readonly linesPerSecond: number;
  readonly peakRssMb: number;
  /** 1-minute load average at the start and the end: the rate depends on what else runs. */
  readonly load: readonly [number, number];
  readonly summary: Record<string, unknown>;
}

/** Generates the file, runs the built `leadsync ingest` on it, samples RSS, and deletes its temp files. */
export async function runBackfillBenchmark(lines: number): Promise<BackfillBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-backfill-bench-'));
  try {
    const file = join(dir, 'leads.ndjson');
    await writeNdjson(file, lines);
    const fileMb = statSync(file).size / 1_048_576;
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
    const config = join(dir, 'leadsync.yaml');
    writeFileSync(
      config,
      readFileSync('examples/leadsync.yaml', 'utf8')
        .replace('file: ./data/leadsync.db', `file: ${join(dir, 'leadsync.db')}`)
        .replace('synchronous: full', 'synchronous: normal'),
    );

    const loadAtStart = loadavg()[0] ?? 0;
    const started = performance.now();
    const child = spawn(process.execPath, ['bin/leadsync.js', 'ingest', '--json', '--config', config, '--source', 'webform', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.pipe(process.stderr);
    let peakKiB = 0;
    const sampler = setInterval(() => {
      const kib = child.pid === undefined ? undefined : rssKiB(child.pid);
      if (kib !== undefined && kib > peakKiB) peakKiB = kib;
    }, 100);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`leadsync ingest exited ${code}: ${stdout}`);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    return { lines, fileMb, seconds, linesPerSecond: lines / seconds, peakRssMb: peakKiB / 1024, load: [loadAtStart, loadavg()[0] ?? 0], summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark and writes its section of docs/BENCHMARKS.md. */
export async function reportBackfillBenchmark(lines: number): Promise<void> {
  const result = await runBackfillBenchmark(lines);
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const body = [
    `Command: \`npm run bench -- backfill\` (\`BENCH_BACKFILL_LINES\` to change the size; Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}).`,
    '',
    `The built \`leadsync ingest --json --source webform\` runs as a child process on a generated NDJSON file of varied web-form payloads (every line a new lead), against a copy of examples/leadsync.yaml whose SQLite file is in the temp directory with \`synchronous: normal\` (one transaction per 250-event chunk; the command opens SQLite with an 8 MiB page cache). Its VmRSS is read from /proc every 100 ms. Temp files are deleted afterwards.`,
    '',
    '| lines | file | total time | lines/s | peak RSS | queued | rejected |',
    '|---|---|---|---|---|---|---|',
    `| ${count(result.lines)} | ${result.fileMb.toFixed(0)} MB | ${result.seconds.toFixed(1)} s | ${count(result.linesPerSecond)} | ${result.peakRssMb.toFixed(0)} MB | ${count(Number(result.summary['queued']))} | ${count(Number(result.summary['rejected']))} |`,
    '',
    `1-minute load average ${result.load[0].toFixed(1)} at the start, ${result.load[1].toFixed(1)} at the end, on ${cpus().length} cores: lines/s falls with other work on the machine; peak RSS hardly does.`,
    '',
    'Target: peak RSS < 200 MB at any file size (the file is streamed; one chunk of events is held at a time).',
  ].join('\n');
  writeBenchmarkSection('backfill', 'Backfill memory (`leadsync ingest` of a large NDJSON file)', body);
  console.log(body);
}
