import { signStandardWebhooks } from '../../core/signatures/webhook-signature.js';
import type { Alert, AlertChannel } from '../../ports/alert-channel.js';
import { DEFAULT_ALERT_TIMEOUT_MS, postAlertJson } from './alert-http-post.js';

/** Where a {@link WebhookAlertChannel} posts and how it signs. */
export interface WebhookAlertChannelOptions {
  readonly url: string;
  /** Signing secret: "whsec_" + base64, or any other string used as raw bytes. */
  readonly secret: string;
  /** (Default: 5000 ms) */
  readonly timeoutMs?: number;
  /** Clock for `webhook-timestamp`. (Default: the system clock) */
  readonly now?: () => Date;
  /** (Default: webhook <host>) */
  readonly name?: string;
}

/** The JSON body of an alert webhook, shaped as the Standard Webhooks spec suggests. */
export interface AlertWebhookBody {
  /** `leadsync.alert.dead_letter` or `leadsync.alert.flood_summary`. */
  readonly type: `leadsync.alert.${Alert['kind']}`;
  /** The alert's time (ISO 8601). */
  readonly timestamp: string;
  readonly data: Alert;
}

/**
 * POSTs alerts as JSON signed the Standard Webhooks way: `webhook-id` (the
 * alert id, the same on every retry), `webhook-timestamp` (seconds) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
 * A non-2xx answer, network error or timeout rejects.
 */
export class WebhookAlertChannel implements AlertChannel {
  readonly name: string;
  private readonly options: WebhookAlertChannelOptions;

  constructor(options: WebhookAlertChannelOptions) {
    this.options = options;
    this.name = options.name ?? `webhook ${new URL(options.url).host}`;
  }

  async send(alert: Alert): Promise<void> {
    const body: AlertWebhookBody = { type: `leadsync.alert.${alert.kind}`, timestamp: alert.time, data: alert };
    const raw = Buffer.from(JSON.stringify(body), 'utf8');
    // Signed per attempt: receivers reject a timestamp more than a few minutes old.
    const timestamp = Math.floor((this.options.now?.() ?? new Date()).getTime() / 1000);
    const headers = {
      'webhook-id': alert.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhooks(this.options.secret, alert.id, timestamp, raw),
    };
    await postAlertJson(this.name, this.options.url, raw.toString('utf8'), headers, this.options.timeoutMs ?? DEFAULT_ALERT_TIMEOUT_MS);
  }
}
