import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperatorWorkspace, type OperatorWorkspace } from '../support/operator-workspace.js';
import { runCli, runCliAsync, type CliRun } from './run-cli.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// The CLI contract of docs/cli.md, over every command: --help works, an unknown flag exits 2,
// a bad or missing config exits 2 with what to do next, and --json puts exactly one JSON
// document on stdout (also when the command fails). The command list comes from
// `leadsync --help`, so a new command fails this test until it is added to COMMANDS.
// Each case spawns the built bin; a test here takes seconds on a busy machine.
const SLOW = { timeout: 300_000 };

interface CommandCase {
  /** `--json` run: its arguments given a config file, and the exit code it should end with. */
  readonly json: (config: string) => readonly string[];
  readonly exit: 0 | 1;
  /** Takes `--config`. (Default: true) */
  readonly config?: boolean;
  /** Changes stored state or sends something, so it must offer --dry-run. */
  readonly mutating?: boolean;
}

let workspace: OperatorWorkspace;
let dir: string;
let badConfig: string;
let ndjson: string;
const fixture = 'test/fixtures/webform/demo-request.json';

const COMMANDS: Readonly<Record<string, CommandCase>> = {
  normalize: { json: () => ['normalize', 'title', 'VP Sales', '--json'], exit: 0, config: false },
  'dry-run': { json: (config) => ['dry-run', '--json', '--config', config, '--source', 'webform', fixture], exit: 0 },
  check: { json: (config) => ['check', '--json', '--config', config], exit: 0 },
  // Long-running: their --json run is its own test below; the config cases stop at loading.
  serve: { json: (config) => ['serve', '--json', '--port', '0', '--config', config], exit: 0 },
  worker: { json: (config) => ['worker', '--json', '--config', config], exit: 0 },
  'schema pull': { json: (config) => ['schema', 'pull', '--json', '--dry-run', '--config', config], exit: 0, mutating: true },
  'dlq list': { json: (config) => ['dlq', 'list', '--json', '--config', config], exit: 0 },
  'dlq show': { json: (config) => ['dlq', 'show', '999', '--json', '--config', config], exit: 1 },
  'dlq replay': { json: (config) => ['dlq', 'replay', '999', '--dry-run', '--json', '--config', config], exit: 1, mutating: true },
  'dlq discard': { json: (config) => ['dlq', 'discard', '999', '--dry-run', '--json', '--config', config], exit: 1, mutating: true },
  'approvals list': { json: (config) => ['approvals', 'list', '--json', '--config', config], exit: 0 },
  'approvals approve': { json: (config) => ['approvals', 'approve', '999', '--dry-run', '--json', '--config', config], exit: 1, mutating: true },
  'approvals reject': { json: (config) => ['approvals', 'reject', '999', '--dry-run', '--json', '--config', config], exit: 1, mutating: true },
  audit: { json: (config) => ['audit', 'verify', '--json', '--config', config], exit: 0 },
  // The file has one line that is not JSON: rejected, so exit 1.
  ingest: { json: (config) => ['ingest', '--dry-run', '--json', '--config', config, '--source', 'webform', ndjson], exit: 1, mutating: true },
  send: { json: (config) => ['send', '--dry-run', '--json', '--config', config, '--source', 'webform', fixture], exit: 0, mutating: true },
  demo: { json: (config) => ['demo', '--dry-run', '--json', '--config', config], exit: 0, mutating: true },
  'tokens create': { json: (config) => ['tokens', 'create', '--name', 'ci', '--role', 'viewer', '--dry-run', '--json', '--config', config], exit: 0, mutating: true },
  'tokens list': { json: (config) => ['tokens', 'list', '--json', '--config', config], exit: 0 },
  'tokens revoke': { json: (config) => ['tokens', 'revoke', 'nobody', '--dry-run', '--json', '--config', config], exit: 1, mutating: true },
  'presets list': { json: () => ['presets', 'list', '--json'], exit: 0, config: false },
  'presets show': { json: () => ['presets', 'show', 'webform', '--json'], exit: 0, config: false },
};

