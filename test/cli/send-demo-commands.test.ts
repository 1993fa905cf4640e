import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config-loader.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { runCliAsync } from './run-cli.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';
import { closedPort } from '../support/free-port.js';

// `leadsync send` and `leadsync demo` run as processes against the real service,
// started in this process on a temp SQLite file and a free port.

const WEBFORM_SECRET = 'whsec_bGVhZHN5bmMtY2xpLXRlc3Qtc2VjcmV0';
const env = { WEBFORM_SECRET };
let service: RunningService;
let dir: string;

beforeAll(async () => {
  dir = makeTempDir('leadsync-send-');
  const config = await loadConfig('examples/leadsync.yaml', { env });
  const withTempDb = withStorage(config, { file: join(dir, 'leadsync.db') });
  service = await startService(withTempDb, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await service.stop();
  removeTempDir(dir);
});

const send = (args: readonly string[], extraEnv: Record<string, string> = env) =>
  runCliAsync(['send', '--config', 'examples/leadsync.yaml', '--url', service.url, ...args], { env: extraEnv });

describe('leadsync send', () => {
  it('signs and posts a payload: 202 queued, then 200 duplicate for the same payload', async () => {
    const first = await send(['--source', 'webform', 'test/fixtures/webform/contact-us-german.json']);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`HTTP 202 from POST ${service.url}/v1/events/webform (standard-webhooks signature)`);
    expect(first.stdout).toContain('"status": "queued"');

    const again = await send(['--json', '--source', 'webform', 'test/fixtures/webform/contact-us-german.json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'duplicate' });
  });

  it('signs with the configured HMAC header for a plain-HMAC source, reading stdin', async () => {
    const run = await runCliAsync(['send', '--json', '--config', 'examples/leadsync.yaml', '--url', service.url, '--source', 'segment', '-'], { env, input: readFileSync('test/fixtures/segment/identify.json', 'utf8') });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'queued', lane: 'batch' });
  });

  it('exits 1 with the code and the fix on stderr when the signature is wrong (401)', async () => {
    const run = await send(['--source', 'webform', 'test/fixtures/webform/demo-request.json'], { WEBFORM_SECRET: 'whsec_d3Jvbmctc2VjcmV0' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('HTTP 401');
    expect(run.stderr).toContain('INGEST_SIGNATURE_INVALID');
    expect(run.stderr).toContain('fix: Check the secret configured for the source on both sides.');
  });

  it('exits 2 and asks whether the service runs when the connection is refused', async () => {
    const run = await runCliAsync(['send', '--config', 'examples/leadsync.yaml', '--url', `http://127.0.0.1:${await closedPort()}`, '--source', 'webform', 'test/fixtures/webform/demo-request.json'], { env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).toContain('is `npm start`');
  });

  it('exits 2 for a payload that is not JSON or a source that does not exist', async () => {
    expect((await send(['--source', 'webform', 'examples/leadsync.yaml'])).status).toBe(2);
    expect((await send(['--source', 'nope', 'test/fixtures/webform/demo-request.json'])).status).toBe(2);
  });
});

describe('leadsync demo', () => {
  it('posts every preset fixture, waits for the worker, and shows the records, the DLQ item and the approval', async () => {
    const run = await runCliAsync(['demo', '--url', service.url, '--timeout', '25'], { env: { ...env, LEADSYNC_TOKEN: service.firstAdminToken ?? '' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/webform\/demo-request\.json\s+→ 20[02] (queued|duplicate)/);
    expect(run.stdout).toContain('all accepted events processed');
    expect(run.stdout).toMatch(/contacts:ada\.lovelace@acme-analytics\.co\.uk\n\s+firstname=Ada/);
    expect(run.stdout).toMatch(/webform\/bad-lead-source\.json\s+CRM_PICKLIST_MISMATCH\s+contacts:grace\.hopper@navy-labs\.example\.com/);
    expect(run.stdout).toMatch(/webform\/owner-change\.json\s+contacts:ada\.lovelace@acme-analytics\.co\.uk\s+hubspot_owner_id: \(empty\) → owner-4471/);
  });

  it('exits 2 when no service answers', async () => {
    const run = await runCliAsync(['demo', '--url', `http://127.0.0.1:${await closedPort()}`], { env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('is `npm start`');
  });
});
