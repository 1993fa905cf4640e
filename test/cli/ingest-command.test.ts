import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { runCli } from './run-cli.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// `leadsync ingest` run as a process on a copy of the example config whose storage is a temp SQLite file.

let dir: string;
let config: string;
let database: string;

beforeEach(() => {
  dir = makeTempDir('leadsync-ingest-');
  database = join(dir, 'leadsync.db');
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  config = join(dir, 'leadsync.yaml');
  writeFileSync(config, readFileSync('examples/leadsync.yaml', 'utf8').replace('file: ./data/leadsync.db', `file: ${database}`));
});

afterEach(() => {
  removeTempDir(dir);
});

function file(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const webform = (email: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ email, submitted_at: '2026-11-20T10:00:00Z', first_name: 'Ann', job_title: 'VP Sales', ...extra });

describe('leadsync ingest (NDJSON)', () => {
  it('queues good lines, counts duplicates and conflicts, reports bad lines by line number, exits 1', () => {
    const path = file('leads.ndjson', [
      webform('ann@example.com'), // 1 queued
      webform('bob@example.com'), // 2 queued
      '', // 3 blank: skipped, not counted
      webform('ann@example.com'), // 4 duplicate of line 1
      webform('ann@example.com', { first_name: 'Annie' }), // 5 conflict: same key, other payload
      '{"email": "broken', // 6 invalid JSON
      '[1, 2, 3]', // 7 not an object
      JSON.stringify({ first_name: 'Nobody' }), // 8 no identity
      webform('cyd@example.com'), // 9 queued
    ]);
    const run = runCli(['ingest', '--json', '--config', config, '--source', 'webform', path]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      source: 'webform',
      format: 'ndjson',
      lines: 8,
      queued: 3,
      duplicates: 1,
      conflicts: 1,
      rejected: 3,
      rejectedByCode: { INPUT_JSON_INVALID: 1, MAPPING_PAYLOAD_NOT_OBJECT: 1, MAPPING_LEAD_ID_MISSING: 1 },
    });
    const problems = run.stderr.trim().split('\n').map((line) => /:(\d+): ([A-Z_]+):/.exec(line)?.slice(1, 3));
    expect(problems).toEqual([
      ['5', 'INGEST_IDEMPOTENCY_CONFLICT'],
      ['6', 'INPUT_JSON_INVALID'],
      ['7', 'MAPPING_PAYLOAD_NOT_OBJECT'],
      ['8', 'MAPPING_LEAD_ID_MISSING'],
    ]);
  });

  it('--dry-run names the earlier line of a conflict and says it would be recorded, and records nothing', () => {
    const path = file('dry.ndjson', [
      webform('bob@example.com'), // 1
      webform('ann@example.com'), // 2
      webform('ann@example.com', { first_name: 'Annie' }), // 3 conflict with line 2
    ]);
    const run = runCli(['ingest', '--dry-run', '--config', config, '--source', 'webform', path]);
    expect(run.stderr).toContain(`${path}:3: INGEST_IDEMPOTENCY_CONFLICT: same idempotency key as line 2 but a different payload; would be recorded as a conflict, not processed`);
    expect(run.stderr).not.toContain('dry-run-');
  });

  it('prints a readable summary, says a worker processes the events, and exits 0 when all lines are queued or duplicates', () => {
    const path = file('good.ndjson', [webform('ann@example.com'), webform('bob@example.com'), webform('ann@example.com')]);
    const first = runCli(['ingest', '--config', config, '--source', 'webform', path]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/3 lines/);
    expect(first.stdout).toMatch(/queued\s+2\n/);
    expect(first.stdout).toMatch(/duplicates\s+1\n/);
    expect(first.stdout).toContain('leadsync serve');

    // A second run of the same file finds every event already there.
    const again = runCli(['ingest', '--json', '--config', config, '--source', 'webform', path]);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, lines: 3, queued: 0, duplicates: 3 });

    const storage = openSqliteStorage({ file: database });
    try {
      expect(storage.database.prepare('SELECT count(*) AS n FROM jobs').get()).toEqual({ n: 2 });
    } finally {
      storage.database.close();
    }
  });

  it('exits 2 for an unknown source, an unknown extension and a missing file', () => {
    const path = file('leads.ndjson', [webform('ann@example.com')]);
    const unknownSource = runCli(['ingest', '--config', config, '--source', 'hubspot', path]);
    expect(unknownSource.status).toBe(2);
    expect(unknownSource.stderr).toContain('no source "hubspot"');
    const txt = file('leads.txt', [webform('ann@example.com')]);
    expect(runCli(['ingest', '--config', config, '--source', 'webform', txt]).status).toBe(2);
    expect(runCli(['ingest', '--config', config, '--source', 'webform', '--format', 'ndjson', txt]).status).toBe(0);
    expect(runCli(['ingest', '--config', config, '--source', 'webform', join(dir, 'missing.ndjson')]).status).toBe(2);
  });
});

