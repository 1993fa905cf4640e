import type { SignatureScheme } from '../core/signatures/webhook-signature.js';

/** What a running leadsync service answered, or why it could not be asked. */
export type ApiResponse =
  /** Any HTTP status; `body` is the parsed JSON, or the text when it was not JSON. */
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown }
  /** No HTTP answer at all: connection refused, unknown host, timeout. `reason` is the system code, e.g. `ECONNREFUSED`. */
  | { readonly kind: 'unreachable'; readonly url: string; readonly reason: string };

/**
 * A running leadsync service's HTTP API, as a client sees it (`leadsync send`,
 * `leadsync demo`). Deliveries are signed the way the source's provider signs them.
 */
export interface LeadsyncApi {
  /** Where the service is, without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** `POST /v1/events/{source}` with `body` as the exact bytes, signed under `scheme`. */
  postEvent(source: string, scheme: SignatureScheme, body: Buffer): Promise<ApiResponse>;
  /** `GET` a path of the API, e.g. `/v1/dlq`. */
  get(path: string): Promise<ApiResponse>;
}
