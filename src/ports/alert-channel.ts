import type { ErrorCode } from '../core/errors/error-codes.js';

/** The kinds of alert a channel receives; the webhook channel sends them as `leadsync.alert.<kind>`. */
export const ALERT_KINDS = ['dead_letter', 'flood_summary'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * One event was dead-lettered. `eventId` is the payload id: the stored raw
 * event the DLQ item points at.
 */
export interface DeadLetterAlert {
  readonly kind: 'dead_letter';
  /** Alert id; stays the same across delivery retries so receivers can de-duplicate. */
  readonly id: string;
  /** When the event was dead-lettered (ISO 8601). */
  readonly time: string;
  readonly eventId: string;
  /** The DLQ item to inspect, replay or discard; null when the store gave none. */
  readonly deadLetterId: string | null;
  readonly source: string;
  readonly leadKey: string;
  readonly errorCode: ErrorCode;
  readonly message: string;
  readonly trace: string;
  readonly attempts: number;
}

/**
 * A flood of dead letters with one error code from one source: the first
 * alerts of a window went out one by one, the rest are counted here.
 */
export interface FloodSummaryAlert {
  readonly kind: 'flood_summary';
  readonly id: string;
  /** When the window closed (ISO 8601). */
  readonly time: string;
  readonly source: string;
  readonly errorCode: ErrorCode;
  /** Dead letters in the window that were not alerted one by one. */
  readonly count: number;
  /** Dead letters in the window that were alerted one by one. */
  readonly alertedIndividually: number;
  readonly windowStartedAt: string;
  readonly windowMs: number;
  /** First and last of the counted dead letters (ISO 8601). */
  readonly firstAt: string;
  readonly lastAt: string;
  /** Event ids of the first few counted dead letters. */
  readonly sampleEventIds: readonly string[];
}

export type Alert = DeadLetterAlert | FloodSummaryAlert;

/**
 * Somewhere alerts go: Slack, a signed webhook, the log. `send` resolves once
 * the alert is delivered and rejects when it is not; retrying is the caller's job.
 */
export interface AlertChannel {
  /** Shown in logs about this channel, e.g. `slack`, `webhook hooks.example.com`. */
  readonly name: string;
  send(alert: Alert): Promise<void>;
}
