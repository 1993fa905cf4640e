import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebhookAlertChannel, type AlertWebhookBody } from '../../../src/adapters/alerts/webhook-alert-channel.js';
import { createAlertDispatcher } from '../../../src/app/alert-dispatcher.js';
import type { AlertChannel } from '../../../src/ports/alert-channel.js';
import { verifySignature, type SignatureScheme } from '../../../src/core/signatures/webhook-signature.js';
import { deadLetterAlert } from '../../support/alert-fixtures.js';
import { AlertReceiver, type ReceivedRequest } from '../../support/alert-receiver.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { flushPromises, ManualScheduler } from '../../support/manual-scheduler.js';

const SECRET = 'whsec_YWxlcnQtd2ViaG9vay1zZWNyZXQ=';
const scheme: SignatureScheme = { scheme: 'standard-webhooks', secrets: [SECRET], toleranceSeconds: 300 };

const alert = deadLetterAlert();

/** Verifies a received request exactly as a receiver would, with the core's verifier. */
function verify(request: ReceivedRequest, nowMs = Date.now()) {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
  return verifySignature(scheme, { method: request.method, url: request.path, rawBody: request.body, headers }, nowMs);
}

let receiver: AlertReceiver;
beforeEach(async () => {
  receiver = await new AlertReceiver().start();
});
afterEach(async () => {
  await receiver.stop();
});

describe('webhook alert channel (against a local HTTP server)', () => {
  it('posts the alert as {type, timestamp, data}, signed the Standard Webhooks way', async () => {
    await new WebhookAlertChannel({ url: receiver.url, secret: SECRET }).send(alert);

    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['webhook-id']).toBe('alert_1');
    expect(Math.abs(Number(request?.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(receiver.json<AlertWebhookBody>()).toEqual([{ type: 'leadsync.alert.dead_letter', timestamp: '2026-01-01T00:00:00.000Z', data: alert }]);
    expect(request && verify(request)).toEqual({ ok: true, webhookId: 'alert_1' });
  });

  it('signs so that a tampered body, another secret or a stale timestamp fail verification', async () => {
    await new WebhookAlertChannel({ url: receiver.url, secret: SECRET }).send(alert);
    const [request] = receiver.requests;
    if (!request) throw new Error('no request received');
    const tampered = { ...request, body: Buffer.from(request.body.toString('utf8').replace('"42"', '"43"')) };
    expect(verify(tampered)).toMatchObject({ ok: false, reason: 'mismatch' });
    const otherSecret = verifySignature({ ...scheme, secrets: ['whsec_b3RoZXI='] }, { method: 'POST', url: request.path, rawBody: request.body, headers: request.headers as Record<string, string> }, Date.now());
    expect(otherSecret).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verify(request, Date.now() + 301_000)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('takes webhook-timestamp from its clock', async () => {
    await new WebhookAlertChannel({ url: receiver.url, secret: SECRET, now: () => new Date('2026-03-01T12:00:00.000Z') }).send(alert);
    const [request] = receiver.requests;
    expect(request?.headers['webhook-timestamp']).toBe(String(Date.parse('2026-03-01T12:00:00.000Z') / 1000));
    expect(request && verify(request, Date.parse('2026-03-01T12:00:10.000Z'))).toMatchObject({ ok: true });
  });

  it('is named after its host, never its full URL', () => {
    const channel = new WebhookAlertChannel({ url: 'https://alerts.example.com/hooks/abc?token=secret', secret: SECRET });
    expect(channel.name).toBe('webhook alerts.example.com');
  });

  it('rejects when the receiver cannot be reached', async () => {
    const url = receiver.url;
    await receiver.stop();
    await expect(new WebhookAlertChannel({ url, secret: SECRET }).send(alert)).rejects.toThrow(/^webhook 127\.0\.0\.1:\d+: POST to 127\.0\.0\.1:\d+ failed: /);
    receiver = await new AlertReceiver().start();
  });

  it('through the dispatcher: a 500 is retried after the backoff, with the same webhook-id, and then delivered', async () => {
    receiver.statuses.push(500);
    const scheduler = new ManualScheduler();
    const logger = new CapturingLogger();
    const dispatcher = createAlertDispatcher({ channels: [new WebhookAlertChannel({ url: receiver.url, secret: SECRET })], logger, scheduler });

    dispatcher.notify({ deadLetterId: '7', eventId: '42', source: 'webform', leadKey: 'contacts:ada@example.com', errorCode: 'CRM_PICKLIST_MISMATCH', message: 'bad option', trace: 'trace', attempts: 1 });
    await vi.waitFor(() => expect(logger.matching('retrying in 1000 ms')).toHaveLength(1));
    expect(receiver.requests).toHaveLength(1);
    expect(String(logger.matching('retrying')[0]?.fields['err'])).toContain('answered 500');

    scheduler.advance(1_000);
    await vi.waitFor(() => expect(dispatcher.stats().delivered).toBe(1));
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([expect.stringMatching(/^alert_/), receiver.requests[0]?.headers['webhook-id']]);
    expect(receiver.requests.every((request) => verify(request).ok)).toBe(true);
    expect(dispatcher.stats()).toMatchObject({ failed: 0, dropped: 0 });
    await dispatcher.stop();
    await flushPromises();
  });

  it('through the dispatcher: a receiver that always fails does not block notify and is logged after 3 tries', async () => {
    receiver.statuses.push(500, 500, 500);
    const scheduler = new ManualScheduler();
    const logger = new CapturingLogger();
    const webhook = new WebhookAlertChannel({ url: receiver.url, secret: SECRET });
    let sendsStarted = 0;
    const channel: AlertChannel = {
      name: webhook.name,
      send: (alert) => {
        sendsStarted += 1;
        return webhook.send(alert);
      },
    };
    const dispatcher = createAlertDispatcher({ channels: [channel], logger, scheduler });

    for (let index = 0; index < 100; index += 1) dispatcher.notify({ deadLetterId: null, eventId: String(index), source: 'webform', leadKey: 'k', errorCode: 'CRM_UNAVAILABLE', message: 'm', trace: 't', attempts: 3 });
    // 100 notices return without touching the network: the channel has not even been asked to send yet.
    expect(sendsStarted).toBe(0);

    await vi.waitFor(() => expect(logger.matching('retrying in 1000 ms')).toHaveLength(1));
    scheduler.advance(1_000);
    await vi.waitFor(() => expect(logger.matching('retrying in 2000 ms')).toHaveLength(1));
    scheduler.advance(2_000);
    await vi.waitFor(() => expect(logger.matching('gave up after 3 tries')).toHaveLength(1));
    expect(logger.matching('gave up')[0]).toMatchObject({ level: 'error', fields: { attempts: 3, alert: { eventId: '0', errorCode: 'CRM_UNAVAILABLE' } } });
    // The rest of the flood still goes out (the receiver now answers 200).
    await vi.waitFor(() => expect(dispatcher.stats().delivered).toBe(4));
    await dispatcher.stop();
    expect(receiver.json<AlertWebhookBody>().map((body) => body.type)).toEqual([
      ...Array<string>(3).fill('leadsync.alert.dead_letter'),
      ...Array<string>(4).fill('leadsync.alert.dead_letter'),
      'leadsync.alert.flood_summary',
    ]);
  });
});
