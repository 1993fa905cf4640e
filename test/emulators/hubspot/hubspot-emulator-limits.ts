import type { RateLimitPolicy } from './hubspot-emulator-bodies.js';

/** The per-app rolling window: HubSpot's "X per 10 seconds". */
export interface RollingLimit {
  readonly max: number;
  readonly intervalMs: number;
}

/** The per-account daily allowance; `used` lets a test start near the limit. */
export interface DailyLimit {
  readonly limit: number;
  readonly used?: number;
}

/** What one request learns from the limiter: whether it may go on, and the header values to send. */
export interface LimitDecision {
  readonly refusedBy: RateLimitPolicy | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

const DAY_MS = 86_400_000;

/**
 * HubSpot's two limits as the emulator enforces them: a rolling window of
 * accepted requests (refused requests do not count) and a daily count that
 * resets at midnight UTC. Every authenticated reply carries the
 * X-HubSpot-RateLimit-* headers; a 429 names the policy that refused it.
 */
export class HubSpotRateLimiter {
  private rolling: RollingLimit;
  private daily: number;
  private dailyUsed: number;
  private day: number;
  // Times of accepted requests inside the window, oldest first; `head` skips expired ones without shifting.
  private accepted: number[] = [];
  private head = 0;

  constructor(
    rolling: RollingLimit,
    daily: DailyLimit,
    private readonly now: () => number,
  ) {
    this.rolling = checkRolling(rolling);
    this.daily = daily.limit;
    this.dailyUsed = daily.used ?? 0;
    this.day = Math.floor(now() / DAY_MS);
  }

  setRolling(rolling: RollingLimit): void {
    this.rolling = checkRolling(rolling);
  }

  setDaily(daily: DailyLimit): void {
    this.daily = daily.limit;
    this.dailyUsed = daily.used ?? 0;
  }

  settings(): { rateLimit: RollingLimit; dailyLimit: { limit: number; used: number } } {
    return { rateLimit: this.rolling, dailyLimit: { limit: this.daily, used: this.dailyUsed } };
  }

  /** Counts the request if it is allowed. */
  take(): LimitDecision {
    const now = this.now();
    const today = Math.floor(now / DAY_MS);
    if (today !== this.day) {
      this.day = today;
      this.dailyUsed = 0;
    }
    while (this.head < this.accepted.length && (this.accepted[this.head] ?? 0) <= now - this.rolling.intervalMs) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.accepted.length) {
      this.accepted = this.accepted.slice(this.head);
      this.head = 0;
    }
    const inWindow = this.accepted.length - this.head;
    let refusedBy: RateLimitPolicy | undefined;
    if (this.dailyUsed >= this.daily) refusedBy = 'DAILY';
    else if (inWindow >= this.rolling.max) refusedBy = 'TEN_SECONDLY_ROLLING';
    else {
      this.accepted.push(now);
      this.dailyUsed += 1;
    }
    const remaining = Math.max(0, this.rolling.max - (this.accepted.length - this.head));
    return {
      refusedBy,
      headers: {
        'X-HubSpot-RateLimit-Daily': String(this.daily),
        'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.daily - this.dailyUsed)),
        'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.rolling.intervalMs),
        'X-HubSpot-RateLimit-Max': String(this.rolling.max),
        'X-HubSpot-RateLimit-Remaining': String(remaining),
      },
    };
  }
}

function checkRolling(rolling: RollingLimit): RollingLimit {
  if (!Number.isSafeInteger(rolling.max) || rolling.max < 1) throw new RangeError(`rateLimit.max must be a positive integer, got ${rolling.max}`);
  if (!Number.isSafeInteger(rolling.intervalMs) || rolling.intervalMs < 1) throw new RangeError(`rateLimit.intervalMs must be a positive integer, got ${rolling.intervalMs}`);
  return rolling;
}
