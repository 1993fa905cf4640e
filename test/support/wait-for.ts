/** How long and how often {@link waitFor} and {@link waitUntil} poll. */
export interface PollOptions {
  /** Give up after this long, in ms (Default: 10_000). */
  readonly timeoutMs?: number;
  /** Pause between probes, in ms (Default: 25). */
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than `undefined`, and returns that: tests wait on a
 * state, never on a fixed sleep (STYLE.md). Throws `timed out waiting for <what>` after `timeoutMs`.
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls `condition` until it holds; throws `timed out waiting for <what>` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, options: PollOptions = {}): Promise<void> {
  await waitFor(async () => ((await condition()) ? true : undefined), what, options);
}