describe('leadsync ingest (CSV)', () => {
  it('nests dotted headers, keeps numbers as strings, and reports unreadable rows by line', () => {
    const path = file('segment.csv', [
      'type,userId,timestamp,traits.email,traits.firstName,traits.company.name,traits.company.employee_count,traits.address.country',
      'identify,usr_1,2026-11-20T10:00:00.000Z,priya@northwind.io,Priya,Northwind Labs,240,US',
      'identify,usr_2,2026-11-20T10:00:00.000Z,"sam@acme.io",Sam,"Acme, Inc.",12,GB',
      'identify,usr_3,2026-11-20T10:00:00.000Z,too@few.io,Too',
      'identify,usr_4,2026-11-20T10:00:00.000Z,lee@globex.com,Lee,Globex,7,DE',
    ]);
    const run = runCli(['ingest', '--json', '--config', config, '--source', 'segment', path]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'csv', lines: 4, queued: 3, rejected: 1, rejectedByCode: { INPUT_CSV_INVALID: 1 } });
    expect(run.stderr).toMatch(/segment\.csv:4: INPUT_CSV_INVALID: /);

    const storage = openSqliteStorage({ file: database });
    try {
      const row = storage.database.prepare('SELECT payload_json, lead_key FROM events WHERE lead_id = ?').get('usr_2') as { payload_json: string; lead_key: string };
      expect(row.lead_key).toBe('contacts:sam@acme.io');
      expect(JSON.parse(row.payload_json)).toEqual({
        type: 'identify',
        userId: 'usr_2',
        timestamp: '2026-11-20T10:00:00.000Z',
        traits: { email: 'sam@acme.io', firstName: 'Sam', company: { name: 'Acme, Inc.', employee_count: '12' }, address: { country: 'GB' } },
      });
    } finally {
      storage.database.close();
    }
  });

  it('reports a row at the line it starts on when a quoted value spans lines, and names the lines an unclosed quote swallowed', () => {
    const path = file('multiline.csv', [
      'email,first_name,submitted_at,form', // 1 header
      '"",Ann,2026-11-20T10:00:00Z,"Demo', // 2 a row without an email, its form value spanning lines 2-3
      'Request"', // 3
      '', // 4 blank: skipped
      'bob@example.com,Bob,2026-11-20T10:00:00Z,Contact Us', // 5 queued
      '"cyd@example.com,Cyd,2026-11-20T10:00:00Z,Contact Us', // 6 a quote that never closes...
      'dee@example.com,Dee,2026-11-20T10:00:00Z,Contact Us', // 7 ...takes these two lines with it
      'eve@example.com,Eve,2026-11-20T10:00:00Z,Contact Us', // 8
    ]);
    const run = runCli(['ingest', '--json', '--config', config, '--source', 'webform', path]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ lines: 3, queued: 1, rejected: 2, rejectedByCode: { MAPPING_LEAD_ID_MISSING: 1, INPUT_CSV_INVALID: 1 } });
    const problems = run.stderr.trim().split('\n');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/multiline\.csv:2: MAPPING_LEAD_ID_MISSING: /);
    expect(problems[1]).toMatch(/multiline\.csv:6: INPUT_CSV_INVALID: .*\(lines 6–8 were read as this one row; none of them was queued\)$/);
  });

  it('says "it" of a single queued event', () => {
    const path = file('one.csv', ['email,submitted_at', 'ann@example.com,2026-11-20T10:00:00Z']);
    const run = runCli(['ingest', '--config', config, '--source', 'webform', path]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('1 event is queued, not yet written: a running worker (`leadsync serve`, i.e. `npm start`, or `leadsync worker`) processes it.');
  });

  it('exits 2 when the header row is not a set of payload paths', () => {
    const path = file('bad-header.csv', ['email,traits,traits.email', 'a@x.io,1,b@x.io']);
    const run = runCli(['ingest', '--config', config, '--source', 'webform', path]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('header');
  });
});

describe('leadsync ingest lanes', () => {
  const lanesOf = (): string[] => {
    const storage = openSqliteStorage({ file: database });
    try {
      return (storage.database.prepare('SELECT lane FROM jobs ORDER BY id').all() as { lane: string }[]).map((row) => row.lane);
    } finally {
      storage.database.close();
    }
  };

  it('queues a file on the batch lane by default, though the source routes live events to realtime', () => {
    const path = file('leads.ndjson', [webform('ann@example.com'), webform('bob@example.com')]);
    const run = runCli(['ingest', '--json', '--config', config, '--source', 'webform', path]);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ lane: 'batch', queued: 2 });
    expect(lanesOf()).toEqual(['batch', 'batch']);
  });

  it('follows the source\'s own routing with --lane source, and takes --lane realtime', () => {
    runCli(['ingest', '--config', config, '--source', 'webform', '--lane', 'source', file('a.ndjson', [webform('ann@example.com')])]);
    const realtime = runCli(['ingest', '--config', config, '--source', 'webform', '--lane', 'realtime', file('b.ndjson', [webform('bob@example.com')])]);
    expect(realtime.stdout).toContain('source webform, realtime lane');
    expect(lanesOf()).toEqual(['realtime', 'realtime']);
  });

  it('refuses an unknown lane before reading the file (exit 2)', () => {
    const run = runCli(['ingest', '--config', config, '--source', 'webform', '--lane', 'fast', file('c.ndjson', [webform('ann@example.com')])]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--lane must be one of realtime, batch, source, not "fast"');
  });
});
