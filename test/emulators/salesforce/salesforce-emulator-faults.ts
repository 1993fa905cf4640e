/**
 * Faults the Salesforce emulator plays back on its next data requests
 * (query, upsert, collections, Bulk API): never on describe or the token
 * endpoint, so a test can fault a write without faulting the discovery a
 * client does first.
 */
export type SalesforceEmulatorFault = (
  | {
      /** 5xx with Salesforce's JSON error array, or with the HTML page a proxy or maintenance window sends. */
      readonly kind: 'server_error';
      /** (Default: 503) */
      readonly status?: number;
      /** (Default: `json`) */
      readonly body?: 'json' | 'html';
    }
  | {
      /** 429 as a gateway in front of Salesforce sends it; Salesforce itself signals limits with 403. */
      readonly kind: 'http_429';
      readonly retryAfterSeconds?: number;
    }
  | {
      /** 403 REQUEST_LIMIT_EXCEEDED for the concurrent long-running request limit (not the daily one). */
      readonly kind: 'concurrent_limit';
      readonly retryAfterSeconds?: number;
    }
  | {
      /** 400 for the whole request, e.g. a validation rule: FIELD_CUSTOM_VALIDATION_EXCEPTION. */
      readonly kind: 'reject';
      readonly errorCode?: string;
      readonly message?: string;
    }
  | {
      /** No answer, ever. With `afterWrite` the write is applied first, so the client cannot tell whether it landed. */
      readonly kind: 'hang';
      readonly afterWrite?: boolean;
    }
  | {
      /** The TCP connection is destroyed. With `afterWrite` the write is applied first. */
      readonly kind: 'reset';
      readonly afterWrite?: boolean;
    }
) & {
  /** How many data requests fail. (Default: 1) */
  readonly times?: number;
  /** Only requests with this HTTP method take the fault, e.g. `PATCH` to fault writes but not reads. */
  readonly method?: string;
};

export const FAULT_KINDS = ['server_error', 'http_429', 'concurrent_limit', 'reject', 'hang', 'reset'] as const;

/** Pending faults in the order they were added; each matching request takes one. */
export class SalesforceFaultQueue {
  private readonly pending: { fault: SalesforceEmulatorFault; left: number }[] = [];

  add(fault: SalesforceEmulatorFault): void {
    const times = fault.times ?? 1;
    if (!Number.isSafeInteger(times) || times < 1) throw new RangeError(`fault times must be a positive integer, got ${String(fault.times)}`);
    if (!(FAULT_KINDS as readonly string[]).includes(fault.kind)) throw new RangeError(`unknown fault kind "${String(fault.kind)}"; use one of ${FAULT_KINDS.join(', ')}`);
    this.pending.push({ fault, left: times });
  }

  clear(): void {
    this.pending.length = 0;
  }

  take(method: string): SalesforceEmulatorFault | undefined {
    const index = this.pending.findIndex((entry) => entry.fault.method === undefined || entry.fault.method.toUpperCase() === method.toUpperCase());
    const entry = this.pending[index];
    if (entry === undefined) return undefined;
    entry.left -= 1;
    if (entry.left === 0) this.pending.splice(index, 1);
    return entry.fault;
  }
}
