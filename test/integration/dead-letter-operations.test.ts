import type { FastifyInstance } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildHttpApp } from '../../src/server/http-app.js';
import type { Runtime } from '../../src/server/runtime.js';
import {
  acceptFixture,
  acceptPayload,
  operatorWorkspaceForThisTest,
  drainQueue,
  fixturePayload,
  snapshotDatabase,
  type OperatorWorkspace,
} from '../support/operator-workspace.js';
import { grantToken, type AuthHeaders } from '../support/api-token-fixtures.js';

// DLQ operations end to end on a real SQLite file and the sandbox CRM, over
// the HTTP routes in-process (app.inject): a picklist mismatch is
// dead-lettered, the mapping is fixed (a second config), and the item is
// replayed, discarded or replayed in bulk.

const GRACE = 'contacts:grace.hopper@navy-labs.example.com';
// Requests authenticate with tokens; the token's name is the audit actor.
// `json` sends an app's default token (an operator's, maria@example.com) unless headers say otherwise.
const defaultAuth = new WeakMap<FastifyInstance, AuthHeaders>();
function authOf(app: FastifyInstance): AuthHeaders {
  const headers = defaultAuth.get(app);
  if (headers === undefined) throw new Error('setup() gives every app a default token');
  return headers;
}

interface Setup {
  readonly workspace: OperatorWorkspace;
  readonly original: Runtime;
  readonly fixed: Runtime;
  readonly app: FastifyInstance;
  readonly dlqId: string;
  /** An operator token named maria@example.com. */
  readonly maria: AuthHeaders;
}

