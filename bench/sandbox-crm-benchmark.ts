import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { processBatch } from '../src/app/batch-processor.js';
import { loadConfig } from '../src/config/config-loader.js';
import type { CrmSchema } from '../src/core/crm-schema/crm-schema-types.js';
import type { CrmDestination, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../src/ports/crm-destination.js';
import { openRuntime } from '../src/server/runtime.js';
import { SandboxCrmDestination } from '../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { decodeSandboxRecord } from '../src/adapters/sandbox-crm/sandbox-crm-sqlite-record-codec.js';
import { openSqliteStorage, SYNCHRONOUS_MODES, type SynchronousMode } from '../src/adapters/sqlite/sqlite-storage.js';
import { writeBenchmarkSection } from './benchmark-report.js';
import { benchPayload, ingestBenchEvents } from './pipeline-benchmark.js';

// The SQLite sandbox CRM on its own (docs/decisions/0031-sqlite-compact-sandbox-records.md): the `read` and `upsert`
// calls the batch lane makes during one pipeline run of the webform benchmark events are recorded, then replayed
// against a sandbox on a fresh file of its own (opened as the storage opens it: WAL, the storage's pragmas and
// tables), timing the process CPU of each call. The pipeline around the sandbox (ingest, queue, planning, audit) is
// not in these figures; `npm run bench -- pipeline` measures it all.

/** One recorded call of the batch lane's CRM. */
type SandboxCall = { readonly kind: 'read'; readonly object: string; readonly keys: readonly RecordKey[] } | { readonly kind: 'upsert'; readonly object: string; readonly inputs: readonly UpsertInput[] };

/** The calls of one pipeline run, and the schema the sandbox declared in it. */
export interface SandboxCallTrace {
  readonly events: number;
  readonly schema: CrmSchema;
  readonly calls: readonly SandboxCall[];
}

/** One replay of a trace on a fresh file. */
export interface SandboxReplayResult {
  readonly synchronous: SynchronousMode;
  /** Process CPU per event (user + system) spent inside the sandbox's `read` calls, µs. */
  readonly readCpuUsPerEvent: number;
  /** The same inside `upsert` calls (their transactions and commits included), µs. */
  readonly upsertCpuUsPerEvent: number;
  readonly cpuUsPerEvent: number;
  readonly wallMs: number;
  /** Average stored length of `crm_records.fields_json`, bytes. */
  readonly contactRowBytes: number;
  readonly companyRowBytes: number;
  /** Pages of the `crm_records` b-tree (`dbstat`; overflow pages included). */
  readonly crmRecordsPages: number;
  readonly fileBytes: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
}

/** Opening a file whose records are in the first JSON layout: the conversion to the compact rows, once. */
export interface SandboxConversionResult {
  readonly records: number;
  /** Average length of a contact row in the first layout, bytes. */
  readonly firstLayoutContactRowBytes: number;
  readonly convertMs: number;
  readonly convertCpuMs: number;
  /** Opening the converted file again (nothing left to convert). */
  readonly reopenMs: number;
}

/** A CRM destination that passes every call through and keeps a copy of the batch lane's reads and upserts. */
class RecordingCrmDestination implements CrmDestination {
  readonly calls: SandboxCall[] = [];

  constructor(private readonly inner: CrmDestination) {}

  get name(): string {
    return this.inner.name;
  }

  describe(): ReturnType<CrmDestination['describe']> {
    return this.inner.describe();
  }

  read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]> {
    this.calls.push({ kind: 'read', object, keys: structuredClone(keys) });
    return this.inner.read(object, keys);
  }

  upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    this.calls.push({ kind: 'upsert', object, inputs: structuredClone(inputs) });
    return this.inner.upsert(object, inputs);
  }
}

