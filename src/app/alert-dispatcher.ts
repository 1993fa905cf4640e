import { randomUUID } from 'node:crypto';
import type { Alert, AlertChannel, DeadLetterAlert, FloodSummaryAlert } from '../ports/alert-channel.js';
import type { Scheduler } from '../ports/scheduler.js';
import type { StructuredLogger } from '../ports/structured-logger.js';
import type { DeadLetterNotice } from './job-processor.js';

/** Channels, logger and timers of an {@link AlertDispatcher}, and its flood and retry settings. */
export interface AlertDispatcherOptions {
  readonly channels: readonly AlertChannel[];
  /** Where delivery failures, drops and give-ups are recorded. */
  readonly logger: StructuredLogger;
  /** Time and timers: flood windows, retry backoff, the stop deadline. */
  readonly scheduler: Scheduler;
  /** Length of a flood window, opened by the first dead letter of an error code + source. (Default: 60000 ms) */
  readonly floodWindowMs?: number;
  /** Dead letters per error code + source and window alerted one by one; the rest go into one summary. (Default: 5) */
  readonly floodThreshold?: number;
  /** Event ids a flood summary lists. (Default: 5) */
  readonly sampleSize?: number;
  /** Alerts waiting per channel; beyond it new alerts are dropped, counted and logged. (Default: 1000) */
  readonly maxQueue?: number;
  /** Tries per alert and channel. (Default: 3) */
  readonly maxAttempts?: number;
  /** Wait before the second try; doubles before each further try. (Default: 1000 ms) */
  readonly retryDelayMs?: number;
  /** Alert ids. (Default: "alert_" + a random UUID) */
  readonly newId?: () => string;
}

/** Counters since the dispatcher started. */
export interface AlertDispatcherStats {
  /** Dead-letter notices received. */
  readonly notices: number;
  /** Notices folded into a flood summary instead of alerted one by one. */
  readonly suppressed: number;
  /** Alerts created (one-by-one and summaries). */
  readonly alerts: number;
  /** Deliveries that reached a channel (alert × channel). */
  readonly delivered: number;
  /** Deliveries given up after every try. */
  readonly failed: number;
  /** Deliveries dropped: queue full, or still waiting at the stop deadline, or notified after stop. */
  readonly dropped: number;
}

/** Takes dead-letter notices from the worker and delivers alerts in the background. */
export interface AlertDispatcher {
  /**
   * Takes a dead-letter notice and returns at once: never throws, never waits
   * for a channel. Delivery happens in the background.
   */
  notify(notice: DeadLetterNotice): void;
  stats(): AlertDispatcherStats;
  /**
   * Closes every flood window (sending its summary), then waits for queued
   * alerts to be delivered, at most `deadlineMs`; what is left is logged as dropped.
   * @param deadlineMs (Default: 5000)
   */
  stop(deadlineMs?: number): Promise<void>;
}

interface FloodWindow {
  readonly source: string;
  readonly errorCode: DeadLetterNotice['errorCode'];
  readonly startedAt: Date;
  individual: number;
  suppressed: number;
  firstAt: Date | null;
  lastAt: Date | null;
  readonly samples: string[];
  cancel: () => void;
}

type Counters = { -readonly [K in keyof AlertDispatcherStats]: number };

/**
 * Sends an alert for every dead-lettered event to every channel, grouping
 * floods: per error code + source, the first `floodThreshold` dead letters of
 * a window are alerted one by one and the rest are counted into one summary
 * sent when the window closes. Each channel has its own bounded queue and
 * retries with exponential backoff, so a slow or failing channel delays
 * neither the pipeline nor the other channels.
 */
