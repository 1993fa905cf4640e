import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { dryRunIngestStore } from '../../app/dry-run-ingest-store.js';
import type { IngestSource } from '../../app/event-ingestion.js';
import { backfillEvents, type BackfillSummary } from '../../app/file-backfill.js';
import { LANES } from '../../ports/job-queue.js';
import type { LoadedConfig } from '../../config/config-loader.js';
import { createLogger } from '../../server/logger.js';
import { ingestSourceFor, openRuntime } from '../../server/runtime.js';
import { checkpointInThread } from '../../server/wal-checkpointer.js';
import { readBackfillFile, backfillFormatOf } from '../backfill-file-reader.js';
import { startBackfillProgress } from '../backfill-progress.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { UsageError } from '../usage-error.js';

export interface IngestOptions {
  readonly source: string;
  readonly format?: string;
  readonly json?: boolean;
  /** Read and check every line, queue nothing, open no database. (Default: false) */
  readonly dryRun?: boolean;
  /** `batch`, `realtime`, or `source` for the source's own lane routing. (Default: batch) */
  readonly lane?: string;
}

const LANE_CHOICES = [...LANES, 'source'] as const;
type LaneChoice = (typeof LANE_CHOICES)[number];

/** Registers `leadsync ingest`. */
export function registerIngestCommand(program: Command, context: CommandContext): void {
  program
    .command('ingest')
    .description('Backfill a trusted local NDJSON or CSV file into the queue (no signatures); a running worker processes it.')
    .argument('<file>', 'file.ndjson / file.jsonl (one JSON object per line) or file.csv (header row of payload paths, e.g. traits.email)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .requiredOption('--source <name>', 'source the records come from (its mapping reads them)')
    .option('--format <format>', 'ndjson or csv (default: from the file extension)')
    .option('--lane <lane>', 'queue lane for the file\'s events: batch, realtime, or source (the source\'s own lane routing) (default: batch)')
    .option('--dry-run', 'read and check every line (JSON, lead identity, repeats within the file); queue nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, options: IngestOptions & { config: string }) => {
      context.setExitCode(await ingestCommand(await context.load(options.config), file, options, context.io));
    });
}

/**
 * `leadsync ingest --config F --source S [--format ndjson|csv] [--json] <file>`:
 * streams a trusted local file into the queue (no signatures), in chunks of
 * one transaction each. Bad lines are reported on stderr with their line
 * number and never stop the file. Exit 0 when every line was queued or a
 * duplicate, 1 when any line was rejected or conflicted.
 */
