import { ApiError } from './dom.js';

/** The dashboard's session, from GET /v1/session. */
export interface Session {
  readonly name: string;
  readonly role: 'viewer' | 'operator' | 'admin';
  readonly readOnly: boolean;
}

let onUnauthorized: () => void = () => undefined;

/** What to do when the API says the session is gone (401): show the login page. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/**
 * Calls the JSON API with the session cookie. Changes carry the dashboard
 * header the server requires with cookie authentication.
 */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-leadsync-dashboard'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const error = (parsed ?? {}) as { code?: string; message?: string; fix?: string };
    if (response.status === 401 && path !== '/v1/session') onUnauthorized();
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? `${method} ${path} answered ${response.status}`, error.fix, parsed);
  }
  return parsed as T;
}

/** A query string from the defined values. */
export function query(values: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function canOperate(session: Session): boolean {
  return session.role !== 'viewer' && !session.readOnly;
}

export function isAdmin(session: Session): boolean {
  return session.role === 'admin';
}