export function createAlertDispatcher(options: AlertDispatcherOptions): AlertDispatcher {
  const { logger, scheduler } = options;
  const windowMs = options.floodWindowMs ?? 60_000;
  const threshold = options.floodThreshold ?? 5;
  const sampleSize = options.sampleSize ?? 5;
  const newId = options.newId ?? (() => `alert_${randomUUID()}`);
  const counters: Counters = { notices: 0, suppressed: 0, alerts: 0, delivered: 0, failed: 0, dropped: 0 };
  const windows = new Map<string, FloodWindow>();
  const lanes = options.channels.map(
    (channel) =>
      new DeliveryLane(channel, {
        logger,
        scheduler,
        counters,
        maxQueue: options.maxQueue ?? 1_000,
        maxAttempts: options.maxAttempts ?? 3,
        retryDelayMs: options.retryDelayMs ?? 1_000,
      }),
  );
  let stopping: Promise<void> | null = null;

  const enqueue = (alert: Alert): void => {
    counters.alerts += 1;
    for (const lane of lanes) lane.push(alert);
  };

  const closeWindow = (key: string): void => {
    const window = windows.get(key);
    if (!window) return;
    windows.delete(key);
    window.cancel();
    if (window.suppressed === 0 || !window.firstAt || !window.lastAt) return;
    const summary: FloodSummaryAlert = {
      kind: 'flood_summary',
      id: newId(),
      time: scheduler.now().toISOString(),
      source: window.source,
      errorCode: window.errorCode,
      count: window.suppressed,
      alertedIndividually: window.individual,
      windowStartedAt: window.startedAt.toISOString(),
      windowMs,
      firstAt: window.firstAt.toISOString(),
      lastAt: window.lastAt.toISOString(),
      sampleEventIds: [...window.samples],
    };
    enqueue(summary);
  };

  const take = (notice: DeadLetterNotice): void => {
    const now = scheduler.now();
    const key = JSON.stringify([notice.errorCode, notice.source]);
    let window = windows.get(key);
    if (!window) {
      const opened: FloodWindow = { source: notice.source, errorCode: notice.errorCode, startedAt: now, individual: 0, suppressed: 0, firstAt: null, lastAt: null, samples: [], cancel: () => undefined };
      opened.cancel = scheduler.setTimeout(() => guarded(() => closeWindow(key), 'closing a flood window'), windowMs);
      windows.set(key, opened);
      window = opened;
    }
    if (window.individual < threshold) {
      window.individual += 1;
      enqueue(deadLetterAlert(notice, newId(), now));
      return;
    }
    window.suppressed += 1;
    counters.suppressed += 1;
    window.firstAt ??= now;
    window.lastAt = now;
    if (window.samples.length < sampleSize) window.samples.push(notice.eventId);
  };

  // Timer callbacks and notify() run on other people's stacks: an exception there is recorded, never thrown.
  const guarded = (work: () => void, what: string): void => {
    try {
      work();
    } catch (error) {
      logger.error({ err: error }, `alert dispatcher: ${what} failed`);
    }
  };

  return {
    notify(notice) {
      counters.notices += 1;
      if (stopping) {
        counters.dropped += lanes.length;
        logger.warn({ alert: { eventId: notice.eventId, source: notice.source, errorCode: notice.errorCode } }, 'alert dropped: the dispatcher is stopping');
        return;
      }
      guarded(() => take(notice), `taking the dead-letter notice of event ${notice.eventId}`);
    },

    stats: () => ({ ...counters }),

    stop(deadlineMs = 5_000) {
      stopping ??= (async () => {
        for (const key of [...windows.keys()]) guarded(() => closeWindow(key), 'closing a flood window');
        let cancelDeadline = (): void => undefined;
        const deadline = new Promise<'deadline'>((resolve) => {
          cancelDeadline = scheduler.setTimeout(() => resolve('deadline'), deadlineMs);
        });
        const drained = Promise.all(lanes.map((lane) => lane.drained())).then(() => 'drained' as const);
        const result = await Promise.race([drained, deadline]);
        cancelDeadline();
        if (result === 'deadline') for (const lane of lanes) lane.abandon(deadlineMs);
      })();
      return stopping;
    },
  };
}

