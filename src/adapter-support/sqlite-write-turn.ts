/**
 * A write-turn handoff between threads of one process that write the same
 * SQLite file, each with its own connection: the waiting sides — the ingest
 * writer (latency-bound, short commits) and the HTTP thread (operator writes,
 * rare and short) — and the worker (throughput-bound, back-to-back write
 * transactions). SQLite's write lock has no queue: a writer that met
 * SQLITE_BUSY and polls again later loses the lock to a writer that begins its
 * next transaction microseconds after its commit. With this gate a waiting
 * side raises its flag in shared memory; the worker looks at the flags before
 * each write transaction and, while any is raised, waits (bounded, without
 * blocking its event loop) so the waiting write gets the lock next.
 *
 * Each waiting side has a flag of its own (a bit of one int32), so one side's
 * commit does not lower the gate while the other still waits, and a side's
 * host can lower its flag when its thread ends without touching the other's
 * (docs/decisions/0020-write-turn-handoff.md, 0036-operator-writes-take-the-write-turn.md).
 *
 * Shared memory only: a `leadsync worker` in another process has no gate and
 * writes as before. Every wait is bounded, so a side that stops or crashes
 * with its flag raised costs the worker at most `maxWaitMs` per transaction
 * (and the ingest writer's host lowers its flag when its thread ends).
 */

/** The sides that wait for the write lock and raise a flag; the worker side holds back while any flag is raised. */
export const WRITE_TURN_SIDES = ['ingest-writer', 'http-thread'] as const;
export type WriteTurnSide = (typeof WRITE_TURN_SIDES)[number];

/**
 * How long a write of each side waits for the lock before it raises its flag. Ingest commits raise it at once: they are
 * latency-bound (0020). Operator writes on the HTTP thread are rare and not latency-bound, and while a flag is up the
 * worker holds back: raised at once for each of them, a stream of them (1,000 back to back in the operator benchmark)
 * cut the worker's realtime-lane throughput several-fold; raised only after this long, the flag keeps them from losing every race until their busy
 * timeout without costing the worker anything in the common case (docs/decisions/0036).
 */
export const RAISE_AFTER_MS: Readonly<Record<WriteTurnSide, number>> = { 'ingest-writer': 0, 'http-thread': 100 };

// Int32 slots of the shared buffer.
/** A bit per waiting side (`WRITE_TURN_SIDES` order); 0 while nobody waits. */
const WAITING = 0;
/** Counts turns taken (a side's flag lowered after it was raised: a commit or a give-up), for tests and diagnostics. */
const TURNS = 1;
/** Counts the worker side's holds: it has ended its transaction and waits, so the lock is free now. */
const HOLDS = 2;
const SLOTS = 3;

/** `Atomics.waitAsync` (ES2024; in Node since 16), not in this project's ES2023 lib types. */
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** What the worker side waits for at most, per write transaction, while the flag stays raised. */
export const DEFAULT_MAX_HOLD_MS = 100;

export interface SqliteWriteTurnOptions {
  /** How long this side's writes wait for the lock before raising its flag. (Default: `RAISE_AFTER_MS[side]`) */
  readonly raiseAfterMs?: number;
}

export class SqliteWriteTurn {
  private readonly slots: Int32Array;
  private readonly bit: number;
  /** How long this side's writes wait for the lock before raising its flag (`writeWithoutBlocking` reads it). */
  readonly raiseAfterMs: number;

  /** A gate over a new shared buffer; hand `buffer` to the other threads (it crosses by structured clone, still shared). */
  static create(side: WriteTurnSide = 'ingest-writer'): SqliteWriteTurn {
    return new SqliteWriteTurn(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT), side);
  }

  /**
   * The gate in `buffer`, seen by `side`: `raise` and `lower` set and clear that side's flag. The worker side uses
   * neither, so its side does not matter. (Default: 'ingest-writer')
   */
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly side: WriteTurnSide = 'ingest-writer',
    options: SqliteWriteTurnOptions = {},
  ) {
    if (buffer.byteLength < SLOTS * Int32Array.BYTES_PER_ELEMENT) throw new RangeError(`a write-turn buffer holds ${SLOTS} int32 slots`);
    this.slots = new Int32Array(buffer, 0, SLOTS);
    this.bit = 1 << WRITE_TURN_SIDES.indexOf(side);
    this.raiseAfterMs = options.raiseAfterMs ?? RAISE_AFTER_MS[side];
  }

  /** This side met a busy write lock: the worker side holds back before its next write transaction. */
  raise(): void {
    Atomics.or(this.slots, WAITING, this.bit);
  }

  /**
   * This side committed (or gave up): the worker side goes on unless another side still waits. Safe to call when not
   * raised (the ingest writer's host lowers its side's flag when the thread ends).
   */
  lower(): void {
    if ((Atomics.and(this.slots, WAITING, ~this.bit) & this.bit) !== 0) Atomics.add(this.slots, TURNS, 1);
    Atomics.notify(this.slots, WAITING);
  }

  /** Whether any side waits: what the worker side checks before each write transaction. */
  get raised(): boolean {
    return Atomics.load(this.slots, WAITING) !== 0;
  }

  /** Whether this side's own flag is raised. */
  get raisedHere(): boolean {
    return (Atomics.load(this.slots, WAITING) & this.bit) !== 0;
  }

  /** How many times a side's flag was lowered after being raised. */
  get turns(): number {
    return Atomics.load(this.slots, TURNS);
  }

  /** How many times the worker side began holding back; pass it to `untilHeldOr`. */
  get holds(): number {
    return Atomics.load(this.slots, HOLDS);
  }

  /**
   * A waiting side's pause before its next attempt: resolves when the worker
   * side has begun holding back since `holds` was read (its transaction ended,
   * so the lock is free now) or after `ms`, whichever comes first.
   */
  untilHeldOr(holds: number, ms: number): Promise<void> {
    if (waitAsync === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
    const waiting = waitAsync(this.slots, HOLDS, holds, ms);
    return waiting.async ? waiting.value.then(() => undefined) : Promise.resolve();
  }

  /**
   * The worker side's wait before a write transaction while a flag is
   * raised: resolves once every flag is lowered or after `maxWaitMs`, whichever
   * comes first, with the time waited in ms. Asynchronous: the worker's event
   * loop goes on meanwhile (CRM responses, planning), only its next write
   * waits. It first announces the hold, which wakes the waiting sides' pauses
   * (its transaction has ended, so the lock is free now). Call it only while
   * `raised`; between two transactions, never inside one.
   */
  async hold(maxWaitMs: number = DEFAULT_MAX_HOLD_MS): Promise<number> {
    const started = performance.now();
    Atomics.add(this.slots, HOLDS, 1);
    Atomics.notify(this.slots, HOLDS);
    const deadline = started + maxWaitMs;
    for (;;) {
      const left = deadline - performance.now();
      const flags = Atomics.load(this.slots, WAITING);
      if (flags === 0 || left <= 0) break;
      if (waitAsync === undefined) await new Promise((resolve) => setTimeout(resolve, Math.min(1, left)));
      else {
        // 'not-equal' at once if a flag changed meanwhile; 'ok' when notified; 'timed-out' at the bound. Any change is
        // looked at again: one side lowering its flag while the other still waits keeps the hold.
        const waiting = waitAsync(this.slots, WAITING, flags, left);
        if (waiting.async) await waiting.value;
      }
    }
    return performance.now() - started;
  }
}