/** Command names listed under "Commands:" in a help text. */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((match) => match[1] ?? '').filter((name) => name !== 'help');
}

/** Every leaf command: `leadsync --help`, then each group's own help. */
function everyCommand(): string[] {
  const leaves: string[] = [];
  for (const name of commandsIn(runCli(['--help']).stdout)) {
    const sub = commandsIn(runCli([name, '--help']).stdout);
    if (sub.length === 0) leaves.push(name);
    else leaves.push(...sub.map((child) => `${name} ${child}`));
  }
  return leaves;
}

function expectJsonError(run: CliRun, code: string | RegExp): void {
  const output = JSON.parse(run.stdout) as { ok: boolean; error: { code: string; message: string }; exitCode: number };
  expect(output.ok).toBe(false);
  expect(output.error.code).toMatch(code);
  expect(output.exitCode).toBe(run.status);
}

beforeAll(() => {
  workspace = createOperatorWorkspace();
  dir = makeTempDir('leadsync-exit-codes-');
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  badConfig = join(dir, 'bad.yaml');
  writeFileSync(badConfig, readFileSync('examples/leadsync.yaml', 'utf8').replace('  maxRetries: 3', '  maxRetries: -1'));
  ndjson = join(dir, 'leads.ndjson');
  writeFileSync(ndjson, `${JSON.stringify(JSON.parse(readFileSync(fixture, 'utf8')))}\nnot json\n`);
});

afterAll(async () => {
  await workspace.remove();
  removeTempDir(dir);
});

