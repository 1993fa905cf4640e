import { createHmac, timingSafeEqual } from 'node:crypto';

/** How a source signs its deliveries (config `sources.<name>.signature`). */
export type SignatureScheme =
  | { readonly scheme: 'standard-webhooks'; readonly secrets: readonly string[]; readonly toleranceSeconds: number }
  | { readonly scheme: 'hubspot-v3'; readonly secrets: readonly string[]; readonly toleranceSeconds: number }
  | { readonly scheme: 'hmac-sha256'; readonly secrets: readonly string[]; readonly header: string }
  | { readonly scheme: 'none' };

export interface SignedRequest {
  readonly method: string;
  /** Full URL as the sender called it (HubSpot v3 signs it). */
  readonly url: string;
  readonly rawBody: Buffer;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export type SignatureCheck =
  | { readonly ok: true; readonly webhookId?: string }
  | { readonly ok: false; readonly reason: 'missing_headers' | 'timestamp_out_of_tolerance' | 'mismatch'; readonly detail: string };

/**
 * Verifies a delivery's signature over the raw bytes, before any parsing.
 * Several secrets are tried (rotation); comparisons are constant-time.
 * `nowMs` comes in so the check is pure and testable.
 */
export function verifySignature(scheme: SignatureScheme, request: SignedRequest, nowMs: number): SignatureCheck {
  switch (scheme.scheme) {
    case 'none':
      return { ok: true };
    case 'standard-webhooks':
      return verifyStandardWebhooks(scheme.secrets, scheme.toleranceSeconds, request, nowMs);
    case 'hubspot-v3':
      return verifyHubspotV3(scheme.secrets, scheme.toleranceSeconds, request, nowMs);
    case 'hmac-sha256':
      return verifyPlainHmac(scheme.secrets, scheme.header.toLowerCase(), request);
  }
}

/** Standard Webhooks key: "whsec_" + base64, or any other string used as raw bytes. */
export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** Signs like a Standard Webhooks sender: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signStandardWebhooks(secret: string, id: string, timestampSeconds: number, body: Buffer): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret)).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** HubSpot v3: base64 HMAC-SHA256 of method + uri + body + timestamp (milliseconds). */
export function signHubspotV3(secret: string, method: string, url: string, body: Buffer, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${method}${url}`).update(body).update(String(timestampMs)).digest('base64');
}

/** Plain HMAC-SHA256 of the body, hex, optionally prefixed "sha256=". */
export function signPlainHmac(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function verifyStandardWebhooks(secrets: readonly string[], toleranceSeconds: number, request: SignedRequest, nowMs: number): SignatureCheck {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signatures = request.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing_headers', detail: 'needs webhook-id, webhook-timestamp and webhook-signature' };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(nowMs / 1000 - seconds) > toleranceSeconds) {
    return { ok: false, reason: 'timestamp_out_of_tolerance', detail: `webhook-timestamp must be within ${toleranceSeconds} s of now` };
  }
  const offered = signatures
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => part.slice(3));
  for (const secret of secrets) {
    const expected = signStandardWebhooks(secret, id, seconds, request.rawBody).slice(3);
    if (offered.some((candidate) => safeEqual(candidate, expected))) return { ok: true, webhookId: id };
  }
  return { ok: false, reason: 'mismatch', detail: 'no v1 signature matches any configured secret' };
}

function verifyHubspotV3(secrets: readonly string[], toleranceSeconds: number, request: SignedRequest, nowMs: number): SignatureCheck {
  const signature = request.headers['x-hubspot-signature-v3'];
  const timestamp = request.headers['x-hubspot-request-timestamp'];
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers', detail: 'needs X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp' };
  const millis = Number(timestamp);
  if (!Number.isFinite(millis) || Math.abs(nowMs - millis) > toleranceSeconds * 1000) {
    return { ok: false, reason: 'timestamp_out_of_tolerance', detail: `X-HubSpot-Request-Timestamp must be within ${toleranceSeconds} s of now` };
  }
  for (const secret of secrets) {
    if (safeEqual(signature, signHubspotV3(secret, request.method, request.url, request.rawBody, millis))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch', detail: 'the signature matches no configured secret' };
}

function verifyPlainHmac(secrets: readonly string[], header: string, request: SignedRequest): SignatureCheck {
  const signature = request.headers[header];
  if (!signature) return { ok: false, reason: 'missing_headers', detail: `needs the ${header} header` };
  const offered = signature.startsWith('sha256=') ? signature : `sha256=${signature}`;
  for (const secret of secrets) {
    if (safeEqual(offered.toLowerCase(), signPlainHmac(secret, request.rawBody))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch', detail: 'the signature matches no configured secret' };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time flat for a wrong length.
  return left.length === right.length ? timingSafeEqual(left, right) : (timingSafeEqual(right, right), false);
}
