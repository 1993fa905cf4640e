import type { Alert, AlertChannel, DeadLetterAlert, FloodSummaryAlert } from '../../ports/alert-channel.js';
import { DEFAULT_ALERT_TIMEOUT_MS, postAlertJson } from './alert-http-post.js';

/** Where and how a {@link SlackAlertChannel} posts. */
export interface SlackAlertChannelOptions {
  /** The Slack incoming-webhook URL (`https://hooks.slack.com/services/...`). */
  readonly url: string;
  /** (Default: 5000 ms) */
  readonly timeoutMs?: number;
  /** (Default: slack) */
  readonly name?: string;
}

/** A Slack incoming-webhook message: `text` is the notification fallback, `blocks` the message. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

// Slack's Block Kit limits: header text 150 chars, section text 3000, a field 2000, at most 10 fields.
const HEADER_MAX = 150;
const SECTION_MAX = 3_000;
const FIELD_MAX = 2_000;

/** Posts alerts to a Slack incoming webhook; a non-2xx answer, network error or timeout rejects. */
export class SlackAlertChannel implements AlertChannel {
  readonly name: string;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(options: SlackAlertChannelOptions) {
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ALERT_TIMEOUT_MS;
    this.name = options.name ?? 'slack';
  }

  async send(alert: Alert): Promise<void> {
    await postAlertJson(this.name, this.url, JSON.stringify(slackMessage(alert)), {}, this.timeoutMs);
  }
}

/** The Slack message for an alert (exported for tests and docs). */
export function slackMessage(alert: Alert): SlackMessage {
  return alert.kind === 'dead_letter' ? deadLetterMessage(alert) : floodMessage(alert);
}

function deadLetterMessage(alert: DeadLetterAlert): SlackMessage {
  const text = `leadsync: event ${alert.eventId} from ${alert.source} was dead-lettered (${alert.errorCode})`;
  return {
    text,
    blocks: [
      header(`Dead-lettered: ${alert.errorCode}`),
      section(escape(alert.message)),
      fields([
        ['Event (payload id)', alert.eventId],
        ['DLQ item', alert.deadLetterId ?? '—'],
        ['Source', alert.source],
        ['Lead', alert.leadKey],
        ['Error code', alert.errorCode],
        ['Attempts', String(alert.attempts)],
        ['Time', alert.time],
      ]),
      section(codeBlock(alert.trace)),
      context(`alert ${alert.id} · inspect with \`leadsync dlq show ${alert.deadLetterId ?? alert.eventId}\``),
    ],
  };
}

function floodMessage(alert: FloodSummaryAlert): SlackMessage {
  const text = `leadsync: ${alert.count} more events from ${alert.source} were dead-lettered with ${alert.errorCode}`;
  return {
    text,
    blocks: [
      header(`Dead-letter flood: ${alert.errorCode} × ${alert.count}`),
      section(escape(`${alert.alertedIndividually} were alerted one by one; ${alert.count} more in the same ${Math.round(alert.windowMs / 1000)} s window are summarised here.`)),
      fields([
        ['Source', alert.source],
        ['Error code', alert.errorCode],
        ['Count', String(alert.count)],
        ['Alerted individually', String(alert.alertedIndividually)],
        ['First', alert.firstAt],
        ['Last', alert.lastAt],
        ['Sample events', alert.sampleEventIds.join(', ') || '—'],
      ]),
      context(`alert ${alert.id} · window from ${alert.windowStartedAt} · list them with \`leadsync dlq list\``),
    ],
  };
}

function header(text: string): Record<string, unknown> {
  return { type: 'header', text: { type: 'plain_text', text: clip(text, HEADER_MAX), emoji: false } };
}

function section(mrkdwn: string): Record<string, unknown> {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, SECTION_MAX) } };
}

function fields(pairs: readonly (readonly [string, string])[]): Record<string, unknown> {
  return { type: 'section', fields: pairs.map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${label}*\n${escape(value)}`, FIELD_MAX) })) };
}

function context(mrkdwn: string): Record<string, unknown> {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn, SECTION_MAX) }] };
}

function codeBlock(trace: string): string {
  // Leave room for the fences; a fence inside the trace would end the block early.
  return `\`\`\`${clip(escape(trace).replaceAll('```', "'''"), SECTION_MAX - 6)}\`\`\``;
}

/** Slack mrkdwn needs &, < and > escaped, or they turn into links and mentions. */
function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
