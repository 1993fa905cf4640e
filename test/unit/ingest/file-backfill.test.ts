import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../../src/adapters/sqlite/sqlite-storage.js';
import type { IngestSource } from '../../../src/app/event-ingestion.js';
import { backfillEvents, type BackfillProblem, type BackfillRecord, type BackfillSummary } from '../../../src/app/file-backfill.js';
import { loadConfig } from '../../../src/config/config-loader.js';
import { planContextFor } from '../../../src/config/plan-context.js';
import { ManualClock } from '../../support/manual-clock.js';

let webform: IngestSource;
let storage: SqliteStorage | undefined;

beforeAll(async () => {
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  const source = config.sources.get('webform');
  if (!source) throw new Error('examples/leadsync.yaml has no webform source');
  webform = { name: 'webform', signature: { scheme: 'none' }, lane: 'realtime', context: planContextFor(config, source) };
});

afterEach(async () => {
  await storage?.close();
  storage = undefined;
});

const lead = (email: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ email, submitted_at: '2026-11-20T10:00:00Z', first_name: 'Ann', ...extra });

// An async source, as the file readers are: records arrive one await at a time.
async function* recordsOf(records: readonly BackfillRecord[]): AsyncGenerator<BackfillRecord> {
  for (const record of records) yield await Promise.resolve(record);
}

async function run(records: readonly BackfillRecord[], chunkSize: number): Promise<{ summary: BackfillSummary; problems: BackfillProblem[]; progress: BackfillSummary[] }> {
  storage = openSqliteStorage({ file: ':memory:' });
  const clock = new ManualClock('2026-11-27T00:00:00.000Z');
  const problems: BackfillProblem[] = [];
  const progress: BackfillSummary[] = [];
  const summary = await backfillEvents(webform, recordsOf(records), storage.ingest, {
    now: () => clock.now(),
    chunkSize,
    onProblem: (problem) => problems.push(problem),
    onProgress: (totals) => progress.push(totals),
  });
  return { summary, problems, progress };
}

describe('backfillEvents', () => {
  const file: BackfillRecord[] = [
    { kind: 'json', line: 1, text: lead('a@example.com') },
    { kind: 'json', line: 2, text: '{oops' },
    { kind: 'json', line: 3, text: lead('a@example.com') },
    { kind: 'payload', line: 4, payload: JSON.parse(lead('b@example.com')) as unknown },
    { kind: 'json', line: 5, text: lead('a@example.com', { first_name: 'Changed' }) },
    { kind: 'unreadable', line: 6, code: 'INPUT_CSV_INVALID', message: 'Quote Not Closed' },
    { kind: 'json', line: 7, text: '"just a string"' },
    { kind: 'json', line: 8, text: JSON.stringify({ first_name: 'no identity' }) },
    { kind: 'json', line: 9, text: lead('c@example.com') },
  ];

  it.each([1, 2, 3, 1000])('counts every line once and reports problems in line order (chunks of %i)', async (chunkSize) => {
    const { summary, problems } = await run(file, chunkSize);
    expect(summary).toEqual({
      lines: 9,
      queued: 3,
      duplicates: 1,
      conflicts: 1,
      rejected: 4,
      rejectedByCode: { INPUT_JSON_INVALID: 1, INPUT_CSV_INVALID: 1, MAPPING_PAYLOAD_NOT_OBJECT: 1, MAPPING_LEAD_ID_MISSING: 1 },
    });
    expect(problems.map((problem) => [problem.line, problem.code])).toEqual([
      [2, 'INPUT_JSON_INVALID'],
      [5, 'INGEST_IDEMPOTENCY_CONFLICT'],
      [6, 'INPUT_CSV_INVALID'],
      [7, 'MAPPING_PAYLOAD_NOT_OBJECT'],
      [8, 'MAPPING_LEAD_ID_MISSING'],
    ]);
  });

  it('stores what HTTP ingest would store: identity, lead key, lane, and the payload as sent', async () => {
    await run(file, 2);
    const event = await storage?.ingest.getEvent('1');
    expect(event).toMatchObject({ source: 'webform', leadId: 'a@example.com', leadKey: 'contacts:a@example.com', lane: 'realtime', webhookId: null, payload: { state: 'kept', json: JSON.parse(lead('a@example.com')) as unknown } });
    expect(await storage?.jobs.depth()).toMatchObject({ realtime: 3 });
  });

  it('reports progress after each committed chunk, even one of rejections only', async () => {
    const bad: BackfillRecord[] = Array.from({ length: 5 }, (_, index) => ({ kind: 'json', line: index + 1, text: 'nope' }));
    const { summary, progress, problems } = await run(bad, 2);
    expect(summary.rejected).toBe(5);
    expect(problems).toHaveLength(5);
    expect(progress.map((totals) => totals.rejected)).toEqual([2, 4, 5]);
  });
});