describe('every command follows the CLI contract', SLOW, () => {
  it('the table covers every command leadsync --help lists', () => {
    expect(everyCommand().sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  for (const [name, command] of Object.entries(COMMANDS)) {
    const words = name.split(' ');
    it(`${name}: --help, unknown flag, bad and missing config, --json`, async () => {
      const [help, badFlag, invalid, missing, json] = await Promise.all([
        runCliAsync([...words, '--help']),
        // With the command's own arguments, so the unknown flag is the only mistake.
        runCliAsync([...command.json(workspace.originalConfig), '--no-such-flag', '--json']),
        command.config === false ? undefined : runCliAsync(command.json(badConfig)),
        command.config === false ? undefined : runCliAsync(command.json(join(dir, 'missing.yaml'))),
        name === 'serve' || name === 'worker' ? undefined : runCliAsync(command.json(workspace.originalConfig)),
      ]);

      expect(help.status).toBe(0);
      expect(help.stdout).toContain(`Usage: leadsync ${name}`);
      expect(help.stdout).toContain('--json');
      if (command.mutating) expect(help.stdout).toContain('--dry-run');

      expect(badFlag.status).toBe(2);
      expect(badFlag.stderr).toContain("unknown option '--no-such-flag'");
      expect(badFlag.stderr).toContain('--help');
      expectJsonError(badFlag, 'USAGE_INVALID');

      if (invalid && missing) {
        expect(invalid.status).toBe(2);
        expect(invalid.stderr).toMatch(/CONFIG_INVALID: .*bad\.yaml:\d+:\d+ retry\.maxRetries: /);
        expect(invalid.stderr).toContain('fix: ');
        expectJsonError(invalid, 'CONFIG_INVALID');
        expect(missing.status).toBe(2);
        expect(missing.stderr).toContain('config not found');
        expect(missing.stderr).toContain('docs/config.md');
        expectJsonError(missing, 'CONFIG_FILE_NOT_FOUND');
      }

      if (json) {
        expect({ stderr: json.stderr, status: json.status }).toMatchObject({ status: command.exit });
        expect(() => JSON.parse(json.stdout) as unknown).not.toThrow();
      }
    });
  }
});

describe('usage errors and --dry-run specifics', SLOW, () => {
  it('no command, an unknown command, a missing argument and a bad option value exit 2', async () => {
    const runs = await Promise.all([
      runCliAsync([]),
      runCliAsync(['frobnicate', '--json']),
      runCliAsync(['dlq', 'show', '--config', workspace.originalConfig]),
      runCliAsync(['dlq', 'list', '--limit', 'many', '--json', '--config', workspace.originalConfig]),
      runCliAsync(['serve', '--port', 'eighty', '--json', '--config', workspace.originalConfig]),
      runCliAsync(['normalize', 'shoe-size', '42', '--json']),
    ]);
    for (const run of runs) expect({ status: run.status, stderr: run.stderr === '' ? 'empty' : 'said why' }).toEqual({ status: 2, stderr: 'said why' });
    expectJsonError(runs[1], 'USAGE_INVALID');
    expect(runs[3]?.stderr).toContain('--limit must be a positive whole number');
    expect(runs[4]?.stderr).toContain('--port must be a port number');
    expectJsonError(runs[5], 'USAGE_INVALID');
  });

  it('ingest --dry-run checks every line and queues nothing', async () => {
    const run = await runCliAsync(['ingest', '--dry-run', '--json', '--config', workspace.originalConfig, '--source', 'webform', ndjson]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, dryRun: true, lines: 2, queued: 1, rejected: 1, rejectedByCode: { INPUT_JSON_INVALID: 1 } });
    const listing = JSON.parse((await runCliAsync(['dlq', 'list', '--status', 'all', '--json', '--config', workspace.originalConfig])).stdout) as { items: unknown[] };
    expect(listing.items).toEqual([]);
    const runtime = await workspace.open('original');
    expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
  });

  it('send --dry-run signs the request and sends nothing (no service is running)', async () => {
    const run = await runCliAsync(['send', '--dry-run', '--json', '--config', workspace.originalConfig, '--source', 'webform', '--url', 'http://127.0.0.1:9', fixture]);
    expect(run.status).toBe(0);
    const preview = JSON.parse(run.stdout) as { url: string; headers: Record<string, string>; bodyBytes: number };
    expect(preview.url).toBe('http://127.0.0.1:9/v1/events/webform');
    expect(preview.headers['webhook-signature']).toMatch(/^v1,/);
    expect(preview.bodyBytes).toBe(readFileSync(fixture).length);
  });

  it('serve --json prints one JSON line when listening and one when stopped', async () => {
    const lines = await runUntilFirstLineThenStop(['serve', '--json', '--port', '0', '--config', workspace.originalConfig]);
    expect(lines.status).toBe(0);
    expect(lines.stdout.map((line) => JSON.parse(line) as { status: string }).map((line) => line.status)).toEqual(['listening', 'stopped']);
  });

  it('worker --json --metrics-port prints JSON lines and serves /metrics', async () => {
    const lines = await runUntilFirstLineThenStop(['worker', '--json', '--metrics-port', '0', '--config', workspace.originalConfig], async (first) => {
      const { metrics } = JSON.parse(first) as { metrics: string };
      const scrape = await fetch(metrics);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('leadsync_queue_jobs');
    });
    expect(lines.status).toBe(0);
    expect(lines.stdout.map((line) => (JSON.parse(line) as { status: string }).status)).toEqual(['running', 'stopped']);
  });
});

/** Starts a long-running command, waits for its first stdout line, runs `check`, sends SIGTERM, and collects the rest. */
function runUntilFirstLineThenStop(args: readonly string[], check: (first: string) => Promise<void> = () => Promise.resolve()): Promise<{ status: number | null; stdout: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/leadsync.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let checked = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!checked && stdout.includes('\n')) {
        checked = true;
        check(stdout.split('\n')[0] ?? '').then(
          () => child.kill('SIGTERM'),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
    });
    child.on('error', reject);
    child.on('close', (status) => {
      if (!checked) reject(new Error(`exited (${status}) before printing a line:\n${stderr}`));
      else resolve({ status, stdout: stdout.split('\n').filter((line) => line !== '') });
    });
  });
}
