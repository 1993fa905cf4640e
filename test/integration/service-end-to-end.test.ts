import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config-loader.js';
import { signPlainHmac, signStandardWebhooks } from '../../src/core/signatures/webhook-signature.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { waitFor } from '../support/wait-for.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';

// The real service on a temp SQLite file with the sandbox CRM, over a real socket.

const WEBFORM_SECRET = 'whsec_bGVhZHN5bmMtdGVzdC1zZWNyZXQ=';
let service: RunningService;
let dir: string;

beforeAll(async () => {
  dir = makeTempDir('leadsync-e2e-');
  const config = await loadConfig('examples/leadsync.yaml', { env: { WEBFORM_SECRET } });
  const withTempDb = withStorage(config, { file: join(dir, 'leadsync.db') });
  service = await startService(withTempDb, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined });
});

afterAll(async () => {
  await service.stop();
  removeTempDir(dir);
});

function fixture(name: string): Buffer {
  return readFileSync(join('test/fixtures', name));
}

async function postWebform(body: Buffer, id: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${service.url}/v1/events/webform`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(WEBFORM_SECRET, id, timestamp, body) },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The first start's admin token, as operator routes need one. */
function adminAuth(): { authorization: string } {
  if (service.firstAdminToken === null) throw new Error('the first start printed no admin token');
  return { authorization: `Bearer ${service.firstAdminToken}` };
}

describe('leadsync service end to end (SQLite + sandbox CRM + HTTP)', () => {
  it('answers health and readiness', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });

  it('needs a token for operator routes, and keeps ingest on signatures alone', async () => {
    expect(await (await fetch(`${service.url}/v1/dlq`)).json()).toMatchObject({ code: 'AUTH_TOKEN_MISSING' });
    const wrong = await fetch(`${service.url}/v1/dlq`, { headers: { authorization: 'Bearer lsk_not-a-token' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
    expect((await fetch(`${service.url}/v1/dlq`, { headers: adminAuth() })).status).toBe(200);
  });

  it('accepts a signed event (202), writes the lead, and records its audit history', async () => {
    const accepted = await postWebform(fixture('webform/demo-request.json'), 'msg_demo_1');
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: 'queued' });
    const lead = await waitFor(async () => {
      const response = await fetch(`${service.url}/v1/leads/contacts:ada.lovelace@acme-analytics.co.uk`, { headers: adminAuth() });
      return response.status === 200 ? ((await response.json()) as { record: { properties: Record<string, unknown> } | null }) : undefined;
    }, 'the lead to be written');
    expect(lead.record?.properties).toMatchObject({ email: 'ada.lovelace@acme-analytics.co.uk', seniority: 'vp', region: 'EMEA', lifecyclestage: 'lead' });
    const audit = (await (await fetch(`${service.url}/v1/leads/contacts:ada.lovelace@acme-analytics.co.uk/audit`, { headers: adminAuth() })).json()) as { entries: { outcome: string; changes: { field: string }[] }[] };
    expect(audit.entries[0]?.outcome).toBe('written');
    expect(audit.entries[0]?.changes.map((change) => change.field)).toContain('seniority');
  });

  it('answers 200 duplicate for a repeat and 409 conflict for the same key with another payload', async () => {
    const body = fixture('webform/demo-request.json');
    expect((await postWebform(body, 'msg_demo_2')).json).toMatchObject({ status: 'duplicate' });
    const changed = Buffer.from(body.toString('utf8').replace('"Ada"', '"Augusta Ada"'));
    const conflict = await postWebform(changed, 'msg_demo_3');
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({ status: 'conflict', code: 'INGEST_IDEMPOTENCY_CONFLICT' });
  });

  it('refuses a bad signature (401) and a body over the limit (413), enqueuing nothing', async () => {
    // Every stored event counts as `received` in the dashboard stats, in the same transaction.
    const received = async (): Promise<number> => (await service.storage.dashboardStats.overview(new Date(0))).totals.filter((total) => total.metric === 'received').reduce((sum, total) => sum + total.n, 0);
    const receivedBefore = await received();
    expect(receivedBefore).toBeGreaterThan(0);
    const body = fixture('webform/demo-request.json');
    const response = await fetch(`${service.url}/v1/events/webform`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' }, body });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'INGEST_SIGNATURE_INVALID' });
    const huge = Buffer.alloc(1_100_000, 'a');
    const tooLarge = await fetch(`${service.url}/v1/events/segment`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signPlainHmac('local-segment-secret', huge) }, body: huge });
    expect(tooLarge.status).toBe(413);
    expect(await received()).toBe(receivedBefore);
  });

  it('dead-letters a rejected picklist value with the nearest options, and queues an owner change for approval', async () => {
    expect((await postWebform(fixture('webform/bad-lead-source.json'), 'msg_bad_1')).status).toBe(202);
    const dlq = await waitFor(async () => {
      const body = (await (await fetch(`${service.url}/v1/dlq`, { headers: adminAuth() })).json()) as { items: { errorCode: string; trace: string }[] };
      return body.items.length > 0 ? body : undefined;
    }, 'a DLQ item');
    expect(dlq.items[0]?.errorCode).toBe('CRM_PICKLIST_MISMATCH');
    expect(dlq.items[0]?.trace).toContain('nearest');

    expect((await postWebform(fixture('webform/owner-change.json'), 'msg_owner_1')).status).toBe(202);
    const approvals = await waitFor(async () => {
      const body = (await (await fetch(`${service.url}/v1/approvals`, { headers: adminAuth() })).json()) as { items: { field: string; proposed: unknown }[] };
      return body.items.length > 0 ? body : undefined;
    }, 'an approval');
    expect(approvals.items[0]).toMatchObject({ field: 'hubspot_owner_id', proposed: 'owner-4471' });
  });

  it('keeps a verifiable audit chain', async () => {
    expect(await service.storage.audit.verify()).toMatchObject({ ok: true });
  });
});
