import type { Clock } from '../../ports/clock.js';
import type { CrmRateLimitStatus, CrmRecordFailure } from '../../ports/crm-destination.js';
import { callFailure, transportFailure } from './hubspot-error-mapping.js';

/** What one HTTP call to HubSpot came to. */
export type HubSpotCall =
  /** A 2xx with a JSON body. */
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  /** Anything else, already mapped to a failure; `status`/`body` are kept for callers that look closer (400s). */
  | { readonly ok: false; readonly failure: CrmRecordFailure; readonly status?: number; readonly body?: unknown };

export interface HubSpotHttpOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
}

function headerNumber(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Sends JSON to HubSpot with the private-app token and a per-request timeout,
 * reads bodies as text first (HTML error pages from the CDN are common on
 * 502/504/524), and remembers the last rate-limit headers it saw.
 */
export class HubSpotHttpClient {
  private rateLimit: CrmRateLimitStatus | undefined;

  constructor(private readonly options: HubSpotHttpOptions) {}

  rateLimitStatus(): CrmRateLimitStatus | undefined {
    return this.rateLimit;
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HubSpotCall> {
    const { baseUrl, token, timeoutMs } = this.options;
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Inside the try: a reset or the timeout can also strike while the body streams in.
      text = await response.text();
    } catch (error) {
      return { ok: false, failure: transportFailure(error, timeoutMs) };
    }
    this.noteRateLimit(response.headers);
    const json = parseJson(text);
    if (response.status >= 200 && response.status < 300 && json.ok) return { ok: true, status: response.status, body: json.value };
    return {
      ok: false,
      status: response.status,
      ...(json.ok ? { body: json.value } : {}),
      failure: callFailure({
        status: response.status,
        headers: response.headers,
        body: json.ok ? json.value : undefined,
        text,
        now: this.options.clock.now(),
      }),
    };
  }

  private noteRateLimit(headers: Headers): void {
    const max = headerNumber(headers, 'x-hubspot-ratelimit-max');
    const remaining = headerNumber(headers, 'x-hubspot-ratelimit-remaining');
    const intervalMs = headerNumber(headers, 'x-hubspot-ratelimit-interval-milliseconds');
    // Search endpoints and some error pages carry none of these; keep what the last full set said.
    if (max === undefined || remaining === undefined || intervalMs === undefined) return;
    const dailyRemaining = headerNumber(headers, 'x-hubspot-ratelimit-daily-remaining');
    this.rateLimit = { max, remaining, intervalMs, ...(dailyRemaining === undefined ? {} : { dailyRemaining }) };
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // A truncated or HTML-wrapped body: handled by the caller, which reports the status and the body's kind.
    return { ok: false };
  }
}
