import type { Scheduler } from '../../src/ports/scheduler.js';
import { ManualClock } from './manual-clock.js';

interface PendingTimer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/**
 * A {@link ManualClock} whose timers fire only when a test moves time:
 * `advance(ms)` runs every timer due on the way, each at its own time, in order.
 */
export class ManualScheduler extends ManualClock implements Scheduler {
  private timers: PendingTimer[] = [];
  private order = 0;

  setTimeout(callback: () => void, ms: number): () => void {
    const timer: PendingTimer = { at: this.now().getTime() + Math.max(0, ms), order: this.order++, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((pending) => pending !== timer);
    };
  }

  /** Timers not yet fired or cancelled, as delays from now (ms), soonest first. */
  pendingDelays(): number[] {
    const now = this.now().getTime();
    return this.timers.map((timer) => timer.at - now).sort((a, b) => a - b);
  }

  override advance(ms: number): Date {
    if (!(ms >= 0)) throw new RangeError('ManualScheduler only moves forward');
    const target = this.now().getTime() + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      super.advance(due.at - this.now().getTime());
      due.callback();
    }
    return super.advance(target - this.now().getTime());
  }
}

/** Lets queued promise callbacks (and their follow-ups) run: a few turns of the event loop. */
export async function flushPromises(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