/** Runs the pipeline benchmark's sequential measurement (NORMAL, batches of 100) once, recording the batch lane's CRM calls. */
export async function recordSandboxCalls(events: number): Promise<SandboxCallTrace> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-sandbox-record-'));
  try {
    const config = await loadConfig('examples/leadsync.yaml', { env: {} });
    const runtime = await openRuntime({ ...config, document: { ...config.document, storage: { ...config.document.storage, file: join(dir, 'leadsync.db'), synchronous: 'normal' } } });
    try {
      await ingestBenchEvents(runtime, Array.from({ length: events }, (_, i) => benchPayload(i)));
      const recorder = new RecordingCrmDestination(runtime.processorDeps.batchCrm ?? runtime.processorDeps.crm);
      const deps = { ...runtime.processorDeps, batchCrm: recorder };
      for (;;) {
        const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, consecutivePerLead: 100, workerId: 'bench', now: new Date(), visibilityMs: 60_000 });
        if (jobs.length === 0) break;
        const outcomes = await processBatch(jobs, 'bench', deps);
        const unsettled = outcomes.filter((outcome) => outcome.kind !== 'settled');
        if (unsettled.length > 0) throw new Error(`unexpected outcomes: ${JSON.stringify(unsettled[0])}`);
      }
      return { events, schema: runtime.config.schema, calls: recorder.calls };
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function count(database: ReturnType<typeof openSqliteStorage>['database'], sql: string): number {
  return database.prepare<[], { n: number | null }>(sql).get()?.n ?? 0;
}

/**
 * Replays a trace on a fresh file with `synchronous` and measures it; with `convert`, then rewrites the records in
 * the first JSON layout and times the conversion a sandbox makes when it opens such a file.
 */
