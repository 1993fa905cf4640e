import type BetterSqlite3 from 'better-sqlite3';

interface PendingCount {
  /** Any audit time of the minute (ISO 8601, `toISOString` form): SQLite turns it into the minute and hour keys. */
  readonly time: string;
  readonly source: string;
  readonly lane: string;
  readonly metric: string;
  n: number;
}

/** The parts of a sealed audit record the dashboard counts. */
export interface CountedAuditRow {
  readonly time: string;
  readonly source: string | null;
  readonly eventId: string | null;
  readonly outcome: string;
}

/**
 * The dashboard's per-minute and per-hour counts of audit entries
 * (`stats_minutes`, `stats_hours`), added once per transaction instead of once
 * per row. Until migration 007 a trigger on `audit_log` ran two upserts and two
 * event look-ups for every audit row; a batch settle writes a few hundred rows
 * that fall into a handful of (minute, source, lane, outcome) keys, so counting
 * them here first and writing each key once costs a few statements per batch.
 *
 * The keys are computed exactly as the trigger computed them: the minute and
 * hour by SQLite from the row's time, the lane from the row's event (`none`
 * without one), the source `(operator)` when the row has none. Every row the
 * audit store appends is counted in the same transaction, so counts and rows
 * still commit together.
 */
export class SqliteAuditCounts {
  private readonly laneOfEvent: BetterSqlite3.Statement<[string], { lane: string }>;
  private readonly addMinute: BetterSqlite3.Statement<[string, string, string, string, number]>;
  private readonly addHour: BetterSqlite3.Statement<[string, string, string, string, number]>;

  constructor(db: BetterSqlite3.Database) {
    this.laneOfEvent = db.prepare('SELECT lane FROM events WHERE id = CAST(? AS INTEGER)');
    this.addMinute = db.prepare(
      `INSERT INTO stats_minutes (minute, source, lane, metric, n)
       VALUES (CAST(strftime('%s', ?) AS INTEGER) / 60, ?, ?, ?, ?)
       ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + excluded.n`,
    );
    this.addHour = db.prepare(
      `INSERT INTO stats_hours (hour, source, lane, metric, n)
       VALUES (CAST(strftime('%s', ?) AS INTEGER) / 60 / 60, ?, ?, ?, ?)
       ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = n + excluded.n`,
    );
  }

  /** A tally for one transaction: `count` rows into it, then `writeInTransaction` before the transaction ends. */
  tally(): AuditTally {
    return new AuditTally(this);
  }

  /** @internal */
  lane(eventId: string | null): string {
    return eventId === null ? 'none' : (this.laneOfEvent.get(eventId)?.lane ?? 'none');
  }

  /** @internal */
  write(counts: Iterable<PendingCount>): void {
    for (const count of counts) {
      this.addMinute.run(count.time, count.source, count.lane, count.metric, count.n);
      this.addHour.run(count.time, count.source, count.lane, count.metric, count.n);
    }
  }
}

/** Audit rows counted during one write transaction, not yet written. */
export class AuditTally {
  private readonly counts = new Map<string, PendingCount>();
  private readonly lanes = new Map<string, string>();

  constructor(private readonly store: SqliteAuditCounts) {}

  /**
   * Tells the tally the lane of an event it would otherwise look up: a settle
   * learns the lanes of its jobs' events when it deletes the jobs (a job's lane
   * is its event's lane: both enqueue paths copy it from the event). `eventId`
   * in `formatId` form, as the audit rows of the job carry it.
   */
  knowLane(eventId: string, lane: string): void {
    this.lanes.set(eventId, lane);
  }

  count(row: CountedAuditRow): void {
    const source = row.source ?? '(operator)';
    let lane = 'none';
    if (row.eventId !== null) {
      const known = this.lanes.get(row.eventId);
      lane = known ?? this.store.lane(row.eventId);
      if (known === undefined) this.lanes.set(row.eventId, lane);
    }
    // Audit times are toISOString form (sealing refuses others), so the first 16 characters name the minute.
    const key = `${row.time.slice(0, 16)}\u0000${source}\u0000${lane}\u0000${row.outcome}`;
    const pending = this.counts.get(key);
    if (pending === undefined) this.counts.set(key, { time: row.time, source, lane, metric: row.outcome, n: 1 });
    else pending.n += 1;
  }

  /** Adds the counts to the tables and empties the tally. Call inside the transaction that appended the rows. */
  writeInTransaction(): void {
    this.store.write(this.counts.values());
    this.counts.clear();
  }
}

/**
 * The dashboard's `received` counts of stored events, per minute and hour,
 * added once per ingest transaction (migration 007 replaced the per-row
 * trigger on `events`, which ran two upserts for every accepted event).
 */
export class SqliteReceivedCounts {
  private readonly addMinute: BetterSqlite3.Statement<[number, string, string, number]>;
  private readonly addHour: BetterSqlite3.Statement<[number, string, string, number]>;

  constructor(db: BetterSqlite3.Database) {
    // better-sqlite3 binds JS numbers as REAL: the casts keep the divisions integer ones, as in the trigger.
    this.addMinute = db.prepare(
      `INSERT INTO stats_minutes (minute, source, lane, metric, n) VALUES (CAST(? AS INTEGER) / 60000, ?, ?, 'received', ?)
       ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + excluded.n`,
    );
    this.addHour = db.prepare(
      `INSERT INTO stats_hours (hour, source, lane, metric, n) VALUES (CAST(? AS INTEGER) / 60000 / 60, ?, ?, 'received', ?)
       ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = n + excluded.n`,
    );
  }

  /** A tally for one transaction: `count` every stored event, then `writeInTransaction` before it commits. */
  tally(): ReceivedTally {
    return new ReceivedTally((receivedAt, source, lane, n) => {
      this.addMinute.run(receivedAt, source, lane, n);
      this.addHour.run(receivedAt, source, lane, n);
    });
  }
}

/** Events stored during one write transaction, not yet counted in the tables. */
export class ReceivedTally {
  private readonly counts = new Map<string, { receivedAt: number; source: string; lane: string; n: number }>();

  constructor(private readonly add: (receivedAt: number, source: string, lane: string, n: number) => void) {}

  /** `receivedAt`: epoch milliseconds, as stored in `events.received_at`. */
  count(source: string, lane: string, receivedAt: number): void {
    const key = `${Math.trunc(receivedAt / 60_000)}\u0000${source}\u0000${lane}`;
    const pending = this.counts.get(key);
    if (pending === undefined) this.counts.set(key, { receivedAt, source, lane, n: 1 });
    else pending.n += 1;
  }

  /** Adds the counts to the tables and empties the tally. Call inside the transaction that stored the events. */
  writeInTransaction(): void {
    for (const count of this.counts.values()) this.add(count.receivedAt, count.source, count.lane, count.n);
    this.counts.clear();
  }
}
