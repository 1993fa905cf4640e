import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlertWebhookBody } from '../../src/adapters/alerts/webhook-alert-channel.js';
import { loadConfig } from '../../src/config/config-loader.js';
import { signStandardWebhooks, verifySignature } from '../../src/core/signatures/webhook-signature.js';
import type { DeadLetterAlert } from '../../src/ports/alert-channel.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { AlertReceiver } from '../support/alert-receiver.js';
import { LogCapture } from '../support/log-capture.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// The real service (SQLite file, sandbox CRM, real sockets) with a signed webhook alert channel
// and the log channel: a dead-lettered event reaches the owner with its payload id and trace.

const WEBFORM_SECRET = 'whsec_bGVhZHN5bmMtdGVzdC1zZWNyZXQ=';
const ALERT_SECRET = 'whsec_YWxlcnRzLWUyZS1zZWNyZXQ=';
let service: RunningService;
let receiver: AlertReceiver;
let logs: LogCapture;
let dir: string;

beforeAll(async () => {
  dir = makeTempDir('leadsync-alerts-e2e-');
  receiver = await new AlertReceiver().start('/leadsync/alerts');
  logs = new LogCapture();
  const config = await loadConfig('examples/leadsync.yaml', { env: { WEBFORM_SECRET } });
  const document = {
    ...config.document,
    storage: { ...config.document.storage, file: join(dir, 'leadsync.db') },
    alerts: [{ kind: 'webhook' as const, url: receiver.url, secret: ALERT_SECRET }, { kind: 'log' as const }],
  };
  service = await startService({ ...config, document }, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ destination: logs }) });
});

afterAll(async () => {
  await service.stop();
  await receiver.stop();
  removeTempDir(dir);
});

describe('alerts from the running service', () => {
  it('alerts a dead-lettered event over a signed webhook and the log, with payload id, source, code and trace', async () => {
    const body = readFileSync('test/fixtures/webform/bad-lead-source.json');
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${service.url}/v1/events/webform`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_alert_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(WEBFORM_SECRET, 'msg_alert_1', timestamp, body) },
      body,
    });
    expect(response.status).toBe(202);
    const { eventId } = (await response.json()) as { eventId: string };

    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1), { timeout: 10_000, interval: 25 });
    const [request] = receiver.requests;
    if (!request) throw new Error('no alert received');
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    const check = verifySignature({ scheme: 'standard-webhooks', secrets: [ALERT_SECRET], toleranceSeconds: 300 }, { method: 'POST', url: request.path, rawBody: request.body, headers }, Date.now());
    expect(check).toMatchObject({ ok: true });

    const [alert] = receiver.json<AlertWebhookBody>();
    expect(alert?.type).toBe('leadsync.alert.dead_letter');
    const data = alert?.data as DeadLetterAlert;
    expect(data).toMatchObject({ kind: 'dead_letter', eventId, source: 'webform', errorCode: 'CRM_PICKLIST_MISMATCH', attempts: 1 });
    expect(data.trace).toContain('nearest');
    expect(data.deadLetterId).not.toBeNull();
    expect(request.headers['webhook-id']).toBe(data.id);

    // The DLQ item the alert names is the one the API shows.
    const dlq = (await (await fetch(`${service.url}/v1/dlq`, { headers: { authorization: `Bearer ${service.firstAdminToken ?? ''}` } })).json()) as { items: { id: string; eventId: string }[] };
    expect(dlq.items.find((item) => item.id === data.deadLetterId)?.eventId).toBe(eventId);

    // The log channel wrote the same alert, with the lead's email masked.
    const logged = logs.lines.find((line) => (line['alert'] as { eventId?: string } | undefined)?.eventId === eventId);
    expect(logged).toMatchObject({ level: 50, alert: { source: 'webform', errorCode: 'CRM_PICKLIST_MISMATCH' } });
    expect(logs.text()).not.toContain('grace.hopper@');
  });
});
