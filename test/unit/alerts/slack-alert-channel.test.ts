import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackAlertChannel, type SlackMessage } from '../../../src/adapters/alerts/slack-alert-channel.js';
import type { FloodSummaryAlert } from '../../../src/ports/alert-channel.js';
import { deadLetterAlert } from '../../support/alert-fixtures.js';
import { AlertReceiver } from '../../support/alert-receiver.js';

// Characters Slack's mrkdwn would read (<, >, &, ```) in the message and trace.
const deadLetter = deadLetterAlert({
  message: 'contacts.lead_source: "Trade <show>" & more is not an option',
  trace: 'contacts.lead_source: CRM_PICKLIST_MISMATCH "Trade show" (nearest: Tradeshow)\nprevious attempt: ```boom```',
  attempts: 2,
});

const summary: FloodSummaryAlert = {
  kind: 'flood_summary',
  id: 'alert_9',
  time: '2026-01-01T00:01:00.000Z',
  source: 'segment',
  errorCode: 'CRM_RATE_LIMITED',
  count: 45,
  alertedIndividually: 5,
  windowStartedAt: '2026-01-01T00:00:00.000Z',
  windowMs: 60_000,
  firstAt: '2026-01-01T00:00:01.000Z',
  lastAt: '2026-01-01T00:00:59.000Z',
  sampleEventIds: ['6', '7', '8'],
};

type Block = { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { text: string }[] };

let receiver: AlertReceiver;
beforeEach(async () => {
  receiver = await new AlertReceiver().start('/services/T000/B000/secret-token');
});
afterEach(async () => {
  await receiver.stop();
});

describe('Slack alert channel (against a local HTTP server)', () => {
  it('posts incoming-webhook JSON: a text fallback and blocks with every field and the trace', async () => {
    await new SlackAlertChannel({ url: receiver.url }).send(deadLetter);

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/services/T000/B000/secret-token' });
    expect(request?.headers['content-type']).toBe('application/json');
    const [message] = receiver.json<SlackMessage & { blocks: Block[] }>();
    expect(message?.text).toBe('leadsync: event 42 from webform was dead-lettered (CRM_PICKLIST_MISMATCH)');
    const blocks = message?.blocks ?? [];
    expect(blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(blocks[0]?.text).toEqual({ type: 'plain_text', text: 'Dead-lettered: CRM_PICKLIST_MISMATCH', emoji: false });
    // mrkdwn control characters are escaped so a value cannot become a link or a mention.
    expect(blocks[1]?.text?.text).toBe('contacts.lead_source: "Trade &lt;show&gt;" &amp; more is not an option');
    expect(blocks[2]?.fields?.map((field) => field.text)).toEqual([
      '*Event (payload id)*\n42',
      '*DLQ item*\n7',
      '*Source*\nwebform',
      '*Lead*\ncontacts:ada@example.com',
      '*Error code*\nCRM_PICKLIST_MISMATCH',
      '*Attempts*\n2',
      '*Time*\n2026-01-01T00:00:00.000Z',
    ]);
    // The trace sits in one code block; a fence inside it cannot close the block early.
    expect(blocks[3]?.text?.text).toBe("```contacts.lead_source: CRM_PICKLIST_MISMATCH \"Trade show\" (nearest: Tradeshow)\nprevious attempt: '''boom'''```");
    expect(blocks[4]?.elements?.[0]?.text).toContain('alert_1');
  });

  it('posts a flood summary with its count, window and sample event ids', async () => {
    await new SlackAlertChannel({ url: receiver.url }).send(summary);
    const [message] = receiver.json<SlackMessage & { blocks: Block[] }>();
    expect(message?.text).toBe('leadsync: 45 more events from segment were dead-lettered with CRM_RATE_LIMITED');
    expect(message?.blocks[0]?.text?.text).toBe('Dead-letter flood: CRM_RATE_LIMITED × 45');
    expect(message?.blocks[2]?.fields?.map((field) => field.text)).toContain('*Sample events*\n6, 7, 8');
  });

  it('keeps block texts within Slack limits for a very long trace', async () => {
    await new SlackAlertChannel({ url: receiver.url }).send({ ...deadLetter, trace: 'x'.repeat(10_000) });
    const [message] = receiver.json<SlackMessage & { blocks: Block[] }>();
    const trace = message?.blocks[3]?.text?.text ?? '';
    expect(trace.length).toBeLessThanOrEqual(3_000);
    expect(trace.endsWith('…```')).toBe(true);
  });

  it('rejects on a non-2xx answer, naming the status but not the secret URL path', async () => {
    receiver.statuses.push(500);
    const failure = new SlackAlertChannel({ url: receiver.url }).send(deadLetter);
    await expect(failure).rejects.toThrow(/^slack: 127\.0\.0\.1:\d+ answered 500: server error$/);
    await expect(failure).rejects.not.toThrow(/secret-token/);
  });

  it('rejects when the server does not answer within the timeout', async () => {
    receiver.statuses.push('hang');
    await expect(new SlackAlertChannel({ url: receiver.url, timeoutMs: 100 }).send(deadLetter)).rejects.toThrow('no answer within 100 ms');
  });
});
