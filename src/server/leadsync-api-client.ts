import { randomBytes } from 'node:crypto';
import { signDelivery } from '../core/signatures/delivery-signer.js';
import type { SignatureScheme } from '../core/signatures/webhook-signature.js';
import type { ApiResponse, LeadsyncApi } from '../ports/leadsync-api.js';

export interface LeadsyncApiClientOptions {
  /** The sender's clock in milliseconds. (Default: Date.now) */
  readonly nowMs?: () => number;
  /** Per request. (Default: 10000) */
  readonly timeoutMs?: number;
  /** API token sent as `Authorization: Bearer` on reads (operator routes need one; ingest does not). (Default: none) */
  readonly token?: string;
}

/**
 * The client of the routes in http-app.ts, over node's fetch. It lives beside
 * them (not under adapters/) because the CLI, which uses it, may import the
 * server layer but no adapter.
 */
export class LeadsyncApiClient implements LeadsyncApi {
  readonly baseUrl: string;
  private readonly nowMs: () => number;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;

  constructor(baseUrl: string, options: LeadsyncApiClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.nowMs = options.nowMs ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.token = options.token;
  }

  postEvent(source: string, scheme: SignatureScheme, body: Buffer): Promise<ApiResponse> {
    const { url, headers } = this.signEvent(source, scheme, body);
    return this.call(url, { method: 'POST', headers, body });
  }

  /** The request `postEvent` would send (URL and signed headers), without sending it: `leadsync send --dry-run`. */
  signEvent(source: string, scheme: SignatureScheme, body: Buffer): { readonly url: string; readonly headers: Readonly<Record<string, string>> } {
    const url = `${this.baseUrl}/v1/events/${encodeURIComponent(source)}`;
    const webhookId = `msg_${randomBytes(12).toString('base64url')}`;
    return { url, headers: { 'content-type': 'application/json', ...signDelivery(scheme, { method: 'POST', url, body, nowMs: this.nowMs(), webhookId }) } };
  }

  get(path: string): Promise<ApiResponse> {
    return this.call(`${this.baseUrl}${path}`, { method: 'GET', ...(this.token === undefined ? {} : { headers: { authorization: `Bearer ${this.token}` } }) });
  }

  private async call(url: string, init: RequestInit): Promise<ApiResponse> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      // No HTTP answer is an outcome the commands explain ("is `npm start` running?"), not a crash.
      return { kind: 'unreachable', url, reason: networkReason(error) };
    }
    const text = await response.text();
    return { kind: 'answered', status: response.status, body: parseBody(text) };
  }
}

/**
 * Where a client finds the service of a config: `service.host` and `service.port`,
 * with a wildcard listen address (`0.0.0.0`, `::`) replaced by loopback.
 */
export function serviceUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // A proxy's HTML error page is still worth showing as it came.
    if (error instanceof SyntaxError) return text;
    throw error;
  }
}

function networkReason(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  // fetch wraps the socket error: TypeError("fetch failed", { cause }), the cause an
  // AggregateError when every address of a host name refused.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } | undefined) : undefined;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  if (typeof code === 'string') return code;
  if (typeof cause?.message === 'string' && cause.message !== '') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
