/**
 * Where "now" comes from. The core never reads the time; use cases ask a
 * Clock and pass the time down. A system clock lives in the composition root;
 * tests use a manual clock (test/support/manual-clock.ts).
 */
export interface Clock {
  now(): Date;
}
