import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

describe('leadsync normalize', () => {
  it('prints one JSON object and exits 0 for a value it can normalize', () => {
    const run = runCli(['normalize', 'title', 'Sr. Dir, Sales Ops']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ function: 'operations', seniority: 'director' });
  });

  it('exits 1 with an error string when it cannot normalize', () => {
    const run = runCli(['normalize', 'country', 'Atlantis']);
    expect(run.status).toBe(1);
    const output = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(typeof output['error']).toBe('string');
    expect(output['code']).toBe('NORMALIZE_COUNTRY_UNKNOWN');
  });

  it('reads national phone numbers with --country', () => {
    const run = runCli(['normalize', 'phone', '030 901820', '--country', 'DE']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ e164: '+4930901820' });
  });

  it('batch mode: one JSON line per stdin line, failures carry error, exit 0', () => {
    const run = runCli(['normalize', 'intent', '-'], '0.42\nhot\n250\n');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ score: 42, level: 'medium' });
    expect(lines[1]).toMatchObject({ score: null, level: 'high' });
    expect(typeof lines[2]?.['error']).toBe('string');
  });

  it('exits 2 for an unknown kind or missing value', () => {
    expect(runCli(['normalize', 'shoe-size', '42']).status).toBe(2);
    expect(runCli(['normalize', 'title']).status).toBe(2);
  });
});

describe('leadsync dry-run', () => {
  it('prints a readable plan for a preset fixture and exits 0 when it would be written', () => {
    const run = runCli(['dry-run', '--config', 'examples/leadsync.yaml', '--source', 'webform', 'test/fixtures/webform/demo-request.json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('WRITE');
    expect(run.stdout).toContain('contacts:ada.lovelace@acme-analytics.co.uk (new record');
    expect(run.stdout).toMatch(/seniority\s+change\s+–\s+vp/);
  });

  it('prints JSON with --json, including identity and hashes', () => {
    const run = runCli(['dry-run', '--json', '--config', 'examples/leadsync.yaml', '--source', 'apollo', 'test/fixtures/apollo/person-match.json']);
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(plan).toMatchObject({ outcome: 'write', source: 'apollo', leadId: '64a7f2c9e1b2a30001d4c9e1', mapping: { name: 'preset:apollo', version: 1 }, schemaVersion: '2026-11-01' });
    expect(plan['payloadHash']).toMatch(/^[0-9a-f]{64}$/);
    expect(plan['idempotencyKey']).toContain('64a7f2c9e1b2a30001d4c9e1');
  });

  it('exits 1 and names the code and nearest options when a value would be rejected', () => {
    const run = runCli(['dry-run', '--config', 'examples/leadsync.yaml', '--source', 'webform', 'test/fixtures/webform/bad-lead-source.json']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('CRM_PICKLIST_MISMATCH');
    expect(run.stdout).toContain('did you mean');
  });

  it('reads the payload from stdin and merges against --current', () => {
    const dir = tempDirForThisTest('leadsync-dry-run-');
    const current = join(dir, 'current.json');
    writeFileSync(current, JSON.stringify({ contacts: { id: '501', fields: { lifecyclestage: 'customer', firstname: { value: 'Ada', appliedAt: '2026-11-01T00:00:00.000Z', confidence: 1, source: 'webform' } } } }));
    const payload = readFileSync('test/fixtures/webform/demo-request.json', 'utf8');
    const run = runCli(['dry-run', '--json', '--config', 'examples/leadsync.yaml', '--source', 'webform', '--current', current, '-'], payload);
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.stdout) as { objects: { object: string; recordId: string | null; fields: { field: string; kind: string; skip?: string }[] }[] };
    const contact = plan.objects.find((object) => object.object === 'contacts');
    expect(contact?.recordId).toBe('501');
    expect(contact?.fields.find((field) => field.field === 'lifecyclestage')).toMatchObject({ kind: 'skip', skip: 'policy' });
    expect(contact?.fields.find((field) => field.field === 'firstname')).toMatchObject({ kind: 'skip', skip: 'no_change' });
  });

  it('exits 2 for an unknown source or an unreadable payload', () => {
    expect(runCli(['dry-run', '--config', 'examples/leadsync.yaml', '--source', 'nope', 'test/fixtures/webform/demo-request.json']).status).toBe(2);
    const missing = runCli(['dry-run', '--config', 'examples/leadsync.yaml', '--source', 'webform', 'missing.json']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('missing.json');
  });
});

describe('leadsync check', () => {
  it('passes on the example config', () => {
    const run = runCli(['check', '--config', 'examples/leadsync.yaml']);
    expect(run.stdout).toMatch(/^OK /);
    expect(run.status).toBe(0);
  });

  it('fails usefully on a broken copy: picklist map to a missing option, unknown field, required field', () => {
    const dir = tempDirForThisTest('leadsync-check-');
    const schema = readFileSync('examples/crm-schema.yaml', 'utf8')
      // The CRM renamed an option and gained a required field.
      .replace('{ value: demo_request, label: Demo Request }', '{ value: demo, label: Demo }')
      .replace('firstname: { type: string, label: First name, maxLength: 100 }', 'firstname: { type: string, label: First name, maxLength: 100 }\n      gdpr_basis: { type: string, label: GDPR basis, required: true }');
    writeFileSync(join(dir, 'crm-schema.yaml'), schema);
    copyFileSync('examples/leadsync.yaml', join(dir, 'leadsync.yaml'));
    writeFileSync(
      join(dir, 'leadsync.yaml'),
      readFileSync(join(dir, 'leadsync.yaml'), 'utf8').replace('contacts.linkedin_url: { policy: fill_empty }', 'contacts.linkedin_ur: { policy: fill_empty }'),
    );
    const run = runCli(['check', '--json', '--config', join(dir, 'leadsync.yaml')]);
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as { ok: boolean; findings: { code: string; where: string; suggestions?: string[] }[] };
    expect(result.ok).toBe(false);
    const codes = result.findings.map((finding) => `${finding.code} ${finding.where}`);
    expect(codes).toContain('CHECK_PICKLIST_OPTION_MISSING webform → contacts.lead_source');
    expect(codes).toContain('CHECK_REQUIRED_UNMAPPED webform → contacts.gdpr_basis');
    expect(codes).toContain('CRM_FIELD_UNKNOWN policies → contacts.linkedin_ur');
    expect(result.findings.find((finding) => finding.where === 'policies → contacts.linkedin_ur')?.suggestions).toContain('linkedin_url');
    const human = runCli(['check', '--config', join(dir, 'leadsync.yaml')]);
    expect(human.status).toBe(1);
    expect(human.stdout).toContain('problems in');
  });

  it('exits 2 with file:line for an invalid config', () => {
    const dir = tempDirForThisTest('leadsync-check-');
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
    writeFileSync(join(dir, 'leadsync.yaml'), readFileSync('examples/leadsync.yaml', 'utf8').replace('  maxRetries: 3', '  maxRetries: -1'));
    const run = runCli(['check', '--config', join(dir, 'leadsync.yaml')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/CONFIG_INVALID: .*leadsync\.yaml:\d+:\d+ retry\.maxRetries: /);
  });
});