function deadLetterAlert(notice: DeadLetterNotice, id: string, now: Date): DeadLetterAlert {
  return {
    kind: 'dead_letter',
    id,
    time: now.toISOString(),
    eventId: notice.eventId,
    deadLetterId: notice.deadLetterId,
    source: notice.source,
    leadKey: notice.leadKey,
    errorCode: notice.errorCode,
    message: notice.message,
    trace: notice.trace,
    attempts: notice.attempts,
  };
}

/** What a log line about an alert says: enough to find it again, without the message and trace. */
function describe(alert: Alert): Record<string, unknown> {
  return alert.kind === 'dead_letter'
    ? { id: alert.id, kind: alert.kind, eventId: alert.eventId, deadLetterId: alert.deadLetterId, source: alert.source, errorCode: alert.errorCode }
    : { id: alert.id, kind: alert.kind, source: alert.source, errorCode: alert.errorCode, count: alert.count, sampleEventIds: alert.sampleEventIds };
}

interface LaneSettings {
  readonly logger: StructuredLogger;
  readonly scheduler: Scheduler;
  readonly counters: Counters;
  readonly maxQueue: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
}

/** One channel's queue, delivered one alert at a time, in order. */
class DeliveryLane {
  private readonly queue: Alert[] = [];
  private draining: Promise<void> | null = null;
  private abandoned = false;
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly channel: AlertChannel,
    private readonly settings: LaneSettings,
  ) {}

  push(alert: Alert): void {
    if (this.abandoned || this.queue.length >= this.settings.maxQueue) {
      this.settings.counters.dropped += 1;
      this.settings.logger.error(
        { channel: this.channel.name, alert: describe(alert), queued: this.queue.length, droppedTotal: this.settings.counters.dropped },
        `alert dropped: the ${this.channel.name} queue is full (${this.settings.maxQueue})`,
      );
      return;
    }
    this.queue.push(alert);
    this.draining ??= this.drain();
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  async drained(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Gives up on what is still queued (logged as dropped) and cuts short any backoff wait. */
  abandon(deadlineMs: number): void {
    this.abandoned = true;
    const left = this.queue.splice(0);
    if (left.length > 0) {
      this.settings.counters.dropped += left.length;
      this.settings.logger.error(
        { channel: this.channel.name, alerts: left.map(describe), droppedTotal: this.settings.counters.dropped },
        `${left.length} alert(s) not delivered to ${this.channel.name} before the ${deadlineMs} ms stop deadline`,
      );
    }
    for (const wake of [...this.wakers]) wake();
  }

  private async drain(): Promise<void> {
    // Start after the caller's turn: notify() never runs channel code on the worker's stack.
    await Promise.resolve();
    try {
      for (let alert = this.queue.shift(); alert && !this.abandoned; alert = this.queue.shift()) await this.deliver(alert);
    } catch (error) {
      this.settings.logger.error({ err: error, channel: this.channel.name }, 'alert delivery loop failed');
    } finally {
      // No await between the loop finding the queue empty and this line, so no pushed alert is stranded.
      this.draining = null;
    }
  }

  private async deliver(alert: Alert): Promise<void> {
    const { logger, counters, maxAttempts, retryDelayMs } = this.settings;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.channel.send(alert);
        counters.delivered += 1;
        return;
      } catch (error) {
        if (attempt >= maxAttempts || this.abandoned) {
          counters.failed += 1;
          logger.error({ err: error, channel: this.channel.name, alert: describe(alert), attempts: attempt }, `alert delivery to ${this.channel.name} failed; gave up after ${attempt} tries`);
          return;
        }
        const delayMs = retryDelayMs * 2 ** (attempt - 1);
        logger.warn({ err: error, channel: this.channel.name, alert: describe(alert), attempt, retryInMs: delayMs }, `alert delivery to ${this.channel.name} failed; retrying in ${delayMs} ms`);
        await this.sleep(delayMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.wakers.delete(wake);
        cancel();
        resolve();
      };
      const cancel = this.settings.scheduler.setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}