export async function replaySandboxCalls(trace: SandboxCallTrace, synchronous: SynchronousMode, convert = false): Promise<{ replay: SandboxReplayResult; conversion?: SandboxConversionResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-sandbox-replay-'));
  try {
    const file = join(dir, 'leadsync.db');
    const storage = openSqliteStorage({ file, synchronous });
    const db = storage.database;
    try {
      const crm = new SandboxCrmDestination(db, { schema: trace.schema });
      const loadBefore = loadavg()[0] ?? 0;
      let readCpu = 0;
      let upsertCpu = 0;
      const started = process.hrtime.bigint();
      for (const call of trace.calls) {
        const cpu = process.cpuUsage();
        const results = call.kind === 'read' ? await crm.read(call.object, call.keys) : await crm.upsert(call.object, call.inputs);
        const spent = process.cpuUsage(cpu);
        if (call.kind === 'read') readCpu += spent.user + spent.system;
        else upsertCpu += spent.user + spent.system;
        const failed = results.find((result) => !result.ok);
        if (failed) throw new Error(`replayed ${call.kind} of ${call.object} failed: ${JSON.stringify(failed)}`);
      }
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const loadAfter = loadavg()[0] ?? 0;
      const contacts = count(db, "SELECT count(*) AS n FROM crm_records WHERE object = 'contacts'");
      if (contacts !== trace.events) throw new Error(`expected ${trace.events} contacts after the replay, found ${contacts}`);
      db.pragma('wal_checkpoint(TRUNCATE)');
      const replay: SandboxReplayResult = {
        synchronous,
        readCpuUsPerEvent: readCpu / trace.events,
        upsertCpuUsPerEvent: upsertCpu / trace.events,
        cpuUsPerEvent: (readCpu + upsertCpu) / trace.events,
        wallMs,
        contactRowBytes: count(db, "SELECT avg(length(CAST(fields_json AS BLOB))) AS n FROM crm_records WHERE object = 'contacts'"),
        companyRowBytes: count(db, "SELECT avg(length(CAST(fields_json AS BLOB))) AS n FROM crm_records WHERE object = 'companies'"),
        crmRecordsPages: count(db, "SELECT count(*) AS n FROM dbstat WHERE name = 'crm_records'"),
        fileBytes: statSync(file).size,
        loadBefore,
        loadAfter,
      };
      return convert ? { replay, conversion: convertFromFirstLayout(db, trace.schema) } : { replay };
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Puts every record of the file in the first JSON layout (`{"<field>": {"v", "at", "by"}}`: the codec's decoded
 * fields as JSON) and drops the view, as a file of that layout whose view was dropped by hand; times opening a
 * sandbox on it (the conversion), checks each converted row is byte-equal to the row before, and times a second open.
 */
function convertFromFirstLayout(db: ReturnType<typeof openSqliteStorage>['database'], schema: CrmSchema): SandboxConversionResult {
  const compact = db.prepare<[], { record_id: number; fields_json: string }>('SELECT record_id, fields_json FROM crm_records ORDER BY record_id').all();
  const rewrite = db.prepare<[string, number]>('UPDATE crm_records SET fields_json = ? WHERE record_id = ?');
  db.transaction(() => {
    for (const row of compact) rewrite.run(JSON.stringify(decodeSandboxRecord(row.fields_json)), row.record_id);
    db.exec('DROP VIEW crm_field_values');
  })();
  const firstLayoutContactRowBytes = count(db, "SELECT avg(length(CAST(fields_json AS BLOB))) AS n FROM crm_records WHERE object = 'contacts'");
  db.pragma('wal_checkpoint(TRUNCATE)');

  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  new SandboxCrmDestination(db, { schema });
  const convertMs = Number(process.hrtime.bigint() - started) / 1e6;
  const spent = process.cpuUsage(cpu);

  const converted = db.prepare<[], { record_id: number; fields_json: string }>('SELECT record_id, fields_json FROM crm_records ORDER BY record_id').all();
  if (converted.length !== compact.length || converted.some((row, index) => row.fields_json !== compact[index]?.fields_json)) {
    throw new Error('a converted row differs from the row the sandbox wrote');
  }
  const reopened = process.hrtime.bigint();
  new SandboxCrmDestination(db, { schema });
  const reopenMs = Number(process.hrtime.bigint() - reopened) / 1e6;
  return { records: compact.length, firstLayoutContactRowBytes, convertMs, convertCpuMs: (spent.user + spent.system) / 1000, reopenMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const us = (value: number): string => value.toFixed(1);
const bytes = (value: number): string => Math.round(value).toLocaleString('en-US');

/** `npm run bench -- sandbox`: records one run's calls, replays them `repeats` times per durability setting (alternating), writes the section. */
export async function reportSandboxCrmBenchmark(events: number, repeats: number): Promise<void> {
  if (repeats < 1) throw new Error('BENCH_SANDBOX_REPEATS must be at least 1');
  const loadStart = loadavg()[0] ?? 0;
  const trace = await recordSandboxCalls(events);
  const reads = trace.calls.filter((call) => call.kind === 'read').length;
  console.log(`sandbox: recorded ${trace.calls.length} calls (${reads} reads, ${trace.calls.length - reads} upserts) of a ${events}-event run`);
  // One replay first, not counted: the process's first pass over the code and the file system is slower.
  await replaySandboxCalls(trace, 'normal');
  const runs = new Map<SynchronousMode, SandboxReplayResult[]>(SYNCHRONOUS_MODES.map((mode) => [mode, []]));
  let conversion: SandboxConversionResult | undefined;
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    for (const mode of SYNCHRONOUS_MODES) {
      const last = repeat === repeats - 1 && mode === 'normal';
      const result = await replaySandboxCalls(trace, mode, last);
      runs.get(mode)?.push(result.replay);
      conversion ??= result.conversion;
      const { replay } = result;
      console.log(`sandbox ${mode} #${repeat + 1}: ${us(replay.cpuUsPerEvent)} µs CPU per event (read ${us(replay.readCpuUsPerEvent)}, upsert ${us(replay.upsertCpuUsPerEvent)}), ${Math.round(replay.wallMs)} ms, load ${replay.loadBefore.toFixed(1)} → ${replay.loadAfter.toFixed(1)}`);
    }
  }
  const loadEnd = loadavg()[0] ?? 0;
  const first = runs.get('normal')?.[0];
  if (!first) throw new Error('no replay of the normal setting');

  const lines = [
    `Command: \`npm run bench -- sandbox\` (\`BENCH_SANDBOX_EVENTS\` (default 20,000), \`BENCH_SANDBOX_REPEATS\` (default 3); Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, one thread).`,
    '',
    `The SQLite sandbox CRM on its own: the batch lane's ${trace.calls.length} calls (${reads} \`read\`, ${trace.calls.length - reads} \`upsert\`) during one ${events.toLocaleString('en-US')}-event run of the pipeline benchmark's webform events (batches of 100; a new contact each, at one of 500 companies) are recorded, then replayed against \`SandboxCrmDestination\` on a fresh file of its own, opened as the storage opens it (WAL, foreign keys on, 64 MiB page cache, the storage's tables beside the sandbox's). Process CPU (user + system) inside the sandbox's calls, per event; one replay first, not counted, then ${repeats} per setting, alternating. Median of the runs, each run in brackets.`,
    '',
    '| synchronous | CPU µs per event (runs) | of which read | of which upsert | wall ms per replay (median) | 1-min load average during the runs |',
    '|---|---|---|---|---|---|',
    ...SYNCHRONOUS_MODES.map((mode) => {
      const results = runs.get(mode) ?? [];
      const loads = results.flatMap((result) => [result.loadBefore, result.loadAfter]);
      return `| ${mode.toUpperCase()} | ${us(median(results.map((result) => result.cpuUsPerEvent)))} (${results.map((result) => us(result.cpuUsPerEvent)).join(', ')}) | ${us(median(results.map((result) => result.readCpuUsPerEvent)))} | ${us(median(results.map((result) => result.upsertCpuUsPerEvent)))} | ${Math.round(median(results.map((result) => result.wallMs))).toLocaleString('en-US')} | ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} |`;
    }),
    '',
    'What the replay leaves on disk (the same every run: the same calls, times of one length):',
    '',
    '| contact row (`fields_json`, average) | company row | `crm_records` pages (`dbstat`) | database file after a checkpoint (the storage\'s empty tables included) |',
    '|---|---|---|---|',
    `| ${bytes(first.contactRowBytes)} bytes | ${bytes(first.companyRowBytes)} bytes | ${first.crmRecordsPages.toLocaleString('en-US')} | ${(first.fileBytes / 1e6).toFixed(1)} MB |`,
    ...(conversion
      ? [
          '',
          `Opening a file of the first JSON layout (docs/decisions/0031-sqlite-compact-sandbox-records.md): the last NORMAL replay's ${conversion.records.toLocaleString('en-US')} records rewritten as \`{"<field>": {"v", "at", "by"}}\` (the codec's decoded fields as JSON; ${bytes(conversion.firstLayoutContactRowBytes)} bytes a contact) and the view dropped, then a sandbox opened on it: the conversion took ${Math.round(conversion.convertMs).toLocaleString('en-US')} ms (${Math.round(conversion.convertCpuMs).toLocaleString('en-US')} ms CPU), once, and gave back every row byte for byte; opening the converted file again ${conversion.reopenMs.toFixed(1)} ms.`,
        ]
      : []),
    '',
    `1-minute load average on the machine (2 cores, shared with other work): ${loadStart.toFixed(1)} at the start, ${loadEnd.toFixed(1)} at the end. CPU per event moves less with other load than wall-clock, but still moves (caches, frequency): compare code against code in alternating runs, not against an older table.`,
  ];
  writeBenchmarkSection('sandbox', 'SQLite sandbox CRM alone (recorded pipeline calls, replayed)', lines.join('\n'));
  console.log(lines.join('\n'));
}
