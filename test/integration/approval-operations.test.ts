import type { FastifyInstance } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildHttpApp } from '../../src/server/http-app.js';
import type { Runtime } from '../../src/server/runtime.js';
import { acceptFixture, acceptPayload, operatorWorkspaceForThisTest, drainQueue, fixturePayload, snapshotDatabase, type OperatorWorkspace } from '../support/operator-workspace.js';
import { grantToken, type AuthHeaders } from '../support/api-token-fixtures.js';

// Approvals end to end on a real SQLite file and the sandbox CRM, over the
// HTTP routes in-process: an owner change waits for a person, who approves
// (the field is written and the person audited), rejects, or finds it stale.

const ADA_EMAIL = 'ada.lovelace@acme-analytics.co.uk';
const ADA = `contacts:${ADA_EMAIL}`;
// Requests authenticate with tokens; the token's name is the audit actor. Each app's default is an operator token named maria@example.com.
const defaultAuth = new WeakMap<FastifyInstance, AuthHeaders>();
function authOf(app: FastifyInstance): AuthHeaders {
  const headers = defaultAuth.get(app);
  if (headers === undefined) throw new Error('setup() gives every app a default token');
  return headers;
}

interface Setup {
  readonly workspace: OperatorWorkspace;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
}

async function setup(options: { now?: () => Date } = {}): Promise<Setup> {
  const workspace = operatorWorkspaceForThisTest();
  const runtime = await workspace.open('original');
  const app = buildHttpApp({ runtime, bodyLimitBytes: 1_048_576, now: options.now ?? (() => new Date()), isReady: () => true });
  onTestFinished(() => app.close());
  defaultAuth.set(app, await grantToken(runtime.storage.apiTokens, 'maria@example.com', 'operator'));
  return { workspace, runtime, app };
}

/** Ada is written by a demo request, then an owner change (owner-4471) waits for approval; returns the item id. */
async function proposeOwner(runtime: Runtime, payload = fixturePayload('webform/owner-change.json'), createdAt?: Date): Promise<string> {
  if ((await runtime.storage.audit.history(ADA)).length === 0) {
    await acceptFixture(runtime, 'webform', 'webform/demo-request.json');
    await drainQueue(runtime);
  }
  await acceptPayload(runtime, 'webform', payload);
  await drainQueue(runtime, createdAt === undefined ? {} : { now: () => createdAt });
  const [item] = (await runtime.storage.approvals.list({ status: 'pending' })).items;
  if (!item) throw new Error('expected a pending approval');
  return item.id;
}

async function owner(runtime: Runtime): Promise<unknown> {
  const [record] = await runtime.crm.read('contacts', [{ idField: 'email', id: ADA_EMAIL }]);
  return record?.ok === true && record.found ? (record.properties['hubspot_owner_id'] ?? null) : undefined;
}

async function post<T>(app: FastifyInstance, url: string, headers: Record<string, string> | undefined = authOf(app)): Promise<{ status: number; body: T }> {
  const response = await app.inject({ method: 'POST', url, headers });
  return { status: response.statusCode, body: response.json<T>() };
}