/** A workspace with one open DLQ item (bad-lead-source), and the HTTP app on the fixed config. */
async function setup(): Promise<Setup> {
  const workspace = operatorWorkspaceForThisTest();
  const original = await workspace.open('original');
  const fixed = await workspace.open('fixed');
  const app = buildHttpApp({ runtime: fixed, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
  onTestFinished(() => app.close());
  const maria = await grantToken(fixed.storage.apiTokens, 'maria@example.com', 'operator');
  defaultAuth.set(app, maria);
  await acceptFixture(original, 'webform', 'webform/bad-lead-source.json');
  await drainQueue(original);
  const [item] = (await original.storage.deadLetters.list()).items;
  if (!item) throw new Error('expected a DLQ item');
  return { workspace, original, fixed, app, dlqId: item.id, maria };
}

async function json<T>(app: FastifyInstance, method: 'GET' | 'POST', url: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const response = await app.inject({
    method,
    url,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...(options.headers ?? authOf(app)) },
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
  });
  return { status: response.statusCode, body: response.json<T>() };
}

describe('DLQ operations (HTTP, SQLite, sandbox CRM)', () => {
  it('lists open items grouped by code, and shows one with its event summary but no raw payload', async () => {
    const { app, dlqId } = await setup();
    const listed = await json<{ groups: { errorCode: string; count: number }[]; items: { id: string; status: string; errorCode: string }[]; nextCursor: string | null }>(app, 'GET', '/v1/dlq');
    expect(listed.status).toBe(200);
    expect(listed.body.groups).toEqual([expect.objectContaining({ errorCode: 'CRM_PICKLIST_MISMATCH', count: 1 })]);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: dlqId, status: 'open', errorCode: 'CRM_PICKLIST_MISMATCH' })]);
    expect((await json<{ items: unknown[] }>(app, 'GET', '/v1/dlq?code=NORMALIZE_PHONE_INVALID')).body.items).toEqual([]);
    expect((await json<{ code: string }>(app, 'GET', '/v1/dlq?code=NOT_A_CODE')).body.code).toBe('USAGE_INVALID');

    const response = await app.inject({ method: 'GET', url: `/v1/dlq/${dlqId}`, headers: authOf(app) });
    expect(response.statusCode).toBe(200);
    const shown = response.json<{ item: { leadKey: string; trace: string }; event: { source: string; leadKey: string; payload: { state: string; topLevelKeys: string[] } }; history: { outcome: string }[] }>();
    expect(shown.item).toMatchObject({ leadKey: GRACE });
    expect(shown.item.trace).toContain('nearest: partner');
    expect(shown.event).toMatchObject({ source: 'webform', leadKey: GRACE, payload: { state: 'kept' } });
    expect(shown.event.payload.topLevelKeys).toEqual(expect.arrayContaining(['lead_source', 'email', 'first_name']));
    expect(shown.history.map((line) => line.outcome)).toEqual(['written', 'dead_lettered']);
    // Keys, not values: the person's name and title stay out of the answer.
    expect(response.body).not.toContain('Grace"');
    expect(response.body).not.toContain('Principal Engineer');

    const missing = await json<{ code: string; fix: string }>(app, 'GET', '/v1/dlq/999');
    expect(missing).toMatchObject({ status: 404, body: { code: 'DLQ_ITEM_NOT_FOUND' } });
    expect(missing.body.fix).toContain('leadsync dlq list');
  });

  it('replays after a mapping fix: the lead is written, the item is replayed, the audit shows replayed (person) then written', async () => {
    const { app, fixed, dlqId, maria: MARIA } = await setup();
    const noToken = await json<{ code: string; message: string }>(app, 'POST', `/v1/dlq/${dlqId}/replay`, { headers: {} });
    expect(noToken).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_MISSING' } });
    const viewer = await grantToken(fixed.storage.apiTokens, 'vera', 'viewer');
    const refused = await json<{ code: string; message: string }>(app, 'POST', `/v1/dlq/${dlqId}/replay`, { headers: viewer });
    expect(refused).toMatchObject({ status: 403, body: { code: 'AUTH_ROLE_INSUFFICIENT' } });
    expect(refused.body.message).toContain('operator');
    expect((await fixed.storage.deadLetters.get(dlqId))?.status).toBe('open');

    const replayed = await json<{ status: string; jobId: string; item: { status: string; resolvedBy: string; replayJobId: string } }>(app, 'POST', `/v1/dlq/${dlqId}/replay`, { headers: MARIA });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ status: 'replayed', item: { status: 'replayed', resolvedBy: 'maria@example.com' } });
    expect(replayed.body.item.replayJobId).toBe(replayed.body.jobId);

    const outcomes = await drainQueue(fixed);
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'settled', deadLetter: null })]);
    const [record] = await fixed.crm.read('contacts', [{ idField: 'email', id: 'grace.hopper@navy-labs.example.com' }]);
    expect(record).toMatchObject({ ok: true, found: true, properties: { lead_source: 'partner' } });

    const history = await fixed.storage.audit.history(GRACE);
    const [replayEntry, written] = history.slice(-2);
    expect(replayEntry).toMatchObject({ outcome: 'replayed', actor: { kind: 'person', name: 'maria@example.com' }, errorCode: 'CRM_PICKLIST_MISMATCH', mappingVersion: 'webform-v2@2' });
    expect(written).toMatchObject({ outcome: 'written', actor: { kind: 'source', name: 'webform' }, mappingVersion: 'webform-v2@2' });
    expect(written?.changes).toEqual([expect.objectContaining({ field: 'lead_source', before: null, after: 'partner' })]);

    expect((await json<{ items: unknown[] }>(app, 'GET', '/v1/dlq')).body.items).toEqual([]);
    expect((await json<{ items: { status: string }[] }>(app, 'GET', '/v1/dlq?status=replayed')).body.items).toEqual([expect.objectContaining({ status: 'replayed' })]);
    const again = await json<{ code: string; item: { status: string } }>(app, 'POST', `/v1/dlq/${dlqId}/replay`, { headers: MARIA });
    expect(again).toMatchObject({ status: 409, body: { code: 'DLQ_ITEM_NOT_OPEN', item: { status: 'replayed' } } });
    expect(await fixed.storage.audit.verify()).toMatchObject({ ok: true });
  });

  it('dry-run replay plans with the current mapping and changes nothing', async () => {
    const { workspace, app, original, dlqId, maria: MARIA } = await setup();
    // A token's first use records lastUsedAt (then at most once a minute): use it before the snapshot.
    await json(app, 'GET', '/v1/dlq');
    const before = snapshotDatabase(workspace.dbFile);

    const fixedPreview = await json<{ status: string; preview: { status: string; resolves: boolean; plan: { outcome: string; mapping: { name: string; version: number } } } }>(app, 'POST', `/v1/dlq/${dlqId}/replay?dryRun=true`, { headers: MARIA });
    expect(fixedPreview.status).toBe(200);
    expect(fixedPreview.body).toMatchObject({ status: 'dry_run', preview: { status: 'planned', resolves: true, plan: { outcome: 'write', mapping: { name: 'webform-v2', version: 2 } } } });

    const originalApp = buildHttpApp({ runtime: original, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
    // Both runtimes share one database file, so the token is valid on this app too.
    const unfixed = await json<{ preview: { resolves: boolean; plan: { outcome: string } } }>(originalApp, 'POST', `/v1/dlq/${dlqId}/replay?dryRun=true`, { headers: MARIA });
    await originalApp.close();
    expect(unfixed.body.preview).toMatchObject({ resolves: false, plan: { outcome: 'partial' } });

    expect((await json(app, 'POST', `/v1/dlq/${dlqId}/discard?dryRun=true`, { headers: MARIA })).body).toMatchObject({ status: 'dry_run', item: { status: 'open' } });
    expect((await json(app, 'POST', '/v1/dlq/replay', { headers: MARIA, body: { code: 'CRM_PICKLIST_MISMATCH', dryRun: true } })).body).toMatchObject({ dryRun: true, results: [{ status: 'dry_run' }] });
    expect(snapshotDatabase(workspace.dbFile)).toEqual(before);
  });

  it('discards: the item is closed, audited as discarded with the actor, and its event is not written', async () => {
    const { app, fixed, dlqId, maria: MARIA } = await setup();
    const opsLead = await grantToken(fixed.storage.apiTokens, 'ops-lead', 'operator');
    const discarded = await json<{ status: string; item: { status: string; resolvedBy: string }; auditIds: string[] }>(app, 'POST', `/v1/dlq/${dlqId}/discard`, { headers: opsLead });
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ status: 'discarded', item: { status: 'discarded', resolvedBy: 'ops-lead' }, auditIds: [expect.any(String)] });
    expect(await drainQueue(fixed)).toEqual([]);

    const audit = await json<{ items: { outcome: string; actor: unknown; eventId: string }[] }>(app, 'GET', `/v1/audit?leadKey=${encodeURIComponent(GRACE)}&outcome=discarded`);
    expect(audit.body.items).toEqual([expect.objectContaining({ outcome: 'discarded', actor: { kind: 'person', name: 'ops-lead' } })]);
    expect((await json(app, 'POST', `/v1/dlq/${dlqId}/discard`, { headers: MARIA })).body).toMatchObject({ code: 'DLQ_ITEM_NOT_OPEN' });
    expect((await json(app, 'POST', `/v1/dlq/${dlqId}/replay`, { headers: MARIA })).status).toBe(409);
  });

  it('replays every open item of one code (optionally of one source), oldest first, leaving other codes alone', async () => {
    const { app, original, fixed, maria: MARIA } = await setup();
    for (const name of ['ada', 'alan']) {
      await acceptPayload(original, 'webform', fixturePayload('webform/bad-lead-source.json', { email: `${name}@navy-labs.example.com`, submission_id: `sub_${name}` }));
    }
    await acceptFixture(original, 'zoominfo', 'zoominfo/bad-phone.json');
    await drainQueue(original);
    const groups = (await json<{ groups: { errorCode: string; count: number }[] }>(app, 'GET', '/v1/dlq')).body.groups;
    expect(groups).toEqual([expect.objectContaining({ errorCode: 'CRM_PICKLIST_MISMATCH', count: 3 }), expect.objectContaining({ errorCode: 'NORMALIZE_PHONE_INVALID', count: 1 })]);

    const otherSource = await json<{ results: unknown[] }>(app, 'POST', '/v1/dlq/replay', { headers: MARIA, body: { code: 'CRM_PICKLIST_MISMATCH', source: 'segment' } });
    expect(otherSource.body.results).toEqual([]);
    expect((await json(app, 'POST', '/v1/dlq/replay', { headers: MARIA, body: { source: 'webform' } })).status).toBe(400);
    const typo = await json<{ code: string; message: string }>(app, 'POST', '/v1/dlq/replay', { headers: MARIA, body: { code: 'CRM_PICKLIST_MISMATCH', dry_run: true } });
    expect(typo).toMatchObject({ status: 400, body: { code: 'USAGE_INVALID', message: 'body has an unknown parameter "dry_run"' } });

    const all = await json<{ code: string; source: string; dryRun: boolean; results: { status: string; item: { id: string; leadKey: string } }[] }>(app, 'POST', '/v1/dlq/replay', { headers: MARIA, body: { code: 'CRM_PICKLIST_MISMATCH', source: 'webform' } });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ code: 'CRM_PICKLIST_MISMATCH', source: 'webform', dryRun: false });
    expect(all.body.results.map((result) => result.status)).toEqual(['replayed', 'replayed', 'replayed']);
    const ids = all.body.results.map((result) => Number(result.item.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    await drainQueue(fixed);
    const remaining = (await json<{ items: { errorCode: string }[] }>(app, 'GET', '/v1/dlq')).body.items;
    expect(remaining.map((item) => item.errorCode)).toEqual(['NORMALIZE_PHONE_INVALID']);
    for (const key of [GRACE, 'contacts:ada@navy-labs.example.com', 'contacts:alan@navy-labs.example.com']) {
      const [record] = await fixed.crm.read('contacts', [{ idField: 'email', id: key.slice('contacts:'.length) }]);
      expect(record).toMatchObject({ found: true, properties: { lead_source: 'partner' } });
    }
  });
});
