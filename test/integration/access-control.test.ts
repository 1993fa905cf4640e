import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildHttpApp } from '../../src/server/http-app.js';
import type { Runtime } from '../../src/server/runtime.js';
import { grantToken, type AuthHeaders } from '../support/api-token-fixtures.js';
import { acceptFixture, operatorWorkspaceForThisTest, drainQueue, type OperatorWorkspace } from '../support/operator-workspace.js';

// Tokens, roles, the session cookie, read-only mode, masking and the
// dashboard's own endpoints, in-process (app.inject) on a real SQLite file.

interface Setup {
  readonly workspace: OperatorWorkspace;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  readonly admin: AuthHeaders;
  readonly operator: AuthHeaders;
  readonly viewer: AuthHeaders;
}

async function setup(options: { readOnly?: boolean } = {}): Promise<Setup> {
  const workspace = operatorWorkspaceForThisTest();
  const runtime = await workspace.open('original');
  const loaded = options.readOnly ? { ...runtime.config, document: { ...runtime.config.document, service: { ...runtime.config.document.service, readOnly: true } } } : undefined;
  if (loaded) runtime.reload(loaded);
  const app = buildHttpApp({ runtime, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
  onTestFinished(() => app.close());
  await acceptFixture(runtime, 'webform', 'webform/bad-lead-source.json');
  await drainQueue(runtime);
  return {
    workspace,
    runtime,
    app,
    admin: await grantToken(runtime.storage.apiTokens, 'root', 'admin'),
    operator: await grantToken(runtime.storage.apiTokens, 'maria', 'operator'),
    viewer: await grantToken(runtime.storage.apiTokens, 'vera', 'viewer'),
  };
}

async function call<T>(app: FastifyInstance, method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  const response = await app.inject({ method, url, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  return { status: response.statusCode, body: response.json<T>(), headers: response.headers };
}

describe('access control', () => {
  it('leaves health and ingest open, and checks roles on every operator route', async () => {
    const { app, admin, operator, viewer } = await setup();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // Ingest is judged by its signature: no token needed, a missing signature is its own 401.
    expect(await call(app, 'POST', '/v1/events/webform', {}, { any: 'thing' })).toMatchObject({ status: 401, body: { code: 'INGEST_SIGNATURE_MISSING' } });

    expect(await call(app, 'GET', '/v1/audit')).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_MISSING' } });
    expect(await call(app, 'GET', '/v1/audit', { authorization: 'Bearer lsk_0000000000000000000000000000000000000000000' })).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_INVALID' } });
    expect((await call(app, 'GET', '/v1/audit', viewer)).status).toBe(200);
    expect(await call(app, 'POST', '/v1/dlq/1/discard?dryRun=true', viewer)).toMatchObject({ status: 403, body: { code: 'AUTH_ROLE_INSUFFICIENT' } });
    expect((await call(app, 'POST', '/v1/dlq/1/discard?dryRun=true', operator)).status).toBe(200);
    expect(await call(app, 'GET', '/v1/tokens', operator)).toMatchObject({ status: 403, body: { code: 'AUTH_ROLE_INSUFFICIENT' } });
    expect(await call(app, 'POST', '/v1/config/check', operator)).toMatchObject({ status: 403 });
    const tokens = await call<{ items: { name: string; role: string; lastUsedAt: string | null }[] }>(app, 'GET', '/v1/tokens', admin);
    expect(tokens.body.items.map((token) => [token.name, token.role])).toEqual([['root', 'admin'], ['maria', 'operator'], ['vera', 'viewer']]);
    expect(JSON.stringify(tokens.body)).not.toMatch(/lsk_|hash/);
  });

  it('refuses a revoked token at once', async () => {
    const { app, admin, operator } = await setup();
    expect((await call(app, 'GET', '/v1/dlq', operator)).status).toBe(200);
    expect(await call(app, 'POST', '/v1/tokens/maria/revoke', admin)).toMatchObject({ status: 200, body: { status: 'revoked', token: { name: 'maria' } } });
    expect(await call(app, 'GET', '/v1/dlq', operator)).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_INVALID' } });
    expect(await call(app, 'POST', '/v1/tokens/maria/revoke', admin)).toMatchObject({ status: 404, body: { code: 'AUTH_TOKEN_NOT_FOUND' } });
  });

  it('logs a browser in with an HttpOnly, SameSite=Strict cookie and wants the dashboard header on changes', async () => {
    const { app, viewer, operator } = await setup();
    expect(await call(app, 'POST', '/v1/session', {}, { token: 'lsk_nope' })).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_INVALID' } });
    const login = await call<{ name: string; role: string }>(app, 'POST', '/v1/session', {}, { token: operator.authorization.slice('Bearer '.length) });
    expect(login.body).toEqual({ name: 'maria', role: 'operator', readOnly: false });
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^leadsync_session=lsk_/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = { cookie: cookie.split(';')[0] ?? '' };
    expect(await call(app, 'GET', '/v1/session', session)).toMatchObject({ status: 200, body: { name: 'maria' } });
    expect(await call(app, 'POST', '/v1/dlq/1/discard?dryRun=true', session)).toMatchObject({ status: 403, body: { code: 'AUTH_ORIGIN_REFUSED' } });
    expect((await call(app, 'POST', '/v1/dlq/1/discard?dryRun=true', { ...session, 'x-leadsync-dashboard': '1' })).status).toBe(200);
    const logout = await call(app, 'POST', '/v1/session/logout', session);
    expect(String(logout.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await call(app, 'GET', '/v1/session', viewer)).body).toMatchObject({ role: 'viewer' });
  });

  it('masks emails for viewers only', async () => {
    const { app, viewer, operator } = await setup();
    const masked = await call<{ items: { leadKey: string; message: string }[] }>(app, 'GET', '/v1/dlq', viewer);
    expect(masked.body.items[0]?.leadKey).toBe('contacts:g***@navy-labs.example.com');
    const lead = await call<{ entries: unknown[] }>(app, 'GET', `/v1/leads/${encodeURIComponent('contacts:grace.hopper@navy-labs.example.com')}/audit`, viewer);
    expect(JSON.stringify(lead.body)).not.toContain('grace.hopper@');
    expect(lead.body.entries.length).toBeGreaterThan(0);
    expect((await call<{ items: { leadKey: string }[] }>(app, 'GET', '/v1/dlq', operator)).body.items[0]?.leadKey).toBe('contacts:grace.hopper@navy-labs.example.com');
  });

  it('refuses every change in read-only mode and still answers reads', async () => {
    const { app, admin, operator } = await setup({ readOnly: true });
    expect(await call(app, 'POST', '/v1/dlq/1/replay', operator)).toMatchObject({ status: 403, body: { code: 'SERVICE_READ_ONLY' } });
    expect(await call(app, 'POST', '/v1/tokens', admin, { name: 'x', role: 'viewer' })).toMatchObject({ status: 403, body: { code: 'SERVICE_READ_ONLY' } });
    expect((await call(app, 'GET', '/v1/dlq', operator)).status).toBe(200);
    expect(await call(app, 'GET', '/v1/session', operator)).toMatchObject({ body: { readOnly: true } });
    expect((await call(app, 'POST', '/v1/config/check', admin)).status).toBe(200);
  });
});

describe('dashboard endpoints', () => {
  it('answers the overview and the timeseries from the per-minute counts', async () => {
    const { app, viewer } = await setup();
    const overview = await call<{ totals: { metric: string; n: number }[]; deadLettersOpen: number; crmRateLimit: unknown; queue: unknown[] }>(app, 'GET', '/v1/stats/overview', viewer);
    expect(overview.status).toBe(200);
    expect(overview.body.deadLettersOpen).toBe(1);
    expect(overview.body.totals).toEqual(expect.arrayContaining([{ source: 'webform', lane: 'realtime', metric: 'received', n: 1 }, { source: 'webform', lane: 'realtime', metric: 'dead_lettered', n: 1 }]));
    expect(overview.body.crmRateLimit).toEqual({ destination: 'sandbox', reported: false });
    const series = await call<{ buckets: string[]; series: { metric: string; counts: number[] }[] }>(app, 'GET', '/v1/stats/timeseries?bucketMinutes=60', viewer);
    expect(series.body.buckets.length).toBeGreaterThanOrEqual(24);
    expect(series.body.series.find((s) => s.metric === 'received')?.counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await call(app, 'GET', '/v1/stats/timeseries?bucketMinutes=1&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', viewer)).toMatchObject({ status: 400, body: { code: 'USAGE_INVALID' } });
  });

  it('shows mapping versions, runs the check, and reloads the config file (or keeps the old one when it is broken)', async () => {
    const { app, admin, viewer, workspace } = await setup();
    const config = await call<{ sources: { name: string; mapping: string; mappingVersion: number }[]; lastCheck: unknown }>(app, 'GET', '/v1/config', viewer);
    expect(config.body.sources.find((s) => s.name === 'webform')).toMatchObject({ mapping: 'preset:webform', mappingVersion: 1 });
    expect(config.body.lastCheck).toBeNull();
    const check = await call<{ ok: boolean; findings: unknown[] }>(app, 'POST', '/v1/config/check', admin);
    expect(check.status).toBe(200);
    expect(typeof check.body.ok).toBe('boolean');

    writeFileSync(workspace.originalConfig, 'sources: [');
    const broken = await call<{ code: string; message: string }>(app, 'POST', '/v1/config/reload', admin);
    expect(broken).toMatchObject({ status: 422, body: { code: 'CONFIG_YAML_SYNTAX' } });
    expect(broken.body.message).toContain('previous one');

    writeFileSync(workspace.originalConfig, (await import('node:fs')).readFileSync(workspace.fixedConfig));
    const reloaded = await call<{ sources: { name: string; mapping: string; mappingVersion: number }[] }>(app, 'POST', '/v1/config/reload', admin);
    expect(reloaded.body.sources.find((s) => s.name === 'webform')).toMatchObject({ mapping: 'webform-v2', mappingVersion: 2 });
    const preview = await call<{ preview: { resolves: boolean } }>(app, 'POST', '/v1/dlq/1/replay?dryRun=true', admin);
    expect(preview.body.preview).toMatchObject({ resolves: true });
  });
});
