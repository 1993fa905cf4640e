import { describe, expect, it } from 'vitest';
import { createAlertDispatcher, type AlertDispatcherOptions } from '../../../src/app/alert-dispatcher.js';
import type { DeadLetterNotice } from '../../../src/app/job-processor.js';
import type { Alert, AlertChannel, DeadLetterAlert, FloodSummaryAlert } from '../../../src/ports/alert-channel.js';
import { deadLetterAlert } from '../../support/alert-fixtures.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { flushPromises, ManualScheduler } from '../../support/manual-scheduler.js';

/** A channel that records what it is sent and answers as `behave` says (default: delivered). */
class FakeChannel implements AlertChannel {
  readonly received: Alert[] = [];
  calls = 0;
  constructor(
    readonly name: string,
    private readonly behave: (call: number, alert: Alert) => Promise<void> = () => Promise.resolve(),
  ) {}

  send(alert: Alert): Promise<void> {
    this.calls += 1;
    this.received.push(alert);
    return this.behave(this.calls, alert);
  }

  deadLetters(): DeadLetterAlert[] {
    return this.received.filter((alert): alert is DeadLetterAlert => alert.kind === 'dead_letter');
  }

  summaries(): FloodSummaryAlert[] {
    return this.received.filter((alert): alert is FloodSummaryAlert => alert.kind === 'flood_summary');
  }
}

const never = (): Promise<void> => new Promise<void>(() => undefined);

function notice(overrides: Partial<DeadLetterNotice> = {}): DeadLetterNotice {
  return {
    deadLetterId: '7',
    eventId: '42',
    source: 'webform',
    leadKey: 'contacts:ada@example.com',
    errorCode: 'CRM_PICKLIST_MISMATCH',
    message: 'contacts.lead_source: CRM_PICKLIST_MISMATCH "Trade show" is not an option',
    trace: 'contacts.lead_source: CRM_PICKLIST_MISMATCH "Trade show" is not an option (nearest: Tradeshow)',
    attempts: 1,
    ...overrides,
  };
}

function setup(channels: readonly AlertChannel[], options: Partial<AlertDispatcherOptions> = {}) {
  const scheduler = new ManualScheduler();
  const logger = new CapturingLogger();
  let ids = 0;
  const dispatcher = createAlertDispatcher({ channels, logger, scheduler, newId: () => `alert_${++ids}`, ...options });
  return { scheduler, logger, dispatcher };
}

