import type { Clock } from '../../src/ports/clock.js';

/** A clock that moves only when a test moves it: timeouts and backoff without sleeps. */
export class ManualClock implements Clock {
  private currentMs: number;

  /** @param start (Default: 2026-01-01T00:00:00.000Z) */
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.currentMs = new Date(start).getTime();
    if (Number.isNaN(this.currentMs)) throw new RangeError(`ManualClock: invalid start ${String(start)}`);
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  /** Moves time forward and returns the new now. */
  advance(ms: number): Date {
    if (!(ms >= 0)) throw new RangeError('ManualClock only moves forward');
    this.currentMs += ms;
    return this.now();
  }

  /** The time `ms` from now, without moving the clock. */
  after(ms: number): Date {
    return new Date(this.currentMs + ms);
  }
}
