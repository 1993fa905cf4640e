import type { CrmRecordFailure } from '../../ports/crm-destination.js';

/**
 * A failure the sandbox CRM plays back on its next calls, so tests can drive
 * retries: `transient` is a 503, `rate_limited` a 429 (with Retry-After),
 * `permanent` a rejection that retrying cannot fix.
 */
export interface SandboxFault {
  readonly kind: 'transient' | 'permanent' | 'rate_limited';
  /** How many calls (read or upsert) fail before the CRM behaves again. */
  readonly times: number;
  /** Retry-After sent with `rate_limited`. (Default: 1000) */
  readonly retryAfterMs?: number;
}

function failureFor(fault: SandboxFault): CrmRecordFailure {
  switch (fault.kind) {
    case 'transient':
      return { ok: false, code: 'CRM_UNAVAILABLE', message: 'sandbox CRM: 503 Service Unavailable (injected fault)', retryable: true };
    case 'rate_limited':
      return {
        ok: false,
        code: 'CRM_RATE_LIMITED',
        message: 'sandbox CRM: 429 Too Many Requests (injected fault)',
        retryable: true,
        retryAfterMs: fault.retryAfterMs ?? 1000,
      };
    case 'permanent':
      return { ok: false, code: 'CRM_REJECTED', message: 'sandbox CRM: 400 request rejected (injected fault)', retryable: false };
  }
}

/** Injected faults in the order they were added; each call takes one from the first. */
export class SandboxFaultQueue {
  private readonly pending: { fault: SandboxFault; left: number }[] = [];

  add(fault: SandboxFault): void {
    if (!Number.isSafeInteger(fault.times) || fault.times < 1) throw new RangeError(`fault times must be a positive integer, got ${fault.times}`);
    this.pending.push({ fault, left: fault.times });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The failure for this call, or undefined when the call should go through. */
  take(): CrmRecordFailure | undefined {
    const first = this.pending[0];
    if (first === undefined) return undefined;
    first.left -= 1;
    if (first.left === 0) this.pending.shift();
    return failureFor(first.fault);
  }
}
