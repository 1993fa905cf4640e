import { LogAlertChannel } from '../adapters/alerts/log-alert-channel.js';
import { SlackAlertChannel } from '../adapters/alerts/slack-alert-channel.js';
import { WebhookAlertChannel } from '../adapters/alerts/webhook-alert-channel.js';
import type { LeadsyncConfigDocument } from '../config/config-schema.js';
import type { AlertChannel } from '../ports/alert-channel.js';
import type { StructuredLogger } from '../ports/structured-logger.js';

/** One alert channel per entry of config `alerts`, in order. */
export function buildAlertChannels(alerts: LeadsyncConfigDocument['alerts'], logger: StructuredLogger): AlertChannel[] {
  const kindCount = new Map<string, number>();
  return alerts.map((alert) => {
    // Two channels of one kind get distinct names, so log lines say which one failed.
    const seen = (kindCount.get(alert.kind) ?? 0) + 1;
    kindCount.set(alert.kind, seen);
    const suffix = seen > 1 ? ` #${seen}` : '';
    switch (alert.kind) {
      case 'log':
        return new LogAlertChannel(logger, `log${suffix}`);
      case 'slack':
        return new SlackAlertChannel({ url: alert.url, name: `slack${suffix}` });
      case 'webhook':
        return new WebhookAlertChannel({ url: alert.url, secret: alert.secret, name: `webhook ${new URL(alert.url).host}${suffix}` });
    }
  });
}
