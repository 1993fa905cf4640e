import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config-loader.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { runCli, runCliAsync, type CliRun } from './run-cli.js';
import { webformV2Mapping } from '../support/operator-workspace.js';
import { withStorage } from '../support/config-overrides.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { closedPort } from '../support/free-port.js';

// What a new user meets first: `leadsync demo` without (or with a wrong) LEADSYNC_TOKEN,
// stopping `leadsync serve` / `leadsync worker` with SIGTERM, and the mapping fix
// examples/webform-v2-mapping.yaml offers for the demo's CRM_PICKLIST_MISMATCH item.

const env = { WEBFORM_SECRET: 'whsec_bGVhZHN5bmMtY2xpLXRlc3Qtc2VjcmV0' };
let service: RunningService;
let dir: string;

beforeAll(async () => {
  dir = makeTempDir('leadsync-walkthrough-');
  const config = await loadConfig('examples/leadsync.yaml', { env });
  const withTempDb = withStorage(config, { file: join(dir, 'service.db') });
  service = await startService(withTempDb, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await service.stop();
  removeTempDir(dir);
});

/** Events the service has received so far, by its own overview counters. */
async function receivedCount(): Promise<number> {
  const response = await service.app.inject({ method: 'GET', url: '/v1/stats/overview', headers: { authorization: `Bearer ${service.firstAdminToken ?? ''}` } });
  expect(response.statusCode).toBe(200);
  const totals = (response.json<{ totals: { metric: string; n: number }[] }>()).totals;
  return totals.filter((row) => row.metric === 'received').reduce((sum, row) => sum + row.n, 0);
}

function demo(extraEnv: Record<string, string>, ...args: string[]): Promise<CliRun> {
  // LEADSYNC_TOKEN from the test's own environment must not leak in: '' counts as unset.
  return runCliAsync(['demo', '--url', service.url, '--timeout', '5', ...args], { env: { ...env, LEADSYNC_TOKEN: '', ...extraEnv } });
}

describe('leadsync demo without read access', () => {
  it('refuses at once (exit 2), posts nothing and says how to get a token when LEADSYNC_TOKEN is not set', async () => {
    const run = await demo({});
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('LEADSYNC_TOKEN is not set');
    expect(run.stderr).toContain('AUTH_TOKEN_MISSING');
    expect(run.stderr).toContain('nothing was posted');
    expect(run.stderr).toContain('leadsync tokens create --config');
    expect(run.stdout).not.toContain('still queued');
    expect(await receivedCount()).toBe(0);
  });

  it('names the refusal when the token is wrong, and answers JSON with --json', async () => {
    const wrong = await demo({ LEADSYNC_TOKEN: 'lsk_not-a-real-token' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('refused LEADSYNC_TOKEN (AUTH_TOKEN_INVALID)');

    const json = await demo({}, '--json');
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE_INVALID' }, exitCode: 2 });
    expect(await receivedCount()).toBe(0);
  });

  it('runs with a valid token and points at the authenticated API for more', async () => {
    const run = await demo({ LEADSYNC_TOKEN: service.firstAdminToken ?? '' }, '--timeout', '25');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Look further: curl -H "Authorization: Bearer $LEADSYNC_TOKEN"');
    expect(await receivedCount()).toBeGreaterThan(0);
  });

  it('then `approvals list` offers approve/reject only while an item is pending', async () => {
    // The operator commands open the service's SQLite file beside it, as they do beside `npm start`.
    const configFile = join(dir, 'service.yaml');
    writeFileSync(configFile, readFileSync('examples/leadsync.yaml', 'utf8').replace('file: ./data/leadsync.db', `file: ${join(dir, 'service.db')}`));
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
    const hint = 'Next: leadsync approvals approve <id> | reject <id>';

    const pending = await runCliAsync(['approvals', 'list', '--config', configFile], { env });
    expect(pending.status).toBe(0);
    expect(pending.stdout).toMatch(/^1\s+pending\s+contacts:ada\.lovelace@acme-analytics\.co\.uk\s+hubspot_owner_id/m);
    expect(pending.stdout).toContain(hint);

    expect((await runCliAsync(['approvals', 'approve', '1', '--actor', 'maria', '--config', configFile], { env })).status).toBe(0);
    const decided = await runCliAsync(['approvals', 'list', '--status', 'approved', '--config', configFile], { env });
    expect(decided.status).toBe(0);
    expect(decided.stdout).toMatch(/^1\s+approved\s+/m);
    expect(decided.stdout).not.toContain(hint);
  });
});

/** Starts a long-running command, waits until stdout says it runs, sends SIGTERM, and collects the rest. */
function runUntilStarted(args: readonly string[], startedText: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/leadsync.js', ...args], { env: { ...process.env, ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!signalled && stdout.includes(startedText)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('stopping with SIGTERM', () => {
  let configFile: string;

  beforeAll(() => {
    // examples/leadsync.yaml on a temp SQLite file beside its CRM schema.
    const yaml = readFileSync('examples/leadsync.yaml', 'utf8').replace('file: ./data/leadsync.db', `file: ${join(dir, 'stop.db')}`);
    expect(yaml).toContain(join(dir, 'stop.db'));
    configFile = join(dir, 'leadsync.yaml');
    writeFileSync(configFile, yaml);
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  });

  it('leadsync serve says it is stopping, then that it stopped, and exits 0', async () => {
    const run = await runUntilStarted(['serve', '--config', configFile, '--port', '0'], 'leadsync listening on');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('leadsync: stopping (finishing in-flight work)…');
    expect(run.stdout.trimEnd().endsWith('leadsync: stopped (in-flight work finished).')).toBe(true);
  });

  it('leadsync serve on another port than service.port prints example commands that reach it (--url)', async () => {
    const run = await runUntilStarted(['serve', '--config', configFile, '--port', '0'], '  look:');
    expect(run.status).toBe(0);
    const url = /leadsync listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(run.stdout)?.[1];
    expect(url).toBeDefined();
    expect(url).not.toBe('http://127.0.0.1:8080');
    expect(run.stdout).toContain(`npx leadsync demo --config ${configFile} --url ${url ?? ''} `);
    expect(run.stdout).toContain(`npx leadsync send --config ${configFile} --url ${url ?? ''} --source webform `);
  });

  it('leadsync serve on service.port prints the example commands without --url', async () => {
    const port = await closedPort();
    const samePortFile = join(dir, 'same-port.yaml');
    writeFileSync(samePortFile, readFileSync(configFile, 'utf8').replace('port: 8080', `port: ${port}`).replace(join(dir, 'stop.db'), join(dir, 'same-port.db')));
    const run = await runUntilStarted(['serve', '--config', samePortFile], '  look:');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`leadsync listening on http://127.0.0.1:${port} `);
    expect(run.stdout).toContain(`npx leadsync send --config ${samePortFile} --source webform `);
    expect(run.stdout).not.toContain('--url');
  });

  it('leadsync worker says it is stopping, then that it stopped, and exits 0', async () => {
    const run = await runUntilStarted(['worker', '--config', configFile], 'leadsync worker running');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('leadsync worker: stopping (finishing in-flight work)…');
    expect(run.stdout.trimEnd().endsWith('leadsync worker: stopped (in-flight work finished).')).toBe(true);
  });
});

describe('examples/webform-v2-mapping.yaml', () => {
  const snippet = readFileSync('examples/webform-v2-mapping.yaml', 'utf8');

  it('is the webform preset at version 2 with one lead_source synonym more', () => {
    const mapping = (parse(snippet) as { mappings: Record<string, Record<string, unknown>> }).mappings['webform-v2'];
    expect(mapping).toEqual(JSON.parse(JSON.stringify(webformV2Mapping())));
  });

  it('followed as its comment says, the bad-lead-source fixture plans as a write of lead_source partner', () => {
    const example = readFileSync('examples/leadsync.yaml', 'utf8');
    expect(example).toContain('    preset: webform\n');
    const fixedFile = join(dir, 'leadsync-fixed.yaml');
    writeFileSync(fixedFile, `${example.replace('    preset: webform\n', '    preset: webform\n    mapping: webform-v2\n')}\n${snippet}`);
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));

    const check = runCli(['check', '--config', fixedFile]);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);

    const before = runCli(['dry-run', '--json', '--config', 'examples/leadsync.yaml', '--source', 'webform', 'test/fixtures/webform/bad-lead-source.json']);
    expect(before.status).toBe(1);
    const after = runCli(['dry-run', '--json', '--config', fixedFile, '--source', 'webform', 'test/fixtures/webform/bad-lead-source.json']);
    expect(after.status).toBe(0);
    const plan = JSON.parse(after.stdout) as { mapping: { name: string; version: number }; objects: { object: string; fields: { field: string; kind: string; after?: unknown }[] }[] };
    expect(plan.mapping).toMatchObject({ name: 'webform-v2', version: 2 });
    const leadSource = plan.objects.find((object) => object.object === 'contacts')?.fields.find((field) => field.field === 'lead_source');
    expect(leadSource).toMatchObject({ kind: 'change', after: 'partner' });
  });
});

