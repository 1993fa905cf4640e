import type { Clock } from './clock.js';

/**
 * A clock that can also run something later. Background loops (alert
 * delivery, maintenance) take one so tests move time by hand instead of sleeping.
 */
export interface Scheduler extends Clock {
  /** Runs `callback` once, `ms` from now; returns a function that cancels it (a no-op once it ran). */
  setTimeout(callback: () => void, ms: number): () => void;
}