export async function ingestCommand(config: LoadedConfig, file: string, options: IngestOptions, io: CliIo): Promise<ExitCode> {
  if (!config.sources.has(options.source)) throw new UsageError(`no source "${options.source}" in ${config.file} (sources: ${[...config.sources.keys()].join(', ')})`);
  const format = backfillFormatOf(file, options.format);
  const lane = laneChoiceOf(options.lane);
  const size = await fileSize(file);

  // Appending events needs little page cache; 8 MiB instead of 64 keeps the
  // process well under 200 MB RSS on a million-line file (docs/BENCHMARKS.md).
  // A dry run opens no database at all.
  const runtime = options.dryRun === true ? undefined : await openRuntime(config, { sqliteCacheKiB: 8192 });
  // WAL checkpoints in a thread of their own, not inside the backfill's commits (docs/decisions/0027).
  const checkpoints = runtime && (await checkpointInThread(runtime, createLogger()));
  const reading = readBackfillFile(file, format);
  let latest: BackfillSummary = { lines: 0, queued: 0, duplicates: 0, conflicts: 0, rejected: 0, rejectedByCode: {} };
  let linesRead = 0;
  const progress = startBackfillProgress({
    stream: io.stderr,
    tty: (io.stderr as { isTTY?: boolean }).isTTY === true,
    totalBytes: size,
    sample: () => ({ bytesRead: reading.bytesRead(), lines: Math.max(linesRead, latest.lines), queued: latest.queued, problems: latest.rejected + latest.conflicts }),
  });
  const started = performance.now();
  let summary: BackfillSummary;
  try {
    const configured = config.sources.get(options.source);
    const source = runtime ? runtime.sources.get(options.source) : configured && ingestSourceFor(config, configured);
    if (!source) throw new UsageError(`no source "${options.source}" in ${config.file}`);
    summary = await backfillEvents(routedTo(source, lane), countLines(reading.records, (line) => (linesRead = line)), runtime ? runtime.storage.ingest : dryRunIngestStore(), {
      now: () => new Date(),
      dryRun: runtime === undefined,
      onProblem: (problem) => progress.log(`${file}:${problem.line}: ${problem.code}: ${problem.message}`),
      onProgress: (totals) => (latest = totals),
    });
  } finally {
    progress.stop();
    await checkpoints?.stop();
    await runtime?.close();
  }
  const seconds = (performance.now() - started) / 1000;

  const ok = summary.rejected === 0 && summary.conflicts === 0;
  if (options.json) {
    writeJson(io.stdout, { ok, dryRun: options.dryRun === true, file, source: options.source, lane, format, seconds: Number(seconds.toFixed(3)), ...summary }, true);
  } else {
    if (options.dryRun === true) writeLine(io.stdout, 'Dry run — nothing was queued. Repeats are checked within the file only, not against events already stored.');
    writeLine(io.stdout, renderSummary(file, options.source, lane, summary, seconds, options.dryRun === true));
  }
  return ok ? EXIT.ok : EXIT.failed;
}

function laneChoiceOf(value: string | undefined): LaneChoice {
  if (value === undefined) return 'batch';
  const choice = LANE_CHOICES.find((candidate) => candidate === value);
  if (!choice) throw new UsageError(`--lane must be one of ${LANE_CHOICES.join(', ')}, not "${value}"`);
  return choice;
}

/**
 * A file is a backfill: by default its events go to the batch lane (coalesced, written with
 * the CRM's batch calls, behind live traffic), whatever lane the source's live events take,
 * so a large file never queues ahead of demo requests (docs/decisions/0029).
 */
function routedTo(source: IngestSource, lane: LaneChoice): IngestSource {
  if (lane === 'source') return source;
  const { lanesByEventType: _perType, ...rest } = source;
  return { ...rest, lane };
}

async function* countLines<T extends { readonly line: number }>(records: AsyncIterable<T>, onLine: (line: number) => void): AsyncGenerator<T> {
  let count = 0;
  for await (const record of records) {
    count += 1;
    onLine(count);
    yield record;
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${file} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

function renderSummary(file: string, source: string, lane: LaneChoice, summary: BackfillSummary, seconds: number, dryRun: boolean): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  const rate = seconds > 0 ? Math.round(summary.lines / seconds) : summary.lines;
  const byCode = Object.entries(summary.rejectedByCode)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([code, n]) => `\n    ${code.padEnd(34)} ${count(n ?? 0)}`)
    .join('');
  return [
    `ingest ${file} → source ${source}, ${lane === 'source' ? "the source's lanes" : `${lane} lane`}: ${count(summary.lines)} lines in ${seconds.toFixed(1)} s (${count(rate)} lines/s)`,
    `  ${dryRun ? 'would queue' : 'queued     '} ${count(summary.queued)}`,
    `  duplicates  ${count(summary.duplicates)}`,
    `  conflicts   ${count(summary.conflicts)}`,
    `  rejected    ${count(summary.rejected)}${byCode}`,
    dryRun
      ? `Run it again without --dry-run to queue ${summary.queued === 1 ? 'it' : 'them'}.`
      : summary.queued > 0
      ? `${count(summary.queued)} event${summary.queued === 1 ? ' is' : 's are'} queued, not yet written: a running worker (\`leadsync serve\`, i.e. \`npm start\`, or \`leadsync worker\`) processes ${summary.queued === 1 ? 'it' : 'them'}.`
      : 'Nothing new was queued.',
  ].join('\n');
}