describe('leadsync worker and SIGHUP', () => {
  it('reloads its config, so a fixed mapping reaches the worker without a restart', async () => {
    const configFile = join(dir, 'reload.yaml');
    const example = readFileSync('examples/leadsync.yaml', 'utf8').replace('file: ./data/leadsync.db', `file: ${join(dir, 'reload.db')}`);
    writeFileSync(configFile, example);
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
    const payloads = join(dir, 'bad-lead-source.ndjson');
    writeFileSync(payloads, `${JSON.stringify(JSON.parse(readFileSync('test/fixtures/webform/bad-lead-source.json', 'utf8')))}\n`);

    const child = spawn(process.execPath, ['bin/leadsync.js', 'worker', '--config', configFile], { env: { ...process.env, ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await until(() => stdout.includes('leadsync worker running'), 'the worker to start');
      writeFileSync(configFile, `${example.replace('    preset: webform\n', '    preset: webform\n    mapping: webform-v2\n')}\n${readFileSync('examples/webform-v2-mapping.yaml', 'utf8')}`);
      child.kill('SIGHUP');
      await until(() => stderr.includes(`leadsync: reloaded ${configFile} (SIGHUP)`), 'the reload');

      const ingest = runCli(['ingest', '--config', configFile, '--source', 'webform', payloads]);
      expect(ingest.status).toBe(0);
      let timeline: { outcome: string; mappingVersion: string | null }[] = [];
      await until(() => {
        const audit = runCli(['audit', 'contacts:grace.hopper@navy-labs.example.com', '--json', '--config', configFile]);
        timeline = audit.status === 0 ? (JSON.parse(audit.stdout) as { timeline: typeof timeline }).timeline : [];
        return timeline.length > 0;
      }, 'the worker to process the event');
      expect(timeline.map((entry) => [entry.outcome, entry.mappingVersion])).toEqual([['written', 'webform-v2@2']]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

/** Waits for a state, polling; fails naming what it waited for after 30 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
