/** A mistake in how a command was called or what it was given: exit 2, message on stderr. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
