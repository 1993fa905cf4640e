import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { BackfillRecord } from '../app/file-backfill.js';
import { compileRowShape, nestRow } from '../core/mapping/dotted-record.js';
import type { PathSegment } from '../core/mapping/payload-path.js';
import { UsageError } from './usage-error.js';

/** File formats `leadsync ingest` reads. */
export const BACKFILL_FORMATS = ['ndjson', 'csv'] as const;
export type BackfillFormat = (typeof BACKFILL_FORMATS)[number];

const FORMAT_BY_EXTENSION: Readonly<Record<string, BackfillFormat>> = { '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.csv': 'csv' };

/** The format named by `--format`, else by the file's extension. */
export function backfillFormatOf(file: string, format?: string): BackfillFormat {
  if (format !== undefined) {
    if ((BACKFILL_FORMATS as readonly string[]).includes(format)) return format as BackfillFormat;
    throw new UsageError(`--format must be one of ${BACKFILL_FORMATS.join(', ')}, not "${format}"`);
  }
  const byExtension = FORMAT_BY_EXTENSION[extname(file).toLowerCase()];
  if (!byExtension) throw new UsageError(`cannot tell the format of ${file} from its extension; name it .ndjson, .jsonl or .csv, or pass --format ndjson|csv`);
  return byExtension;
}

/** A backfill file being read: its records, streamed, and how far into the file reading has got. */
export interface BackfillFileReading {
  readonly records: AsyncIterable<BackfillRecord>;
  bytesRead(): number;
}

/**
 * Streams a backfill file record by record with backpressure, so memory stays
 * flat at any file size. NDJSON: one JSON value per line, blank lines skipped.
 * CSV: a header row of payload paths (`traits.email` nests), one payload per row,
 * values kept as strings; a row that cannot be read becomes an `unreadable` record.
 */
export function readBackfillFile(file: string, format: BackfillFormat): BackfillFileReading {
  // The default 64 KiB reads: a bigger buffer lives long enough to be promoted
  // to V8's old generation, and a million-line file then piles up until a full GC.
  const stream = createReadStream(file);
  return { records: format === 'csv' ? csvRecords(file, stream) : ndjsonRecords(stream), bytesRead: () => stream.bytesRead };
}

async function* ndjsonRecords(stream: NodeJS.ReadableStream): AsyncGenerator<BackfillRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    const content = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (content.trim() === '') continue;
    yield { kind: 'json', line, text: content };
  }
}

type CsvItem = { readonly record: string[]; readonly info: Info } | { readonly skipped: CsvError | undefined };

async function* csvRecords(file: string, stream: NodeJS.ReadableStream): AsyncGenerator<BackfillRecord> {
  // A bad row is pushed into the record stream where it occurs, so it is
  // reported in file order and under the same backpressure as good rows.
  const parser = parse({
    bom: true,
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      parser.push({ skipped: error } satisfies CsvItem);
      return undefined;
    },
  });
  stream.pipe(parser);
  stream.on('error', (error: Error) => parser.destroy(error));

  const rows = csvRowLines();
  let paths: readonly (readonly PathSegment[])[] | undefined;
  for await (const item of parser as AsyncIterable<CsvItem>) {
    if ('skipped' in item) {
      const error = item.skipped;
      if (paths === undefined) throw new UsageError(`${file}: the header row cannot be read: ${error?.message ?? 'unknown error'}`, { cause: error });
      const { first, last } = rows.next(numberOf(error?.['lines']), numberOf(error?.['empty_lines']));
      // A quote that never closes swallows every line after it: say which lines went into the rejected row.
      const spans = last > first ? ` (lines ${first}–${last} were read as this one row; none of them was queued)` : '';
      yield { kind: 'unreadable', line: first, code: 'INPUT_CSV_INVALID', message: `${error?.message ?? 'the row cannot be read'}${spans}` };
      continue;
    }
    const { first } = rows.next(item.info.lines, item.info.empty_lines);
    if (paths === undefined) {
      const shape = compileRowShape(item.record);
      if (!shape.ok) throw new UsageError(`${file}: the header row is not usable: ${shape.message}`);
      paths = shape.paths;
      continue;
    }
    yield { kind: 'payload', line: first, payload: nestRow(paths, item.record) };
  }
}

/**
 * The lines a CSV row covers. csv-parse counts the line a row ends on; a quoted value
 * can span lines, so a row starts on the line after the previous row ended, past the
 * blank lines skipped since. A row is reported at its first line, where its text begins.
 */
function csvRowLines(): { next(lastLine: number, emptyLinesSoFar: number): { first: number; last: number } } {
  let previousLast = 0;
  let previousEmpty = 0;
  return {
    next(lastLine, emptyLinesSoFar) {
      const first = Math.min(lastLine, previousLast + 1 + Math.max(0, emptyLinesSoFar - previousEmpty));
      previousLast = lastLine;
      previousEmpty = emptyLinesSoFar;
      return { first, last: lastLine };
    },
  };
}

function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
