import { signHubspotV3, signPlainHmac, signStandardWebhooks, type SignatureScheme } from './webhook-signature.js';

/** One delivery as a sender is about to post it. */
export interface DeliveryToSign {
  readonly method: string;
  /** Full URL the delivery is posted to; HubSpot v3 signs it. */
  readonly url: string;
  readonly body: Buffer;
  /** The sender's clock in milliseconds (Standard Webhooks signs seconds, HubSpot v3 milliseconds). */
  readonly nowMs: number;
  /** Delivery id, e.g. `msg_…`; only Standard Webhooks sends one. */
  readonly webhookId: string;
}

/**
 * The headers a provider sends with a delivery under a source's signature
 * scheme (lower-case names), signed with the first configured secret: during a
 * rotation that is the one senders are expected to use. `verifySignature`
 * accepts exactly these headers; the `none` scheme sends none.
 */
export function signDelivery(scheme: SignatureScheme, delivery: DeliveryToSign): Record<string, string> {
  if (scheme.scheme === 'none') return {};
  const secret = scheme.secrets[0];
  // The config schema requires at least one secret; this guards hand-built schemes.
  if (secret === undefined) throw new RangeError(`the ${scheme.scheme} signature scheme has no secret to sign with`);
  switch (scheme.scheme) {
    case 'standard-webhooks': {
      const seconds = Math.floor(delivery.nowMs / 1000);
      return {
        'webhook-id': delivery.webhookId,
        'webhook-timestamp': String(seconds),
        'webhook-signature': signStandardWebhooks(secret, delivery.webhookId, seconds, delivery.body),
      };
    }
    case 'hubspot-v3':
      return {
        'x-hubspot-signature-v3': signHubspotV3(secret, delivery.method, delivery.url, delivery.body, delivery.nowMs),
        'x-hubspot-request-timestamp': String(delivery.nowMs),
      };
    case 'hmac-sha256':
      return { [scheme.header.toLowerCase()]: signPlainHmac(secret, delivery.body) };
  }
}
