import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStandardWebhooks } from '../../src/core/signatures/webhook-signature.js';
import { createOperatorWorkspace, type OperatorWorkspace } from '../support/operator-workspace.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { waitFor, waitUntil } from '../support/wait-for.js';

// The dashboard in a real browser (Debian's chromium, driven by playwright-core)
// against the built service (`npm run build` first) on a temp SQLite file:
// log in with the first start's admin token, see a DLQ item caused by a
// picklist value the CRM rejects, fix the mapping in the YAML file, reload it
// and replay from the UI, approve an owner change, read the lead's timeline,
// and check that a viewer can neither see nor use replay.

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = 'test-output/screenshots';
const WEBFORM_SECRET = 'whsec_bGVhZHN5bmMtbG9jYWwtd2ViZm9ybS1zZWNyZXQ=';
const GRACE = 'contacts:grace.hopper@navy-labs.example.com';
const ADA = 'contacts:ada.lovelace@acme-analytics.co.uk';

let workspace: OperatorWorkspace;
let service: ServeProcess;
let browser: Browser;
let adminToken: string;
let failed = false;
/** The page in use, screenshotted as `failure-<test>.png` when a test fails. */
let current: Page | undefined;

/** The service runs in another process behind a browser: waits are longer and probes rarer than in-process tests'. */
const POLL = { timeoutMs: 15_000, intervalMs: 50 } as const;

async function postWebform(fixture: string, id: string, changes: Record<string, unknown> = {}): Promise<number> {
  const body = Buffer.from(JSON.stringify({ ...(JSON.parse(readFileSync(join('test/fixtures', fixture), 'utf8')) as object), ...changes }));
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${service.url}/v1/events/webform`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(WEBFORM_SECRET, id, timestamp, body) },
    body,
  });
  return response.status;
}

async function apiAs<T>(token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function createToken(name: string, role: 'viewer' | 'operator'): Promise<string> {
  const created = await apiAs<{ secret: string }>(adminToken, 'POST', '/v1/tokens', { name, role });
  expect(created.status).toBe(201);
  return created.body.secret;
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  current = page;
  return page;
}

async function logIn(page: Page, token: string): Promise<void> {
  await page.goto(`${service.url}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** Follows a link of the side navigation (cards on the overview link to the same pages). */
async function goTo(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// A browser and a service process on a shared, loaded machine: generous limits, no timing assertions.
beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  workspace = createOperatorWorkspace();
  service = await startServeProcess(workspace.originalConfig);
  adminToken = await waitFor(() => Promise.resolve(/admin token: (lsk_\S+)/.exec(service.output())?.[1]), 'the first start to print the admin token', POLL);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  const child = service?.process;
  // Wait only for a process that is still running: one that never started or already ended sends no 'exit'.
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await workspace?.remove(failed);
}, 60_000);

