import type { Alert, AlertChannel } from '../../ports/alert-channel.js';
import type { StructuredLogger } from '../../ports/structured-logger.js';

/**
 * Writes each alert as one structured log line at error level, under the
 * `alert` field (the logger masks personal data in it). Never fails unless
 * the logger throws.
 */
export class LogAlertChannel implements AlertChannel {
  readonly name: string;
  private readonly logger: StructuredLogger;

  /** @param name (Default: log) */
  constructor(logger: StructuredLogger, name = 'log') {
    this.logger = logger;
    this.name = name;
  }

  send(alert: Alert): Promise<void> {
    const message =
      alert.kind === 'dead_letter'
        ? `alert: event ${alert.eventId} from ${alert.source} was dead-lettered (${alert.errorCode})`
        : `alert: ${alert.count} more events from ${alert.source} were dead-lettered with ${alert.errorCode}`;
    try {
      this.logger.error({ alert }, message);
      return Promise.resolve();
    } catch (error) {
      // A logger that throws is reported like any failed delivery, so the dispatcher logs and counts it.
      return Promise.reject(new Error(`${this.name}: writing the alert failed`, { cause: error }));
    }
  }
}
