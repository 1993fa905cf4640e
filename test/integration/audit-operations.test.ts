import { describe, expect, it, onTestFinished } from 'vitest';
import { leadHistory } from '../../src/app/audit-queries.js';
import { replayDeadLetter } from '../../src/app/dead-letter-actions.js';
import { buildHttpApp } from '../../src/server/http-app.js';
import { startService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { operatorDeps } from '../../src/server/operator-deps.js';
import { acceptFixture, drainQueue, operatorWorkspaceForThisTest, tamperAuditRow } from '../support/operator-workspace.js';
import { grantToken } from '../support/api-token-fixtures.js';

// Audit search, the per-field history and chain verification on a real
// SQLite file; then the operator API over a real socket with the worker running.

const GRACE = 'contacts:grace.hopper@navy-labs.example.com';


describe('audit queries (HTTP in-process, SQLite)', () => {
  it('shows a lead\'s per-field history after a replay: before → after, confidence, reason, mapping version, actor', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const original = await workspace.open('original');
    await acceptFixture(original, 'webform', 'webform/bad-lead-source.json');
    await drainQueue(original);
    const fixed = await workspace.open('fixed');
    const [item] = (await fixed.storage.deadLetters.list()).items;
    expect(await replayDeadLetter(operatorDeps(fixed, () => new Date()).deadLetters, item?.id ?? '', 'maria')).toMatchObject({ status: 'replayed' });
    await drainQueue(fixed);

    const history = await leadHistory(fixed.storage.audit, GRACE);
    expect(history.timeline.map((entry) => `${entry.outcome}/${entry.actor.kind}:${entry.actor.name}`)).toEqual([
      'written/source:webform',
      'dead_lettered/system:leadsync',
      'replayed/person:maria',
      'written/source:webform',
    ]);
    expect(history.timeline.map((entry) => entry.mappingVersion)).toEqual(['preset:webform@1', 'preset:webform@1', 'webform-v2@2', 'webform-v2@2']);
    const leadSource = history.fields.find((field) => field.field === 'lead_source');
    expect(leadSource?.entries).toEqual([
      expect.objectContaining({ before: null, after: 'partner', confidence: 1, reason: 'webform: lead_source', mappingVersion: 'webform-v2@2', actor: { kind: 'source', name: 'webform' }, outcome: 'written' }),
    ]);
    expect(history.fields.find((field) => field.field === 'jobtitle')?.entries).toEqual([expect.objectContaining({ before: null, after: 'Principal Engineer', mappingVersion: 'preset:webform@1' })]);
    expect(history.fields.map((field) => field.field)).toEqual([...history.fields.map((field) => field.field)].sort());
  });

  it('searches with filters and pages, verifies the chain, and names a tampered row', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const runtime = await workspace.open('original');
    await acceptFixture(runtime, 'webform', 'webform/demo-request.json');
    await acceptFixture(runtime, 'webform', 'webform/bad-lead-source.json');
    await drainQueue(runtime);
    const app = buildHttpApp({ runtime, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
    onTestFinished(() => app.close());
    const viewer = await grantToken(runtime.storage.apiTokens, 'auditor', 'viewer');
    const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
      const response = await app.inject({ method: 'GET', url, headers: viewer });
      return { status: response.statusCode, body: response.json<T>() };
    };

    const all = await get<{ items: { id: string; outcome: string }[]; nextCursor: string | null }>('/v1/audit');
    // The demo request writes a contact and a company; the bad lead source writes what it can, then is dead-lettered.
    expect(all.body.items.map((entry) => entry.outcome)).toEqual(['dead_lettered', 'written', 'written', 'written']);
    // A viewer reads with personal data masked: the lead key's email keeps its first letter and domain.
    expect(JSON.stringify(all.body)).not.toContain('grace.hopper@');
    expect(JSON.stringify(all.body)).toContain('g***@navy-labs.example.com');
    const first = await get<{ items: { id: string }[]; nextCursor: string }>('/v1/audit?limit=3');
    expect(first.body.items).toHaveLength(3);
    const second = await get<{ items: { id: string }[]; nextCursor: string | null }>(`/v1/audit?limit=3&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((entry) => entry.id)).toEqual(all.body.items.map((entry) => entry.id));
    expect(second.body.nextCursor).toBeNull();
    expect((await get<{ items: unknown[] }>(`/v1/audit?leadKey=${encodeURIComponent(GRACE)}&outcome=written`)).body.items).toHaveLength(1);
    expect((await get<{ items: unknown[] }>('/v1/audit?source=segment')).body.items).toEqual([]);
    expect((await get<{ items: unknown[] }>(`/v1/audit?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).body.items).toEqual([]);
    expect((await get<{ items: unknown[] }>(`/v1/audit?from=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).body.items).toHaveLength(4);
    expect(await get('/v1/audit?cursor=nonsense')).toMatchObject({ status: 400, body: { code: 'PAGE_CURSOR_INVALID' } });
    expect(await get('/v1/audit?from=yesterday')).toMatchObject({ status: 400, body: { code: 'USAGE_INVALID' } });
    expect(await get('/v1/audit?lead=x')).toMatchObject({ status: 400, body: { code: 'USAGE_INVALID', message: 'querystring has an unknown parameter "lead"' } });

    expect(await get('/v1/audit/verify')).toMatchObject({ status: 200, body: { ok: true, rows: 4 } });
    const victim = all.body.items[1]?.id ?? '';
    tamperAuditRow(workspace.dbFile, victim);
    expect(await get('/v1/audit/verify')).toMatchObject({
      status: 200,
      body: { ok: false, rows: Number(victim) - 1, firstBrokenId: victim, reason: 'row_hash_mismatch', code: 'AUDIT_CHAIN_BROKEN' },
    });
  });
});

describe('operator API over a real socket, worker running', () => {
  it('replays a DLQ item after a mapping fix, replays by code, and approves an owner change', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const original = await workspace.open('original');
    await acceptFixture(original, 'webform', 'webform/bad-lead-source.json');
    await acceptFixture(original, 'webform', 'webform/demo-request.json');
    await acceptFixture(original, 'webform', 'webform/owner-change.json');
    await drainQueue(original);
    await original.close();

    const service = await startService(await workspace.load('fixed'), { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) });
    onTestFinished(() => service.stop());
    // The first start created an admin token; a person gets their own, named for the audit.
    expect(service.firstAdminToken).toMatch(/^lsk_/);
    const maria = await grantToken(service.storage.apiTokens, 'maria', 'operator');
    const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${service.url}${path}`, {
        method,
        headers: { ...maria, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    };

    const dlq = await call<{ items: { id: string }[] }>('GET', '/v1/dlq');
    const id = dlq.body.items[0]?.id ?? '';
    expect(await call('POST', `/v1/dlq/${id}/replay`)).toMatchObject({ status: 200, body: { status: 'replayed' } });
    const deadline = Date.now() + 10_000;
    let properties: Record<string, unknown> = {};
    while (properties['lead_source'] !== 'partner' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      properties = (await call<{ record: { properties: Record<string, unknown> } | null }>('GET', `/v1/leads/${GRACE}`)).body.record?.properties ?? {};
    }
    expect(properties['lead_source']).toBe('partner');
    expect(await call('POST', '/v1/dlq/replay', { code: 'CRM_PICKLIST_MISMATCH' })).toMatchObject({ status: 200, body: { results: [] } });
    expect(await call('POST', '/v1/dlq/replay', '{"code":')).toMatchObject({ status: 400 });

    const approvals = await call<{ items: { id: string }[] }>('GET', '/v1/approvals');
    expect(await call('POST', `/v1/approvals/${approvals.body.items[0]?.id ?? ''}/approve`)).toMatchObject({ status: 200, body: { status: 'approved', write: { after: 'owner-4471' } } });
    expect(await call('GET', '/v1/audit/verify')).toMatchObject({ status: 200, body: { ok: true } });
  });
});
