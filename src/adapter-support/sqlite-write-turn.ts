/**
 * A write-turn handoff between two threads of one process that write the same
 * SQLite file, each with its own connection: the ingest writer (latency-bound,
 * short commits) and the worker (throughput-bound, back-to-back write
 * transactions). SQLite's write lock has no queue: a writer that met
 * SQLITE_BUSY and polls again later loses the lock to a writer that begins its
 * next transaction microseconds after its commit. With this gate the waiting
 * ingest writer raises a flag in shared memory; the worker looks at it before
 * each write transaction and, while it is raised, waits (bounded, without
 * blocking its event loop) so the ingest commit gets the lock next.
 *
 * Shared memory only: a `leadsync worker` in another process has no gate and
 * writes as before. Every wait is bounded, so a side that stops or crashes
 * with the flag raised costs the other at most `maxWaitMs` per transaction
 * (and the ingest writer's host lowers the flag when its thread ends).
 */

/** Int32 slots of the shared buffer. */
const WAITING = 0;
/** Counts ingest turns taken (a commit or a give-up after the flag was raised), for tests and diagnostics. */
const TURNS = 1;
/** Counts the worker side's holds: it has ended its transaction and waits, so the lock is free now. */
const HOLDS = 2;
const SLOTS = 3;

/** `Atomics.waitAsync` (ES2024; in Node since 16), not in this project's ES2023 lib types. */
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** What the worker side waits for at most, per write transaction, while the flag stays raised. */
export const DEFAULT_MAX_HOLD_MS = 100;

export class SqliteWriteTurn {
  private readonly slots: Int32Array;

  /** A gate over a new shared buffer; hand `buffer` to the other thread (it crosses by structured clone, still shared). */
  static create(): SqliteWriteTurn {
    return new SqliteWriteTurn(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength < SLOTS * Int32Array.BYTES_PER_ELEMENT) throw new RangeError(`a write-turn buffer holds ${SLOTS} int32 slots`);
    this.slots = new Int32Array(buffer, 0, SLOTS);
  }

  /** The ingest side met a busy write lock: the worker side holds back before its next write transaction. */
  raise(): void {
    Atomics.store(this.slots, WAITING, 1);
  }

  /** The ingest side committed (or gave up): the worker side goes on. Safe to call when not raised. */
  lower(): void {
    if (Atomics.exchange(this.slots, WAITING, 0) !== 0) Atomics.add(this.slots, TURNS, 1);
    Atomics.notify(this.slots, WAITING);
  }

  get raised(): boolean {
    return Atomics.load(this.slots, WAITING) !== 0;
  }

  /** How many times the flag was lowered after being raised. */
  get turns(): number {
    return Atomics.load(this.slots, TURNS);
  }

  /** How many times the worker side began holding back; pass it to `untilHeldOr`. */
  get holds(): number {
    return Atomics.load(this.slots, HOLDS);
  }

  /**
   * The ingest side's pause before its next attempt: resolves when the worker
   * side has begun holding back since `holds` was read (its transaction ended,
   * so the lock is free now) or after `ms`, whichever comes first.
   */
  untilHeldOr(holds: number, ms: number): Promise<void> {
    if (waitAsync === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
    const waiting = waitAsync(this.slots, HOLDS, holds, ms);
    return waiting.async ? waiting.value.then(() => undefined) : Promise.resolve();
  }

  /**
   * The worker side's wait before a write transaction while the flag is
   * raised: resolves once it is lowered or after `maxWaitMs`, whichever comes
   * first, with the time waited in ms. Asynchronous: the worker's event loop
   * goes on meanwhile (CRM responses, planning), only its next write waits.
   * It first announces the hold, which wakes the ingest side's pause (its
   * transaction has ended, so the lock is free now). Call it only while
   * `raised`; between two transactions, never inside one.
   */
  async hold(maxWaitMs: number = DEFAULT_MAX_HOLD_MS): Promise<number> {
    const started = performance.now();
    Atomics.add(this.slots, HOLDS, 1);
    Atomics.notify(this.slots, HOLDS);
    const deadline = started + maxWaitMs;
    for (;;) {
      const left = deadline - performance.now();
      if (Atomics.load(this.slots, WAITING) === 0 || left <= 0) break;
      if (waitAsync === undefined) await new Promise((resolve) => setTimeout(resolve, Math.min(1, left)));
      else {
        // 'not-equal' at once if it was lowered meanwhile; 'ok' when notified; 'timed-out' at the bound.
        const waiting = waitAsync(this.slots, WAITING, 1, left);
        if (waiting.async) await waiting.value;
      }
    }
    return performance.now() - started;
  }
}
