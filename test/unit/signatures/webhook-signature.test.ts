import { describe, expect, it } from 'vitest';
import {
  signHubspotV3,
  signPlainHmac,
  signStandardWebhooks,
  verifySignature,
  type SignatureScheme,
} from '../../../src/core/signatures/webhook-signature.js';

const body = Buffer.from('{"email":"ada@example.com","submitted_at":"2026-11-20T14:03:11Z"}');
const now = Date.UTC(2026, 10, 20, 14, 5, 0);
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const scheme: SignatureScheme = { scheme: 'standard-webhooks', secrets: [secret], toleranceSeconds: 300 };

function standardHeaders(options: { secret?: string; offsetSeconds?: number; body?: Buffer } = {}): Record<string, string> {
  const timestamp = Math.floor(now / 1000) + (options.offsetSeconds ?? 0);
  return {
    'webhook-id': 'msg_2b1f',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandardWebhooks(options.secret ?? secret, 'msg_2b1f', timestamp, options.body ?? body),
  };
}

const request = (headers: Record<string, string>, raw = body) => ({ method: 'POST', url: 'https://leads.example.com/v1/events/webform', rawBody: raw, headers });

describe('Standard Webhooks signatures', () => {
  it('accepts a valid signature and returns the webhook id', () => {
    expect(verifySignature(scheme, request(standardHeaders()), now)).toEqual({ ok: true, webhookId: 'msg_2b1f' });
  });

  it('matches the Standard Webhooks reference vector', () => {
    // Vector from the Standard Webhooks specification's reference implementations.
    const signature = signStandardWebhooks('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from('{"test": 2432232314}'));
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('accepts any of several secrets (rotation) and any of several signatures', () => {
    const rotated: SignatureScheme = { ...scheme, secrets: ['whsec_bmV3LXNlY3JldA==', secret] };
    expect(verifySignature(rotated, request(standardHeaders()), now).ok).toBe(true);
    const headers = standardHeaders();
    headers['webhook-signature'] = `v1,AAAA ${headers['webhook-signature']}`;
    expect(verifySignature(scheme, request(headers), now).ok).toBe(true);
  });

  it('rejects a tampered body and a wrong secret', () => {
    expect(verifySignature(scheme, request(standardHeaders(), Buffer.from('{"email":"eve@example.com"}')), now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifySignature(scheme, request(standardHeaders({ secret: 'whsec_d3Jvbmc=' })), now)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('accepts timestamps within ±299 s and rejects ±301 s', () => {
    for (const offset of [-299, 299]) expect(verifySignature(scheme, request(standardHeaders({ offsetSeconds: offset })), now).ok).toBe(true);
    for (const offset of [-301, 301]) expect(verifySignature(scheme, request(standardHeaders({ offsetSeconds: offset })), now)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('rejects missing headers', () => {
    const headers = standardHeaders();
    delete headers['webhook-signature'];
    expect(verifySignature(scheme, request(headers), now)).toMatchObject({ ok: false, reason: 'missing_headers' });
  });
});

describe('HubSpot v3 and plain HMAC signatures', () => {
  it('HubSpot v3: method + URL + body + millisecond timestamp', () => {
    const hubspot: SignatureScheme = { scheme: 'hubspot-v3', secrets: ['client-secret'], toleranceSeconds: 300 };
    const headers = { 'x-hubspot-signature-v3': signHubspotV3('client-secret', 'POST', 'https://leads.example.com/v1/events/webform', body, now - 1000), 'x-hubspot-request-timestamp': String(now - 1000) };
    expect(verifySignature(hubspot, request(headers), now).ok).toBe(true);
    expect(verifySignature(hubspot, request({ ...headers, 'x-hubspot-request-timestamp': String(now - 301_000) }), now)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifySignature(hubspot, request(headers, Buffer.from('{}')), now)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('plain HMAC-SHA256 in a configurable header, with or without the sha256= prefix', () => {
    const plain: SignatureScheme = { scheme: 'hmac-sha256', secrets: ['old', 'new'], header: 'X-Signature' };
    const signature = signPlainHmac('new', body);
    expect(verifySignature(plain, request({ 'x-signature': signature }), now).ok).toBe(true);
    expect(verifySignature(plain, request({ 'x-signature': signature.slice('sha256='.length) }), now).ok).toBe(true);
    expect(verifySignature(plain, request({ 'x-signature': signPlainHmac('other', body) }), now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifySignature(plain, request({}), now)).toMatchObject({ ok: false, reason: 'missing_headers' });
  });
});
