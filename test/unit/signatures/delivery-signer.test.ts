import { describe, expect, it } from 'vitest';
import { signDelivery } from '../../../src/core/signatures/delivery-signer.js';
import { verifySignature, type SignatureScheme } from '../../../src/core/signatures/webhook-signature.js';

const body = Buffer.from('{"email":"ada@example.com","submitted_at":"2026-11-20T14:03:11Z"}');
const nowMs = Date.UTC(2026, 10, 20, 14, 5, 0, 123);
const url = 'http://127.0.0.1:8080/v1/events/webform';
const delivery = { method: 'POST', url, body, nowMs, webhookId: 'msg_test1' };

const schemes: readonly [string, SignatureScheme][] = [
  ['standard-webhooks', { scheme: 'standard-webhooks', secrets: ['whsec_bGVhZHN5bmMtdGVzdA==', 'whsec_b2xk'], toleranceSeconds: 300 }],
  ['hubspot-v3', { scheme: 'hubspot-v3', secrets: ['hubspot-app-secret'], toleranceSeconds: 300 }],
  ['hmac-sha256', { scheme: 'hmac-sha256', secrets: ['plain-secret'], header: 'X-Signature' }],
  ['none', { scheme: 'none' }],
];

describe('signDelivery: what `leadsync send` puts on a delivery', () => {
  it.each(schemes)('%s: the headers verify as a provider delivery would', (_name, scheme) => {
    const headers = signDelivery(scheme, delivery);
    expect(verifySignature(scheme, { method: 'POST', url, rawBody: body, headers }, nowMs).ok).toBe(true);
  });

  it.each(schemes.filter(([name]) => name !== 'none'))('%s: a changed body no longer verifies', (_name, scheme) => {
    const headers = signDelivery(scheme, delivery);
    expect(verifySignature(scheme, { method: 'POST', url, rawBody: Buffer.from(`${body.toString()} `), headers }, nowMs)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('standard-webhooks: sends the delivery id and the timestamp in seconds', () => {
    const headers = signDelivery(schemes[0]![1], delivery);
    expect(headers).toMatchObject({ 'webhook-id': 'msg_test1', 'webhook-timestamp': String(Math.floor(nowMs / 1000)) });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('hubspot-v3: signs the full URL with a millisecond timestamp', () => {
    const scheme = schemes[1]![1];
    const headers = signDelivery(scheme, delivery);
    expect(headers['x-hubspot-request-timestamp']).toBe(String(nowMs));
    const elsewhere = { method: 'POST', url: 'http://127.0.0.1:9090/v1/events/webform', rawBody: body, headers };
    expect(verifySignature(scheme, elsewhere, nowMs)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('hmac-sha256: uses the configured header, lower-cased; none sends no headers', () => {
    expect(Object.keys(signDelivery(schemes[2]![1], delivery))).toEqual(['x-signature']);
    expect(signDelivery({ scheme: 'none' }, delivery)).toEqual({});
  });

  it('signs with the first configured secret (the current one in a rotation)', () => {
    const headers = signDelivery(schemes[0]![1], delivery);
    const oldOnly: SignatureScheme = { scheme: 'standard-webhooks', secrets: ['whsec_b2xk'], toleranceSeconds: 300 };
    expect(verifySignature(oldOnly, { method: 'POST', url, rawBody: body, headers }, nowMs).ok).toBe(false);
  });
});
