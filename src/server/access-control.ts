import { fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiToken } from '../app/api-token-actions.js';
import { roleAtLeast, type ApiRole } from '../core/auth/api-roles.js';
import { ERROR_CODES, errorDefinition, type ErrorCode } from '../core/errors/error-codes.js';
import { maskPii } from '../core/redaction/pii-masker.js';
import type { ApiToken, ApiTokenStore } from '../ports/api-token-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request authenticated with; null on open routes. */
    apiToken: ApiToken | null;
  }
}

/** The dashboard's session cookie: the token itself, HttpOnly and SameSite=Strict. */
export const SESSION_COOKIE = 'leadsync_session';
/** Changes sent with the cookie must carry this header; a cross-site form cannot set it. */
export const DASHBOARD_HEADER = 'x-leadsync-dashboard';

/**
 * Who may call a route:
 * - `open`: anyone (health, metrics, the OpenAPI document, the dashboard's files, login);
 * - `signature`: ingest, authenticated by the source's signature, never by a token;
 * - a role: a token of that role or a stronger one.
 */
export type RouteAccess = 'open' | 'signature' | ApiRole;

export interface RoutePolicy {
  readonly access: RouteAccess;
  /** Refused in read-only mode. */
  readonly changes: boolean;
}

const OPEN_PATHS = new Set(['/', '/healthz', '/readyz', '/metrics', '/openapi.json', '/favicon.ico']);
const OPEN_PREFIXES = ['/docs', '/assets/'];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The access rule of a route, by method and route pattern. Anything not named
 * here needs a viewer token to read and an operator token to change, so a
 * route added later is closed until someone opens it on purpose.
 */
export function routePolicy(method: string, url: string): RoutePolicy {
  const reads = READ_METHODS.has(method);
  if (OPEN_PATHS.has(url) || OPEN_PREFIXES.some((prefix) => url.startsWith(prefix))) return { access: 'open', changes: false };
  if (url === '/v1/events/:source') return { access: 'signature', changes: false };
  if (url === '/v1/session' && method === 'POST') return { access: 'open', changes: false };
  if (url === '/v1/session/logout') return { access: 'open', changes: false };
  if (url.startsWith('/v1/tokens')) return { access: 'admin', changes: !reads };
  if (url === '/v1/config/check') return { access: 'admin', changes: false };
  if (url.startsWith('/v1/config') && !reads) return { access: 'admin', changes: true };
  return reads ? { access: 'viewer', changes: false } : { access: 'operator', changes: true };
}

export interface AccessControlOptions {
  readonly tokens: ApiTokenStore;
  readonly now: () => Date;
  /** Read at every request, so a config reload can switch it. */
  readonly readOnly: () => boolean;
}

function refuse(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(errorDefinition(code).httpStatus ?? 403).send({ code, message, fix: ERROR_CODES[code].fix });
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * The session cookie, parsed here rather than read from the plugin's
 * `request.cookies`: the plugin's hook is added when plugins load, after
 * this one, and this hook needs the cookie first.
 */
function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : fastifyCookie.parse(header)[SESSION_COOKIE];
}

/** The Set-Cookie value that logs a browser in (`token`) or out (null). */
export function sessionCookie(token: string | null, secure: boolean): string {
  return fastifyCookie.serialize(SESSION_COOKIE, token ?? '', {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure,
    // A browser session, or gone at once on logout; the token itself does not expire until revoked.
    ...(token === null ? { maxAge: 0 } : {}),
  });
}

/** Every string in a JSON-like value with emails and phone numbers masked. */
export function maskPiiDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (Array.isArray(value)) return value.map(maskPiiDeep);
  if (value instanceof Date) return value;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskPiiDeep(inner)]));
  }
  return value;
}

/**
 * Token authentication and role checks for every route (see `routePolicy`),
 * read-only mode, and PII masking of every answer to a viewer token.
 * Register before the routes.
 */
export function registerAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  // Registered for its cookie codec, which it loads when the app starts; `parse`/`serialize` below need it.
  void app.register(fastifyCookie);
  app.decorateRequest('apiToken', null);

  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    // No route: let the 404 answer.
    if (url === undefined) return;
    const policy = routePolicy(request.method, url);
    if (policy.access === 'open' || policy.access === 'signature') return;

    const bearer = bearerOf(request);
    const secret = bearer ?? sessionCookieOf(request);
    if (secret === undefined || secret === '') return refuse(reply, 'AUTH_TOKEN_MISSING', `${request.method} ${url} needs an API token`);
    const token = await authenticateApiToken(options, secret);
    if (token === null) return refuse(reply, 'AUTH_TOKEN_INVALID', 'the API token is unknown or revoked');
    if (!roleAtLeast(token.role, policy.access)) {
      return refuse(reply, 'AUTH_ROLE_INSUFFICIENT', `${request.method} ${url} needs the ${policy.access} role; token "${token.name}" is ${token.role}`);
    }
    if (policy.changes && bearer === undefined && request.headers[DASHBOARD_HEADER] === undefined) {
      return refuse(reply, 'AUTH_ORIGIN_REFUSED', `a change sent with the dashboard cookie must carry the ${DASHBOARD_HEADER} header`);
    }
    if (policy.changes && options.readOnly()) return refuse(reply, 'SERVICE_READ_ONLY', `${request.method} ${url} changes state; the service is read-only (service.readOnly)`);
    request.apiToken = token;
  });

  // Viewers read everything with emails and phone numbers masked: lead keys, values, messages, traces.
  app.addHook('preSerialization', async (request, _reply, payload) => {
    if (request.apiToken?.role !== 'viewer' || request.routeOptions.url === '/v1/session') return payload;
    return maskPiiDeep(payload);
  });
}
