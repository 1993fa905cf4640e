import type { CrmRateLimitStatus } from '../../ports/crm-destination.js';
import { SalesforceAuthError, type SalesforceTokenSource } from './salesforce-auth.js';

/** What one REST call came to. Transport outcomes are kept apart: a timed-out write is ambiguous. */
export type SalesforceCall =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Headers;
      readonly text: string;
      /** The body as JSON; undefined when empty or not JSON (HTML error pages). */
      readonly json: unknown;
    }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'network'; readonly message: string }
  | { readonly kind: 'auth'; readonly error: SalesforceAuthError };

export interface SalesforceRequest {
  readonly json?: unknown;
  readonly csv?: string;
  /** (Default: application/json) */
  readonly accept?: string;
}

export interface SalesforceHttpOptions {
  readonly instanceUrl: string;
  readonly apiVersion: string;
  readonly tokens: SalesforceTokenSource;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const LIMIT_INFO = /api-usage=(\d+)\/(\d+)/;

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function networkMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * Sends REST calls to `{instanceUrl}/services/data/v{apiVersion}` with a
 * bearer token, a per-request timeout, one token refresh and retry on 401
 * INVALID_SESSION_ID, bodies read as text first (5xx pages can be HTML), and
 * the daily usage from `Sforce-Limit-Info` remembered.
 */
export class SalesforceHttpClient {
  private limit: CrmRateLimitStatus | undefined;
  private readonly instanceUrl: string;

  constructor(private readonly options: SalesforceHttpOptions) {
    this.instanceUrl = options.instanceUrl.replace(/\/+$/, '');
  }

  /** Daily API usage from the last `Sforce-Limit-Info` header; undefined before one arrived. */
  rateLimitStatus(): CrmRateLimitStatus | undefined {
    return this.limit;
  }

  /** `path` is relative to the versioned API base, e.g. `/sobjects/Lead/describe`, or absolute from `/services/`. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, request: SalesforceRequest = {}): Promise<SalesforceCall> {
    let refreshed = false;
    for (;;) {
      let token;
      try {
        token = await this.options.tokens.token();
      } catch (error) {
        if (error instanceof SalesforceAuthError) return { kind: 'auth', error };
        throw error;
      }
      const call = await this.send(method, path, request, token.accessToken);
      // Any 401 means the session is gone (expired, revoked, or logged out): one fresh token, one retry.
      if (call.kind === 'response' && call.status === 401 && !refreshed) {
        refreshed = true;
        this.options.tokens.invalidate(token);
        continue;
      }
      return call;
    }
  }

  private async send(method: string, path: string, request: SalesforceRequest, accessToken: string): Promise<SalesforceCall> {
    const { timeoutMs } = this.options;
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, accept: request.accept ?? 'application/json' };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.csv !== undefined) {
      headers['content-type'] = 'text/csv';
      body = request.csv;
    }
    let response: Response;
    let text: string;
    try {
      // Absolute paths are Salesforce's own links (a query's nextRecordsUrl).
      const url = path.startsWith('/services/') ? `${this.instanceUrl}${path}` : `${this.instanceUrl}/services/data/v${this.options.apiVersion}${path}`;
      response = await this.options.fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Inside the try: a reset or the timeout can also strike while the body streams in.
      text = await response.text();
    } catch (error) {
      return isTimeout(error) ? { kind: 'timeout', timeoutMs } : { kind: 'network', message: networkMessage(error) };
    }
    this.noteLimit(response.headers);
    let json: unknown;
    if (text.trim() !== '' && !(response.headers.get('content-type') ?? '').includes('html') && !(response.headers.get('content-type') ?? '').includes('csv')) {
      try {
        json = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's plain-text or HTML page): callers report the status and the text instead.
        json = undefined;
      }
    }
    return { kind: 'response', status: response.status, headers: response.headers, text, json };
  }

  private noteLimit(headers: Headers): void {
    const match = LIMIT_INFO.exec(headers.get('sforce-limit-info') ?? '');
    if (match === null) return;
    const used = Number(match[1]);
    const max = Number(match[2]);
    const remaining = Math.max(0, max - used);
    this.limit = { remaining, max, intervalMs: DAY_MS, dailyRemaining: remaining };
  }
}
