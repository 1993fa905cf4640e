import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { hubSpotWorkspaceForThisTest } from '../support/hubspot-workspace.js';
import { runCli, runCliAsync } from './run-cli.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// Each test runs the built CLI several times; on a loaded machine one run takes seconds.
const SLOW = 180_000;

interface PullJson {
  ok: boolean;
  file: string;
  version: string;
  sha256: string;
  objects: number;
  fields: number;
  changed: boolean;
  previousVersion: string | null;
  usedByConfig: boolean;
}

interface CheckJson {
  ok: boolean;
  schemaVersion: string;
  schemaSource: string;
  schemaIntegrity: string;
  findings: { code: string; where: string; message: string; suggestions?: string[] }[];
}

describe('leadsync schema pull (HubSpot emulator)', { timeout: SLOW }, () => {
  it('writes the described schema as a versioned, hashed file that the config then uses; a second pull is unchanged', async () => {
    const ws = await hubSpotWorkspaceForThisTest({ pullSchema: false });
    // Before any pull the config has no schema: a config error that says what to run.
    const before = await runCliAsync(['check', '--config', ws.configFile], { env: ws.env });
    expect(before.status).toBe(2);
    expect(before.stderr).toContain('leadsync schema pull');

    const first = await runCliAsync(['schema', 'pull', '--config', ws.configFile, '--json'], { env: ws.env });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const pulled = JSON.parse(first.stdout) as PullJson;
    expect(pulled).toMatchObject({ ok: true, file: join(ws.dir, 'schema', 'hubspot.pulled.yaml'), objects: 2, changed: true, previousVersion: null, usedByConfig: true });
    expect(pulled.version).toBe(`hubspot-${pulled.sha256.slice(0, 12)}`);
    expect(pulled.sha256).toMatch(/^[0-9a-f]{64}$/);
    const file = parse(readFileSync(pulled.file, 'utf8')) as { version: string; destination: string; pulledAt: string; sha256: string; objects: Record<string, { fields: Record<string, unknown> }> };
    expect(file).toMatchObject({ version: pulled.version, destination: 'hubspot', sha256: pulled.sha256 });
    expect(Object.keys(file.objects).sort()).toEqual(['companies', 'contacts']);
    expect(Number.isNaN(Date.parse(file.pulledAt))).toBe(false);

    const second = await runCliAsync(['schema', 'pull', '--config', ws.configFile], { env: ws.env });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`version ${pulled.version}`);
    expect(second.stdout).toContain('Unchanged since the last pull.');

    const check = await runCliAsync(['check', '--json', '--config', ws.configFile], { env: ws.env });
    const checked = JSON.parse(check.stdout) as CheckJson;
    expect(checked).toMatchObject({ schemaVersion: pulled.version, schemaSource: pulled.file, schemaIntegrity: 'intact' });
  });

  it('check compares every mapping with the pulled schema and with the live one, and notices an edited pulled file', async () => {
    const ws = await hubSpotWorkspaceForThisTest();
    const file = join(ws.dir, 'schema', 'hubspot.pulled.yaml');
    const baseline = JSON.parse((await runCliAsync(['check', '--json', '--config', ws.configFile], { env: ws.env })).stdout) as CheckJson;
    const live = JSON.parse((await runCliAsync(['check', '--json', '--live', '--config', ws.configFile], { env: ws.env })).stdout) as CheckJson;
    expect(live.schemaSource).toBe('live');
    expect(live.findings).toEqual(baseline.findings);

    // Someone edits the pulled file: job_function loses an option, jobtitle becomes read-only, firstname disappears.
    const document = parse(readFileSync(file, 'utf8')) as { objects: { contacts: { fields: Record<string, { options?: unknown[]; readOnly?: boolean }> } } };
    const fields = document.objects.contacts.fields;
    const jobFunction = fields['job_function'];
    if (!jobFunction?.options) throw new Error('the example schema has no job_function picklist');
    jobFunction.options = jobFunction.options.filter((option) => (typeof option === 'string' ? option : (option as { value: string }).value) !== 'marketing');
    fields['jobtitle'] = { ...fields['jobtitle'], readOnly: true };
    delete fields['firstname'];
    writeFileSync(file, JSON.stringify(document));

    const run = await runCliAsync(['check', '--json', '--config', ws.configFile], { env: ws.env });
    expect(run.status).toBe(1);
    const edited = JSON.parse(run.stdout) as CheckJson;
    expect(edited.schemaIntegrity).toBe('edited');
    const added = edited.findings.filter((finding) => !baseline.findings.some((known) => known.where === finding.where && known.code === finding.code));
    expect(added.map((finding) => finding.code)).toEqual(expect.arrayContaining(['CRM_FIELD_READ_ONLY', 'CRM_FIELD_UNKNOWN', 'CHECK_PICKLIST_UNCOVERED']));
    expect(added.find((finding) => finding.code === 'CRM_FIELD_UNKNOWN' && finding.where.endsWith('contacts.firstname'))?.suggestions).toContain('lastname');
    const human = await runCliAsync(['check', '--config', ws.configFile], { env: ws.env });
    expect(human.stderr).toContain('was edited after `leadsync schema pull`');

    // --live still compares with the emulator as it is, whatever the file says.
    const again = JSON.parse((await runCliAsync(['check', '--json', '--live', '--config', ws.configFile], { env: ws.env })).stdout) as CheckJson;
    expect(again.findings).toEqual(baseline.findings);
  });

  it('fails with exit 1 and the reason when the CRM refuses the token', async () => {
    const workspace = await hubSpotWorkspaceForThisTest({ pullSchema: false });
    const run = await runCliAsync(['schema', 'pull', '--config', workspace.configFile], { env: { HUBSPOT_TOKEN: 'pat-na1-wrong' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('could not be described');
    expect(run.stderr).not.toContain('pat-na1-wrong');
  });
});

describe('leadsync schema pull (sandbox) and destination config errors', { timeout: SLOW }, () => {
  it('pulls the sandbox schema to --out, and a config reading that file checks clean', () => {
    const dir = makeTempDir('leadsync-schema-');
    try {
      const out = join(dir, 'sandbox.pulled.yaml');
      const run = runCli(['schema', 'pull', '--config', 'examples/leadsync.yaml', '--out', out, '--json']);
      expect(run.status).toBe(0);
      const pulled = JSON.parse(run.stdout) as PullJson;
      expect(pulled).toMatchObject({ ok: true, file: out, objects: 2, usedByConfig: false });
      expect(pulled.version).toMatch(/^sandbox-[0-9a-f]{12}$/);
      const config = readFileSync('examples/leadsync.yaml', 'utf8')
        .replace('schemaFile: crm-schema.yaml', `schemaFile: ${JSON.stringify(out)}`)
        .replace('./data/leadsync.db', JSON.stringify(join(dir, 'leadsync.db')))
        .replace('../schema/leadsync.schema.json', 'leadsync.schema.json');
      writeFileSync(join(dir, 'leadsync.yaml'), config);
      const original = JSON.parse(runCli(['check', '--json', '--config', 'examples/leadsync.yaml']).stdout) as CheckJson;
      const check = runCli(['check', '--json', '--config', join(dir, 'leadsync.yaml')]);
      const checked = JSON.parse(check.stdout) as CheckJson;
      expect(checked).toMatchObject({ schemaVersion: pulled.version, schemaIntegrity: 'intact' });
      expect(checked.findings).toEqual(original.findings);
    } finally {
      removeTempDir(dir);
    }
  });

  it('names the missing or misplaced destination settings', () => {
    const dir = makeTempDir('leadsync-schema-');
    try {
      const write = (destination: string): string => {
        const file = join(dir, 'leadsync.yaml');
        writeFileSync(file, `version: 1\ndestination:\n${destination}\nsources:\n  webform: { preset: webform }\n`);
        return file;
      };
      const noToken = runCli(['check', '--config', write('  kind: hubspot')]);
      expect(noToken.status).toBe(2);
      expect(noToken.stderr).toContain('destination.token');
      const salesforce = runCli(['check', '--config', write('  kind: salesforce\n  token: abc\n  instanceUrl: https://acme.my.salesforce.com\n  auth: { flow: client_credentials, clientId: x, clientSecret: y }')]);
      expect(salesforce.stderr).toContain('"token" is a hubspot setting');
      const badAuth = runCli(['check', '--config', write('  kind: salesforce\n  instanceUrl: https://acme.my.salesforce.com\n  auth: { flow: password, clientId: x }')]);
      expect(badAuth.status).toBe(2);
      expect(badAuth.stderr).toContain('destination.auth');
      const badLimit = runCli(['check', '--config', write('  kind: hubspot\n  token: abc\n  rateLimit: { realtimeReserve: 2 }')]);
      expect(badLimit.stderr).toContain('destination.rateLimit.realtimeReserve');
    } finally {
      removeTempDir(dir);
    }
  });
});
