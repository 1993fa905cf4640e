import type { LoadedConfig } from '../config/config-loader.js';
import { serviceUrl } from '../server/leadsync-api-client.js';
import { UsageError } from './usage-error.js';

/** The service a client command talks to: `--url`, else `http://<service.host>:<service.port>` of the config. */
export function serviceAddress(config: LoadedConfig, url: string | undefined): string {
  if (url === undefined) return serviceUrl(config.document.service.host, config.document.service.port);
  if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
    throw new UsageError(`--url must be an http(s) URL such as http://127.0.0.1:8080, not "${url}"`);
  }
  return url;
}

/** A service that did not answer is a usage problem (exit 2): nothing was sent, the user starts it and retries. */
export function unreachableError(response: { readonly url: string; readonly reason: string }): UsageError {
  // A service started with `serve --port` listens elsewhere than the config's service.port, where the command looked by default.
  const hint = response.reason === 'ECONNREFUSED' ? ' — is `npm start` (leadsync serve) running? If it listens on another port, pass --url with the address its first line printed' : '';
  return new UsageError(`cannot reach ${response.url} (${response.reason})${hint}`);
}
