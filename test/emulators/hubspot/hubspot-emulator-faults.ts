import type { RateLimitPolicy } from './hubspot-emulator-bodies.js';

/** The endpoint groups a fault can be aimed at. */
export const EMULATOR_ENDPOINTS = ['properties', 'read', 'upsert'] as const;
export type EmulatorEndpoint = (typeof EMULATOR_ENDPOINTS)[number];

/**
 * A failure the emulator plays back instead of answering. Faults come before
 * authentication and rate limiting, like an outage in front of the API.
 */
export type HubSpotEmulatorFault = (
  | {
      /** A 5xx (or any status) with HubSpot's JSON error body, a Cloudflare HTML page, or nothing. */
      readonly kind: 'server_error';
      /** (Default: 502 for html, 500 otherwise) */
      readonly status?: number;
      readonly body: 'json' | 'html' | 'empty';
    }
  | {
      /** A 429 with the real body for the policy; the limiter's counters are untouched. */
      readonly kind: 'rate_limit';
      readonly policy: RateLimitPolicy;
      /** Sends `Retry-After` in whole seconds (whether HubSpot sends it is unknown). */
      readonly retryAfterSeconds?: number;
    }
  /** A 400 VALIDATION_ERROR for the whole call. */
  | { readonly kind: 'bad_request'; readonly message?: string }
  /** A 401 as for a revoked token. */
  | { readonly kind: 'unauthorized' }
  /** A 403 MISSING_SCOPES. */
  | { readonly kind: 'missing_scopes'; readonly scopes?: readonly string[] }
  /** Never answers; the socket stays open until the client gives up or the emulator closes. */
  | { readonly kind: 'hang' }
  /** Destroys the connection without a response (ECONNRESET at the client). */
  | { readonly kind: 'reset' }
) & {
  /** How many matching calls fail. (Default: 1) */
  readonly times?: number;
  /** Which endpoints it hits. (Default: all) */
  readonly on?: readonly EmulatorEndpoint[];
};

const FAULT_KINDS: readonly HubSpotEmulatorFault['kind'][] = ['server_error', 'rate_limit', 'bad_request', 'unauthorized', 'missing_scopes', 'hang', 'reset'];

/** Pending faults, oldest first; a call takes the first that matches its endpoint. */
export class EmulatorFaultQueue {
  private readonly pending: { fault: HubSpotEmulatorFault; left: number }[] = [];

  add(fault: HubSpotEmulatorFault): void {
    if (typeof fault !== 'object' || fault === null || !FAULT_KINDS.includes(fault.kind)) {
      throw new RangeError(`fault kind must be one of ${FAULT_KINDS.join(', ')}`);
    }
    const times = fault.times ?? 1;
    if (!Number.isSafeInteger(times) || times < 1) throw new RangeError(`fault times must be a positive integer, got ${times}`);
    for (const endpoint of fault.on ?? []) {
      if (!EMULATOR_ENDPOINTS.includes(endpoint)) throw new RangeError(`fault "on" must list ${EMULATOR_ENDPOINTS.join(', ')}; got ${String(endpoint)}`);
    }
    this.pending.push({ fault, left: times });
  }

  clear(): void {
    this.pending.length = 0;
  }

  size(): number {
    return this.pending.length;
  }

  take(endpoint: EmulatorEndpoint): HubSpotEmulatorFault | undefined {
    const position = this.pending.findIndex((entry) => entry.fault.on === undefined || entry.fault.on.includes(endpoint));
    const entry = this.pending[position];
    if (entry === undefined) return undefined;
    entry.left -= 1;
    if (entry.left === 0) this.pending.splice(position, 1);
    return entry.fault;
  }
}