describe('alert dispatcher', () => {
  it('sends every dead letter to every channel with the payload id, source, code, message and trace', async () => {
    const slack = new FakeChannel('slack');
    const webhook = new FakeChannel('webhook');
    const { dispatcher, scheduler } = setup([slack, webhook]);

    dispatcher.notify(notice());
    await flushPromises();

    const expected = deadLetterAlert({ time: scheduler.now().toISOString(), message: notice().message, trace: notice().trace });
    expect(slack.received).toEqual([expected]);
    expect(webhook.received).toEqual([expected]);
    expect(dispatcher.stats()).toMatchObject({ notices: 1, alerts: 1, delivered: 2, failed: 0, dropped: 0 });
  });

  it('returns from notify before any channel runs, even when a channel never answers', async () => {
    const stuck = new FakeChannel('stuck', never);
    const fine = new FakeChannel('fine');
    const { dispatcher } = setup([stuck, fine]);

    dispatcher.notify(notice());
    // Nothing ran on the caller's stack.
    expect(stuck.calls).toBe(0);
    await flushPromises();
    expect(stuck.calls).toBe(1);
    expect(fine.received).toHaveLength(1);
  });

  it('groups a flood: 50 dead letters of one code and source in a window give 5 alerts and one summary of 45', async () => {
    const channel = new FakeChannel('slack');
    const { dispatcher, scheduler } = setup([channel]);
    const start = scheduler.now();

    for (let index = 1; index <= 50; index += 1) {
      dispatcher.notify(notice({ eventId: String(index) }));
      scheduler.advance(100);
    }
    await flushPromises();
    expect(channel.deadLetters().map((alert) => alert.eventId)).toEqual(['1', '2', '3', '4', '5']);
    expect(channel.summaries()).toEqual([]);

    scheduler.advance(60_000 - 5_000);
    await flushPromises();
    expect(channel.deadLetters()).toHaveLength(5);
    expect(channel.summaries()).toEqual([
      {
        kind: 'flood_summary', id: 'alert_6', time: new Date(start.getTime() + 60_000).toISOString(), source: 'webform',
        errorCode: 'CRM_PICKLIST_MISMATCH', count: 45, alertedIndividually: 5, windowStartedAt: start.toISOString(), windowMs: 60_000,
        firstAt: new Date(start.getTime() + 500).toISOString(), lastAt: new Date(start.getTime() + 4_900).toISOString(),
        sampleEventIds: ['6', '7', '8', '9', '10'],
      },
    ]);
    expect(dispatcher.stats()).toMatchObject({ notices: 50, suppressed: 45, alerts: 6, delivered: 6 });
  });

  it('keeps one window per error code and source, and opens a fresh window after one closes', async () => {
    const channel = new FakeChannel('slack');
    const { dispatcher, scheduler } = setup([channel], { floodThreshold: 2, floodWindowMs: 10_000 });

    for (let index = 0; index < 3; index += 1) {
      dispatcher.notify(notice({ eventId: `a${index}` }));
      dispatcher.notify(notice({ eventId: `b${index}`, errorCode: 'CRM_REQUIRED_MISSING' }));
      dispatcher.notify(notice({ eventId: `c${index}`, source: 'segment' }));
    }
    scheduler.advance(10_000);
    await flushPromises();
    expect(channel.deadLetters()).toHaveLength(6);
    expect(channel.summaries().map((summary) => [summary.source, summary.errorCode, summary.count, summary.sampleEventIds])).toEqual([
      ['webform', 'CRM_PICKLIST_MISMATCH', 1, ['a2']],
      ['webform', 'CRM_REQUIRED_MISSING', 1, ['b2']],
      ['segment', 'CRM_PICKLIST_MISMATCH', 1, ['c2']],
    ]);

    // The window closed: the next dead letter of that kind is alerted on its own again.
    dispatcher.notify(notice({ eventId: 'a3' }));
    await flushPromises();
    expect(channel.deadLetters().at(-1)?.eventId).toBe('a3');
  });

  it('sends no summary for a window that stayed under the threshold', async () => {
    const channel = new FakeChannel('slack');
    const { dispatcher, scheduler } = setup([channel]);
    dispatcher.notify(notice());
    scheduler.advance(60_000);
    await flushPromises();
    expect(channel.received.map((alert) => alert.kind)).toEqual(['dead_letter']);
    expect(scheduler.pendingDelays()).toEqual([]);
  });

  it('retries a failing channel with backoff and delivers on a later try', async () => {
    const flaky = new FakeChannel('flaky', (call) => (call < 3 ? Promise.reject(new Error(`HTTP 500 on try ${call}`)) : Promise.resolve()));
    const { dispatcher, scheduler, logger } = setup([flaky], { retryDelayMs: 1_000 });

    dispatcher.notify(notice());
    await flushPromises();
    expect(flaky.calls).toBe(1);
    // The flood window (60 s) and the first backoff (1 s).
    expect(scheduler.pendingDelays()).toEqual([1_000, 60_000]);
    scheduler.advance(999);
    await flushPromises();
    expect(flaky.calls).toBe(1);
    scheduler.advance(1);
    await flushPromises();
    expect(flaky.calls).toBe(2);
    // Doubled before the third try.
    scheduler.advance(2_000);
    await flushPromises();
    expect(flaky.calls).toBe(3);
    expect(new Set(flaky.received.map((alert) => alert.id)).size).toBe(1);
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, failed: 0 });
    expect(logger.matching('retrying').map((line) => line.fields['attempt'])).toEqual([1, 2]);
  });

  it('gives up on a channel that always fails after 3 tries, logs it, and still serves the other channels', async () => {
    const broken = new FakeChannel('broken', () => Promise.reject(new Error('connection refused')));
    const fine = new FakeChannel('fine');
    const { dispatcher, scheduler, logger } = setup([broken, fine]);

    for (let index = 0; index < 3; index += 1) dispatcher.notify(notice({ eventId: String(index) }));
    await flushPromises();
    // The healthy channel is not held back by the broken one's retries.
    expect(fine.received).toHaveLength(3);

    for (let step = 0; step < 10; step += 1) {
      scheduler.advance(4_000);
      await flushPromises();
    }
    expect(broken.calls).toBe(9);
    const gaveUp = logger.matching('gave up after 3 tries');
    expect(gaveUp).toHaveLength(3);
    expect(gaveUp[0]).toMatchObject({ level: 'error', fields: { channel: 'broken', attempts: 3, alert: { eventId: '0', errorCode: 'CRM_PICKLIST_MISMATCH' } } });
    expect((gaveUp[0]?.fields['err'] as Error).message).toBe('connection refused');
    expect(dispatcher.stats()).toMatchObject({ delivered: 3, failed: 3 });
  });

  it('treats a channel that throws instead of rejecting like any failure', async () => {
    const throwing: AlertChannel = {
      name: 'throwing',
      send: () => {
        throw new Error('not even a promise');
      },
    };
    const { dispatcher, logger } = setup([throwing], { maxAttempts: 1 });
    expect(() => dispatcher.notify(notice())).not.toThrow();
    await flushPromises();
    expect(logger.matching('gave up after 1 tries')).toHaveLength(1);
  });

  it('bounds each channel queue: overflow is dropped, counted and logged per alert', async () => {
    const stuck = new FakeChannel('stuck', never);
    const { dispatcher, logger } = setup([stuck], { maxQueue: 3 });

    // Distinct sources, so flood grouping does not fold them.
    for (let index = 0; index < 10; index += 1) dispatcher.notify(notice({ eventId: String(index), source: `source${index}` }));
    await flushPromises();

    // Notified in one go: three fit the queue, the first of them is now in flight, seven were dropped.
    expect(stuck.received.map((alert) => alert.kind === 'dead_letter' && alert.eventId)).toEqual(['0']);
    expect(dispatcher.stats()).toMatchObject({ alerts: 10, dropped: 7 });
    const drops = logger.matching('alert dropped');
    expect(drops.map((line) => (line.fields['alert'] as { eventId: string }).eventId)).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(drops.at(-1)).toMatchObject({ level: 'error', fields: { channel: 'stuck', droppedTotal: 7 } });

    // The first alert left the queue when it went in flight, so one more fits.
    dispatcher.notify(notice({ eventId: '10', source: 'source10' }));
    expect(dispatcher.stats().dropped).toBe(7);
  });

  it('stop() sends the summaries of open windows and waits for them to be delivered', async () => {
    const channel = new FakeChannel('slack');
    const { dispatcher } = setup([channel]);
    for (let index = 1; index <= 8; index += 1) dispatcher.notify(notice({ eventId: String(index) }));

    await dispatcher.stop();

    expect(channel.deadLetters()).toHaveLength(5);
    expect(channel.summaries()).toMatchObject([{ count: 3, sampleEventIds: ['6', '7', '8'] }]);
    expect(dispatcher.stats()).toMatchObject({ delivered: 6, dropped: 0 });
  });

  it('stop() gives up at its deadline and logs what was not delivered', async () => {
    const stuck = new FakeChannel('stuck', never);
    const { dispatcher, scheduler, logger } = setup([stuck]);
    dispatcher.notify(notice({ eventId: '1', source: 'a' }));
    dispatcher.notify(notice({ eventId: '2', source: 'b' }));
    await flushPromises();

    let stopped = false;
    const stopping = dispatcher.stop(2_000).then(() => {
      stopped = true;
    });
    await flushPromises();
    expect(stopped).toBe(false);
    scheduler.advance(2_000);
    await stopping;

    const left = logger.matching('not delivered to stuck before the 2000 ms stop deadline');
    expect(left).toHaveLength(1);
    expect(left[0]?.fields['alerts']).toMatchObject([{ eventId: '2' }]);
    expect(dispatcher.stats().dropped).toBe(1);
  });

  it('logs a notice that arrives after stop as dropped', async () => {
    const channel = new FakeChannel('slack');
    const { dispatcher, logger } = setup([channel]);
    await dispatcher.stop();
    dispatcher.notify(notice({ eventId: '99' }));
    await flushPromises();
    expect(channel.received).toEqual([]);
    expect(logger.matching('dispatcher is stopping')[0]?.fields).toMatchObject({ alert: { eventId: '99' } });
    expect(dispatcher.stats().dropped).toBe(1);
  });
});