describe('approvals (HTTP, SQLite, sandbox CRM)', () => {
  it('approve writes the one field through the CRM, records the decision and field state, and audits the person', async () => {
    const { app, runtime } = await setup();
    const id = await proposeOwner(runtime);
    const listed = (await app.inject({ method: 'GET', url: '/v1/approvals', headers: authOf(app) })).json<{ items: { id: string; field: string; before: unknown; proposed: unknown; status: string }[] }>();
    expect(listed.items).toEqual([expect.objectContaining({ id, field: 'hubspot_owner_id', before: null, proposed: 'owner-4471', status: 'pending' })]);
    expect(await owner(runtime)).toBeNull();

    expect(await post<{ code: string }>(app, `/v1/approvals/${id}/approve`, {})).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_MISSING' } });
    const viewer = await grantToken(runtime.storage.apiTokens, 'vic', 'viewer');
    expect(await post<{ code: string }>(app, `/v1/approvals/${id}/approve`, viewer)).toMatchObject({ status: 403, body: { code: 'AUTH_ROLE_INSUFFICIENT' } });
    const approved = await post<{ status: string; item: { status: string; decidedBy: string }; write: Record<string, unknown>; recordId: string; auditIds: string[] }>(app, `/v1/approvals/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      item: { status: 'approved', decidedBy: 'maria@example.com' },
      write: { object: 'contacts', idField: 'email', id: ADA_EMAIL, field: 'hubspot_owner_id', before: null, after: 'owner-4471' },
      auditIds: [expect.any(String)],
    });
    expect(await owner(runtime)).toBe('owner-4471');
    expect((await runtime.storage.fieldState.read(ADA, 'contacts'))['hubspot_owner_id']).toEqual({ value: 'owner-4471', appliedAt: '2026-11-22T16:20:00.000Z', confidence: 1, source: 'webform' });

    const entry = (await runtime.storage.audit.history(ADA)).at(-1);
    expect(entry).toMatchObject({
      outcome: 'approved',
      actor: { kind: 'person', name: 'maria@example.com' },
      mappingVersion: 'preset:webform@1',
      crmRecordId: approved.body.recordId,
      changes: [{ field: 'hubspot_owner_id', before: null, after: 'owner-4471', confidence: 1, reason: 'approved by maria@example.com: webform: owner_id' }],
    });
    expect((await app.inject({ method: 'GET', url: '/v1/approvals', headers: authOf(app) })).json()).toMatchObject({ items: [] });
    expect(await post(app, `/v1/approvals/${id}/approve`)).toMatchObject({ status: 409, body: { code: 'APPROVAL_NOT_PENDING', item: { status: 'approved' } } });
    expect(await post(app, '/v1/approvals/999/approve')).toMatchObject({ status: 404, body: { code: 'APPROVAL_NOT_FOUND' } });
    expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
  });

  it('dry-run approve and reject report the write and change nothing', async () => {
    const { app, runtime, workspace } = await setup();
    const id = await proposeOwner(runtime);
    // A token's first use records lastUsedAt (then at most once a minute): use it before the snapshot.
    await app.inject({ method: 'GET', url: '/v1/approvals', headers: authOf(app) });
    const before = snapshotDatabase(workspace.dbFile);
    expect(await post(app, `/v1/approvals/${id}/approve?dryRun=true`)).toMatchObject({ status: 200, body: { status: 'dry_run', write: { after: 'owner-4471' }, item: { status: 'pending' } } });
    expect(await post(app, `/v1/approvals/${id}/reject?dryRun=true`)).toMatchObject({ status: 200, body: { status: 'dry_run', item: { status: 'pending' } } });
    expect(await post(app, `/v1/approvals/${id}/approve?dry_run=true`)).toMatchObject({ status: 400, body: { code: 'USAGE_INVALID' } });
    expect(snapshotDatabase(workspace.dbFile)).toEqual(before);
  });

  it('refuses a stale approval when the CRM value changed since the item was created; nothing is written or marked', async () => {
    const { app, runtime } = await setup();
    const id = await proposeOwner(runtime);
    // A person reassigns the lead in the CRM directly.
    await runtime.crm.upsert('contacts', [{ idField: 'email', id: ADA_EMAIL, properties: { hubspot_owner_id: 'owner-9' } }]);
    const entries = (await runtime.storage.audit.history(ADA)).length;

    const refused = await post<{ code: string; reason: string; message: string; item: { status: string } }>(app, `/v1/approvals/${id}/approve`);
    expect(refused).toMatchObject({ status: 409, body: { code: 'APPROVAL_STALE', reason: 'crm_value_changed', item: { status: 'pending' } } });
    expect(refused.body.message).not.toContain('owner-9');
    expect(await owner(runtime)).toBe('owner-9');
    expect(await runtime.storage.approvals.get(id)).toMatchObject({ status: 'pending' });
    expect(await runtime.storage.audit.history(ADA)).toHaveLength(entries);
  });

  it('refuses an approval older than a change already applied to the field', async () => {
    const { app, runtime } = await setup();
    const older = await proposeOwner(runtime);
    await acceptPayload(runtime, 'webform', fixturePayload('webform/owner-change.json', { owner_id: 'owner-5000', submitted_at: '2026-11-24T09:00:00Z', submission_id: 'sub_newer' }));
    await drainQueue(runtime);
    const newer = (await runtime.storage.approvals.list({ status: 'pending' })).items.find((item) => item.proposed === 'owner-5000')?.id ?? '';
    expect(await post(app, `/v1/approvals/${newer}/approve`)).toMatchObject({ status: 200, body: { status: 'approved' } });

    const refused = await post<{ code: string; reason: string; message: string }>(app, `/v1/approvals/${older}/approve`);
    expect(refused).toMatchObject({ status: 409, body: { code: 'APPROVAL_STALE', reason: 'newer_change_applied' } });
    expect(refused.body.message).toContain('2026-11-24T09:00:00.000Z');
    expect(await owner(runtime)).toBe('owner-5000');
  });

  it('reject records the person and leaves the CRM alone', async () => {
    const { app, runtime } = await setup();
    const id = await proposeOwner(runtime);
    const rejected = await post<{ status: string; item: { status: string; decidedBy: string } }>(app, `/v1/approvals/${id}/reject`, await grantToken(runtime.storage.apiTokens, 'sam', 'operator'));
    expect(rejected).toMatchObject({ status: 200, body: { status: 'rejected', item: { status: 'rejected', decidedBy: 'sam' } } });
    expect(await owner(runtime)).toBeNull();
    expect((await runtime.storage.audit.history(ADA)).at(-1)).toMatchObject({
      outcome: 'rejected',
      actor: { kind: 'person', name: 'sam' },
      changes: [{ field: 'hubspot_owner_id', before: null, after: 'owner-4471', reason: 'rejected by sam: webform: owner_id' }],
    });
    expect(await post(app, `/v1/approvals/${id}/approve`)).toMatchObject({ status: 409, body: { code: 'APPROVAL_NOT_PENDING', item: { status: 'rejected' } } });
  });

  it('expires items older than approvals.expireAfterDays before listing or deciding', async () => {
    const { app, runtime } = await setup();
    const fifteenDaysAgo = new Date(Date.now() - 15 * 86_400_000);
    const id = await proposeOwner(runtime, undefined, fifteenDaysAgo);
    expect(await runtime.storage.approvals.get(id)).toMatchObject({ status: 'pending', createdAt: fifteenDaysAgo });
    // A dry run reports what a real decision would find, and expires nothing itself.
    expect(await post(app, `/v1/approvals/${id}/approve?dryRun=true`)).toMatchObject({ status: 409, body: { code: 'APPROVAL_NOT_PENDING', item: { status: 'expired' } } });
    expect(await runtime.storage.approvals.get(id)).toMatchObject({ status: 'pending' });

    const listed = (await app.inject({ method: 'GET', url: '/v1/approvals', headers: authOf(app) })).json<{ items: unknown[]; expired: number }>();
    expect(listed).toMatchObject({ items: [], expired: 1 });
    expect((await app.inject({ method: 'GET', url: '/v1/approvals?status=expired', headers: authOf(app) })).json()).toMatchObject({ items: [{ id, status: 'expired' }] });
    expect(await post(app, `/v1/approvals/${id}/approve`)).toMatchObject({ status: 409, body: { code: 'APPROVAL_NOT_PENDING', item: { status: 'expired' } } });
    expect(await owner(runtime)).toBeNull();
  });
});
