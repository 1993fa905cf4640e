import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config-loader.js';
import { signStandardWebhooks } from '../../src/core/signatures/webhook-signature.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { runCliAsync } from '../cli/run-cli.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../emulators/salesforce/salesforce-emulator.js';
import { waitFor } from '../support/wait-for.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';

// examples/salesforce.yaml as a user runs it: against the Salesforce emulator (in-process,
// port 0, its URL given through SF_INSTANCE_URL), checked by the built CLI and then the real
// service writing one signed web-form event into the emulator's Lead and Account.

const CONFIG = 'examples/salesforce.yaml';
const WEBFORM_SECRET = 'whsec_bGVhZHN5bmMtdGVzdC1zZWNyZXQ=';
let sf: SalesforceEmulator;

beforeAll(async () => {
  sf = await startSalesforceEmulator();
});

afterAll(async () => {
  await sf.close();
});

describe('examples/salesforce.yaml against the Salesforce emulator', () => {
  it('passes `leadsync check` against its schema file and against the emulator described live', async () => {
    const env = { SF_INSTANCE_URL: sf.url };
    const filed = await runCliAsync(['check', '--config', CONFIG, '--json'], { env });
    expect(filed.stderr).toBe('');
    expect(JSON.parse(filed.stdout)).toMatchObject({ ok: true, schemaIntegrity: 'intact', findings: [] });
    expect(filed.status).toBe(0);

    const live = await runCliAsync(['check', '--live', '--config', CONFIG, '--json'], { env });
    expect(JSON.parse(live.stdout)).toMatchObject({ ok: true, schemaSource: 'live', findings: [] });
    expect(live.status).toBe(0);
    // Only describe and the token endpoint were called: check writes nothing.
    expect(sf.requests().every((request) => request.path.endsWith('/describe') || request.path === '/services/oauth2/token')).toBe(true);
  });

  it('ships a schema file that is the emulator\'s schema as `leadsync schema pull` writes it', async () => {
    const pulled = await runCliAsync(['schema', 'pull', '--config', CONFIG, '--dry-run', '--json'], { env: { SF_INSTANCE_URL: sf.url } });
    expect(pulled.status).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ ok: true, dryRun: true, changed: false, objects: 3 });
  });

  describe('one event end to end', () => {
    let service: RunningService;
    let dir: string;

    beforeAll(async () => {
      sf.reset();
      dir = makeTempDir('leadsync-sf-example-');
      const config = await loadConfig(CONFIG, { env: { SF_INSTANCE_URL: sf.url, WEBFORM_SECRET } });
      const withTempDb = withStorage(config, { file: join(dir, 'leadsync.db') });
      service = await startService(withTempDb, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined });
    });

    afterAll(async () => {
      await service.stop();
      removeTempDir(dir);
    });

    it('writes a signed web-form event into Lead and Account and audits it', async () => {
      const body = readFileSync('test/fixtures/webform/demo-request.json');
      const id = 'msg_sf_example_1';
      const timestamp = Math.floor(Date.now() / 1000);
      const accepted = await fetch(`${service.url}/v1/events/webform`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(WEBFORM_SECRET, id, timestamp, body) },
        body,
      });
      expect(accepted.status).toBe(202);

      const lead = await waitFor(() => sf.records('Lead').find((record) => record['Leadsync_Id__c'] === 'ada.lovelace@acme-analytics.co.uk'), 'the Lead in the emulator', { timeoutMs: 15_000 });
      expect(lead).toMatchObject({
        Email: 'ada.lovelace@acme-analytics.co.uk',
        FirstName: 'Ada',
        LastName: 'Lovelace',
        Company: 'Acme Analytics',
        Title: 'VP, Data & Analytics',
        // "vp" from the title normalizer, through the mapping's value map onto the restricted picklist.
        Seniority__c: 'Executive',
        LeadSource: 'Web',
        Country: 'GB',
        Phone: '+442079460958',
        // Defaulted by Salesforce on create.
        Status: 'Open - Not Contacted',
      });
      const account = await waitFor(() => sf.records('Account').find((record) => record['Domain__c'] === 'acme-analytics.co.uk'), 'the Account in the emulator', { timeoutMs: 15_000 });
      expect(account).toMatchObject({ Name: 'Acme Analytics' });

      if (service.firstAdminToken === null) throw new Error('the first start printed no admin token');
      const auth = { authorization: `Bearer ${service.firstAdminToken}` };
      const audit = await waitFor(async () => {
        const response = await fetch(`${service.url}/v1/leads/${encodeURIComponent('Lead:ada.lovelace@acme-analytics.co.uk')}/audit`, { headers: auth });
        if (response.status !== 200) return undefined;
        const json = (await response.json()) as { entries: { outcome: string; changes: { field: string }[] }[] };
        return json.entries.length > 0 ? json : undefined;
      }, 'the audit entry', { timeoutMs: 15_000 });
      expect(audit.entries[0]?.outcome).toBe('written');
      expect(audit.entries[0]?.changes.map((change) => change.field)).toEqual(expect.arrayContaining(['LastName', 'Seniority__c', 'LeadSource']));
    });
  });
});
