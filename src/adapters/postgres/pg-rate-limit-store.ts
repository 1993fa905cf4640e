import { blockBucket, observeRemaining, peekBucket, takeTokens, type BucketState } from '../../core/rate-limit/token-bucket.js';
import type { RateLimitPolicy, RateLimitStatus, RateLimitStore, TakeDecision, TakeRequest } from '../../ports/rate-limit-store.js';
import type { PgClient, PgDatabase } from './pg-database.js';

interface BucketRow {
  tokens: number;
  updated_at: string;
  blocked_until: string;
  pause_since: string | null;
  pause_until: string | null;
  pause_reason: string | null;
}

const ms = (value: string | null): number | null => (value === null ? null : Number(value));

const toState = (row: BucketRow | undefined): BucketState | undefined =>
  row === undefined ? undefined : { tokens: row.tokens, updatedAtMs: Number(row.updated_at), blockedUntilMs: Number(row.blocked_until) };

/** First key of the transaction-scoped advisory lock per destination (the second is the name's hash). */
const RATE_LIMIT_LOCK_CLASS = 0x1ead7;

const SELECT = 'SELECT tokens, updated_at, blocked_until, pause_since, pause_until, pause_reason FROM rate_limit_buckets WHERE destination = $1';

/**
 * Token buckets in PostgreSQL (table `rate_limit_buckets`, migration 003):
 * every worker process on the database shares one bucket per destination.
 * Each operation takes the destination's advisory lock, reads, computes (core) and
 * writes back in one transaction, so two processes never both take the last token.
 */
export class PgRateLimitStore implements RateLimitStore {
  constructor(private readonly database: PgDatabase) {}

  /** Runs `work` on the destination's locked row (undefined for a destination never seen). */
  private locked<T>(destination: string, work: (client: PgClient, row: BucketRow | undefined) => Promise<T>): Promise<T> {
    return this.database.withTransaction(async (client) => {
      // An advisory lock rather than FOR UPDATE: it also serialises the first call for a destination, which has no row yet.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RATE_LIMIT_LOCK_CLASS, destination]);
      const { rows } = await client.query<BucketRow>(SELECT, [destination]);
      return work(client, rows[0]);
    });
  }

  private static async write(client: PgClient, destination: string, next: BucketState): Promise<void> {
    await client.query(
      `INSERT INTO rate_limit_buckets (destination, tokens, updated_at, blocked_until) VALUES ($1, $2, $3, $4)
       ON CONFLICT (destination) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, blocked_until = excluded.blocked_until`,
      [destination, next.tokens, next.updatedAtMs, next.blockedUntilMs],
    );
  }

  private update(destination: string, change: (state: BucketState | undefined) => BucketState): Promise<void> {
    return this.locked(destination, async (client, row) => PgRateLimitStore.write(client, destination, change(toState(row))));
  }

  take(request: TakeRequest): Promise<TakeDecision> {
    return this.locked(request.destination, async (client, row) => {
      const result = takeTokens(toState(row), request.policy, request.lane, request.cost, request.now.getTime());
      await PgRateLimitStore.write(client, request.destination, result.state);
      return result.decision;
    });
  }

  block(destination: string, request: { until: Date; now: Date; policy: RateLimitPolicy }): Promise<void> {
    return this.update(destination, (state) => blockBucket(state, request.policy, request.until.getTime(), request.now.getTime()));
  }

  pause(destination: string, request: { until: Date; now: Date; reason: string; policy: RateLimitPolicy }): Promise<void> {
    return this.locked(destination, async (client, row) => {
      const now = request.now.getTime();
      const until = request.until.getTime();
      const pauseUntil = ms(row?.pause_until ?? null);
      const live = pauseUntil !== null && pauseUntil > now;
      await PgRateLimitStore.write(client, destination, blockBucket(toState(row), request.policy, until, now));
      await client.query('UPDATE rate_limit_buckets SET pause_since = $1, pause_until = $2, pause_reason = $3 WHERE destination = $4', [
        live ? (ms(row?.pause_since ?? null) ?? now) : now,
        live ? Math.max(pauseUntil, until) : until,
        request.reason,
        destination,
      ]);
    });
  }

  observe(destination: string, request: { remaining: number; now: Date; policy: RateLimitPolicy }): Promise<void> {
    return this.update(destination, (state) => observeRemaining(state, request.policy, request.remaining, request.now.getTime()));
  }

  async status(destination: string, now: Date, policy: RateLimitPolicy): Promise<RateLimitStatus> {
    const { rows } = await this.database.query<BucketRow>(SELECT, [destination]);
    const row = rows[0];
    const nowMs = now.getTime();
    const state = peekBucket(toState(row), policy, nowMs);
    const blocked = state.blockedUntilMs > nowMs;
    const pauseUntil = ms(row?.pause_until ?? null);
    const paused = pauseUntil !== null && pauseUntil > nowMs;
    return {
      destination,
      tokens: blocked ? 0 : state.tokens,
      blockedUntil: blocked ? new Date(state.blockedUntilMs) : null,
      pause: paused ? { since: new Date(ms(row?.pause_since ?? null) ?? nowMs), until: new Date(pauseUntil), reason: row?.pause_reason ?? '' } : null,
    };
  }
}
