import type BetterSqlite3 from 'better-sqlite3';
import { blockBucket, observeRemaining, peekBucket, takeTokens, type BucketState } from '../../core/rate-limit/token-bucket.js';
import type { RateLimitPolicy, RateLimitStatus, RateLimitStore, TakeDecision, TakeRequest } from '../../ports/rate-limit-store.js';
import { promised } from './sqlite-async-bridge.js';
import { writeAsConfigured } from '../../adapter-support/sqlite-nonblocking-write.js';

interface BucketRow {
  tokens: number;
  updated_at: number;
  blocked_until: number;
  pause_since: number | null;
  pause_until: number | null;
  pause_reason: string | null;
}

const toState = (row: BucketRow | undefined): BucketState | undefined =>
  row === undefined ? undefined : { tokens: row.tokens, updatedAtMs: row.updated_at, blockedUntilMs: row.blocked_until };

/**
 * Token buckets in the SQLite file (table `rate_limit_buckets`, migration
 * 005): every process opening the same file shares one bucket per
 * destination. Each operation reads, computes (core) and writes back inside
 * one IMMEDIATE transaction, so two processes never both take the last token.
 * On the HTTP thread's connection of `leadsync serve` that transaction waits
 * for a busy write lock without sleeping the event loop (`writeAsConfigured`).
 */
export class SqliteRateLimitStore implements RateLimitStore {
  private readonly select: BetterSqlite3.Statement<[string], BucketRow>;
  private readonly write: BetterSqlite3.Statement<[string, number, number, number]>;
  private readonly writePause: BetterSqlite3.Statement<[number, number, string, string]>;
  private readonly update: (destination: string, change: (state: BucketState | undefined, row: BucketRow | undefined) => BucketState) => void;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.select = db.prepare('SELECT tokens, updated_at, blocked_until, pause_since, pause_until, pause_reason FROM rate_limit_buckets WHERE destination = ?');
    this.write = db.prepare(
      `INSERT INTO rate_limit_buckets (destination, tokens, updated_at, blocked_until) VALUES (?, ?, ?, ?)
       ON CONFLICT (destination) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, blocked_until = excluded.blocked_until`,
    );
    this.writePause = db.prepare('UPDATE rate_limit_buckets SET pause_since = ?, pause_until = ?, pause_reason = ? WHERE destination = ?');
    const run = db.transaction((destination: string, change: (state: BucketState | undefined, row: BucketRow | undefined) => BucketState) => {
      const row = this.select.get(destination);
      const next = change(toState(row), row);
      this.write.run(destination, next.tokens, next.updatedAtMs, next.blockedUntilMs);
    });
    this.update = (destination, change) => run.immediate(destination, change);
  }

  take(request: TakeRequest): Promise<TakeDecision> {
    return writeAsConfigured(this.db, () => {
      let decision: TakeDecision = { granted: false, waitMs: 1, reason: 'no_tokens' };
      this.update(request.destination, (state) => {
        const result = takeTokens(state, request.policy, request.lane, request.cost, request.now.getTime());
        decision = result.decision;
        return result.state;
      });
      return decision;
    });
  }

  block(destination: string, request: { until: Date; now: Date; policy: RateLimitPolicy }): Promise<void> {
    return writeAsConfigured(this.db, () => {
      this.update(destination, (state) => blockBucket(state, request.policy, request.until.getTime(), request.now.getTime()));
    });
  }

  pause(destination: string, request: { until: Date; now: Date; reason: string; policy: RateLimitPolicy }): Promise<void> {
    return writeAsConfigured(this.db, () => {
      this.db.transaction(() => {
        const row = this.select.get(destination);
        const now = request.now.getTime();
        const until = request.until.getTime();
        const live = row?.pause_until != null && row.pause_until > now;
        const next = blockBucket(toState(row), request.policy, until, now);
        this.write.run(destination, next.tokens, next.updatedAtMs, next.blockedUntilMs);
        this.writePause.run(live ? (row.pause_since ?? now) : now, live ? Math.max(row.pause_until ?? 0, until) : until, request.reason, destination);
      }).immediate();
    });
  }

  observe(destination: string, request: { remaining: number; now: Date; policy: RateLimitPolicy }): Promise<void> {
    return writeAsConfigured(this.db, () => {
      this.update(destination, (state) => observeRemaining(state, request.policy, request.remaining, request.now.getTime()));
    });
  }

  status(destination: string, now: Date, policy: RateLimitPolicy): Promise<RateLimitStatus> {
    return promised(() => {
      const row = this.select.get(destination);
      const nowMs = now.getTime();
      const state = peekBucket(toState(row), policy, nowMs);
      const blocked = state.blockedUntilMs > nowMs;
      const paused = row?.pause_until != null && row.pause_until > nowMs;
      return {
        destination,
        tokens: blocked ? 0 : state.tokens,
        blockedUntil: blocked ? new Date(state.blockedUntilMs) : null,
        pause: paused ? { since: new Date(row.pause_since ?? nowMs), until: new Date(row.pause_until ?? nowMs), reason: row.pause_reason ?? '' } : null,
      };
    });
  }
}
