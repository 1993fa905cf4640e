import type { Scheduler } from '../ports/scheduler.js';

/** The real clock and timers, for the composition root. */
export const systemScheduler: Scheduler = {
  now: () => new Date(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