describe('dashboard in a browser (built service, SQLite, sandbox CRM)', () => {
  it('logs in, shows the DLQ item, replays it after a config fix, approves an owner change and shows it on the timeline', async () => {
    try {
      // The admin token is shown once, on stdout only; its hash is what the database keeps.
      expect(readFileSync(workspace.dbFile).includes(Buffer.from(adminToken))).toBe(false);

      expect(await postWebform('webform/bad-lead-source.json', 'msg_bad_1')).toBe(202);
      expect(await postWebform('webform/demo-request.json', 'msg_demo_1')).toBe(202);
      await waitUntil(async () => (await apiAs<{ items: unknown[] }>(adminToken, 'GET', '/v1/dlq')).body.items.length > 0, 'a DLQ item', POLL);
      expect(await postWebform('webform/owner-change.json', 'msg_owner_1')).toBe(202);
      await waitUntil(async () => (await apiAs<{ items: unknown[] }>(adminToken, 'GET', '/v1/approvals')).body.items.length > 0, 'a pending approval', POLL);
      const maria = await createToken('maria', 'operator');

      const page = await newPage();
      await page.goto(`${service.url}/`);
      await page.getByLabel('API token').waitFor();
      await shot(page, '01-login');
      await page.getByLabel('API token').fill('lsk_wrong');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('That token is unknown or revoked').waitFor();

      await logIn(page, adminToken);
      await page.getByTestId('dlq-open').filter({ hasText: '1' }).waitFor();
      await page.getByTestId('crm-rate').waitFor();
      expect(await page.getByText('not reported by this destination').count()).toBe(1);
      await shot(page, '02-overview');

      await goTo(page, 'Dead letters');
      await page.getByTestId('group-CRM_PICKLIST_MISMATCH').waitFor();
      await page.getByTestId('trace').filter({ hasText: 'nearest: partner' }).waitFor();
      await expect.poll(() => page.getByTestId('dlq-table').innerText()).toContain(GRACE);
      await shot(page, '03-dlq');

      // A replay before the fix would fail again, and the preview says so.
      await page.getByTestId('replay-preview').click();
      await page.getByTestId('preview-result').filter({ hasText: 'Would fail again' }).waitFor();

      // Fix the mapping in the YAML file, then reload it from the config page.
      copyFileSync(workspace.fixedConfig, workspace.originalConfig);
      await goTo(page, 'Config');
      await page.getByTestId('reload-config').click();
      await page.getByTestId('reload-result').waitFor();
      await expect.poll(() => page.getByTestId('sources-table').innerText()).toContain('webform-v2');
      await page.getByTestId('run-check').click();
      await page.getByTestId('check-result').waitFor();
      await shot(page, '04-config');

      await goTo(page, 'Dead letters');
      await page.getByTestId('replay-preview').click();
      await page.getByTestId('preview-result').filter({ hasText: 'Would succeed' }).waitFor();
      await shot(page, '05-dlq-preview');
      await page.getByTestId('replay-confirm').click();
      await page.getByText('The DLQ is empty').waitFor();
      const written = await waitFor(async () => {
        const lead = await apiAs<{ record: { properties: Record<string, unknown> } | null }>(adminToken, 'GET', `/v1/leads/${GRACE}`);
        return lead.body.record?.properties['lead_source'] === 'partner' ? lead.body.record.properties : undefined;
      }, 'the replayed lead to be written', POLL);
      expect(written['lead_source']).toBe('partner');

      // An operator approves the owner change; the audit actor is the token's name.
      await page.getByTestId('logout').click();
      await logIn(page, maria);
      await goTo(page, 'Approvals');
      await expect.poll(() => page.getByTestId('approvals-table').innerText()).toContain('owner-4471');
      await shot(page, '06-approvals');
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByText('Nothing waits for approval').waitFor();

      await page.goto(`${service.url}/#/lead?key=${encodeURIComponent(ADA)}`);
      const timeline = page.getByTestId('field-timeline');
      await timeline.waitFor();
      // The owner field's rows: the proposal (source webform, pending_approval), then maria's approval.
      const ownerRows = timeline.locator('tr', { hasText: 'owner-4471' });
      await expect.poll(() => ownerRows.count()).toBe(2);
      expect(await ownerRows.nth(0).innerText()).toMatch(/webform[\s\S]*pending_approval/);
      expect(await ownerRows.nth(1).innerText()).toMatch(/maria[\s\S]*person, approved/);
      await shot(page, '07-timeline');

      const audit = await apiAs<{ items: { actor: { name: string } }[] }>(adminToken, 'GET', `/v1/audit?leadKey=${encodeURIComponent(ADA)}&outcome=approved`);
      expect(audit.body.items).toEqual([expect.objectContaining({ actor: { kind: 'person', name: 'maria' } })]);
    } catch (error) {
      failed = true;
      await current?.screenshot({ path: join(SCREENSHOTS, `failure-${expect.getState().currentTestName?.slice(-20).replace(/\W+/g, '-') ?? 'test'}.png`), fullPage: true });
      throw error;
    }
  }, 180_000);

  it('shows a viewer no replay button, masks personal data, and the API refuses the viewer a replay with 403', async () => {
    try {
      // The fixed mapping knows "Partner Referal"; this value is still not an option of the CRM picklist.
      expect(await postWebform('webform/bad-lead-source.json', 'msg_bad_2', { email: 'alan.turing@navy-labs.example.com', submission_id: 'sub_alan', lead_source: 'Carrier Pigeon' })).toBe(202);
      const item = await waitFor(async () => (await apiAs<{ items: { id: string; status: string }[] }>(adminToken, 'GET', '/v1/dlq')).body.items[0], 'a second DLQ item', POLL);
      const vera = await createToken('vera', 'viewer');

      const page = await newPage();
      await logIn(page, vera);
      await goTo(page, 'Dead letters');
      await page.getByTestId('trace').waitFor();
      await page.getByText('Your role (viewer) can look but not replay or discard.').waitFor();
      expect(await page.getByTestId('replay-preview').count()).toBe(0);
      expect(await page.getByRole('button', { name: /Preview replay/ }).count()).toBe(0);
      const table = await page.getByTestId('dlq-table').innerText();
      expect(table).toContain('a***@navy-labs.example.com');
      expect(table).not.toContain('alan.turing@');
      await shot(page, '08-viewer-dlq');

      const refused = await apiAs<{ code: string }>(vera, 'POST', `/v1/dlq/${item.id}/replay`);
      expect(refused).toMatchObject({ status: 403, body: { code: 'AUTH_ROLE_INSUFFICIENT' } });
      expect((await apiAs<{ items: { id: string; status: string }[] }>(adminToken, 'GET', '/v1/dlq')).body.items[0]).toMatchObject({ id: item.id, status: 'open' });
    } catch (error) {
      failed = true;
      await current?.screenshot({ path: join(SCREENSHOTS, `failure-${expect.getState().currentTestName?.slice(-20).replace(/\W+/g, '-') ?? 'test'}.png`), fullPage: true });
      throw error;
    }
  }, 180_000);
});
