import { LeadsyncError } from '../../core/errors/error-codes.js';

/** The codes a PostgreSQL connection problem at start is reported with (docs/errors.md). */
type PgStartCode = 'STORAGE_UNREACHABLE' | 'STORAGE_AUTH_FAILED' | 'STORAGE_DATABASE_NOT_FOUND' | 'STORAGE_CONNECTION_REJECTED';

/**
 * Where a PostgreSQL URL points, for people: `postgres://user:***@host:port/database`,
 * the password masked and the query (which may hold one too) left out. A string
 * that is not a URL (a libpq key=value string) is shown as "the storage URL".
 */
export function describePgTarget(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL to take apart: saying less is safer than echoing a string that may hold a password.
    return 'the storage URL';
  }
  const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}${parsed.password === '' ? '' : ':***'}@`;
  const host = parsed.hostname === '' ? (parsed.searchParams.get('host') ?? 'localhost') : parsed.hostname;
  const port = parsed.port === '' ? (parsed.searchParams.get('port') ?? '5432') : parsed.port;
  return `${parsed.protocol}//${user}${host}:${port}${parsed.pathname}`;
}

/** Query parameters of a PostgreSQL URL that carry a secret (libpq's connection URIs accept these). */
const SECRET_QUERY_PARAMETERS = ['password', 'sslpassword'];

/**
 * The whole URL with its secrets masked, for logs and `leadsync worker --json`: the password
 * in the user part and any `password`/`sslpassword` query parameter become `***`; the rest
 * (host, database, `options` with a search_path) stays, so two deployments can be told apart.
 * A string that is not a URL is shown as "the storage URL", as in `describePgTarget`.
 */
export function redactPgUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the storage URL';
  }
  if (parsed.password !== '') parsed.password = '***';
  // Touched only when it holds a secret: writing searchParams re-encodes the whole query.
  const secrets = [...parsed.searchParams.keys()].filter((name) => SECRET_QUERY_PARAMETERS.includes(name.toLowerCase()));
  for (const name of secrets) parsed.searchParams.set(name, '***');
  return parsed.toString();
}

/** Socket errors that mean nothing answered at the host and port. */
const UNREACHABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT']);

/** SQLSTATEs a server answers a login with, and what they mean for the person starting leadsync. */
const LOGIN_SQLSTATES: ReadonlyMap<string, PgStartCode> = new Map<string, PgStartCode>([
  ['28P01', 'STORAGE_AUTH_FAILED'], // invalid_password
  ['28000', 'STORAGE_AUTH_FAILED'], // invalid_authorization_specification: unknown role, no pg_hba.conf entry
  ['3D000', 'STORAGE_DATABASE_NOT_FOUND'], // invalid_catalog_name
  ['57P03', 'STORAGE_UNREACHABLE'], // cannot_connect_now: starting up, shutting down, recovering
  ['53300', 'STORAGE_CONNECTION_REJECTED'], // too_many_connections
]);

/** PgBouncer's answers while the PostgreSQL server behind it cannot be reached. */
const POOLER_SERVER_DOWN = /server login has been failing|pgbouncer cannot connect to server|server conn crashed/i;

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node tries every address of a name (IPv6 and IPv4 for localhost) and reports an AggregateError of them.
  if (error instanceof AggregateError) return codeOf(error.errors[0]);
  return undefined;
}

/** Which start-up code a connection error is, or undefined when it is not a connection problem. */
function startCodeOf(error: unknown): PgStartCode | undefined {
  const code = codeOf(error);
  if (code !== undefined) {
    const login = LOGIN_SQLSTATES.get(code);
    if (login !== undefined) return login;
    if (UNREACHABLE_NODE_CODES.has(code)) return 'STORAGE_UNREACHABLE';
    // PgBouncer cannot log in to the server behind it (restarting, down): the database is unreachable for
    // now, and the pooler lets clients in again once a login succeeds (`server_login_retry`, docs/deploy.md).
    if (code.startsWith('08') && POOLER_SERVER_DOWN.test(error instanceof Error ? error.message : '')) return 'STORAGE_UNREACHABLE';
    // Class 08, connection exception: a pooler's refusal (08P01 "unsupported startup parameter") among them.
    if (code.startsWith('08')) return 'STORAGE_CONNECTION_REJECTED';
  }
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports a connect timeout without a code.
  if (/timeout expired|connection timeout|timeout exceeded when trying to connect/i.test(message)) return 'STORAGE_UNREACHABLE';
  return undefined;
}

/**
 * The error to report when opening PostgreSQL storage failed because of the
 * environment rather than leadsync: nothing listening, a login or database
 * the server refuses, a pooler rejecting the connection. Names the target
 * (password masked) and keeps the driver's error as `cause`. Undefined for
 * any other error, which the caller reports as it would have.
 * @param hint appended to the message (the migrator's pooler advice)
 */
export function pgStartError(error: unknown, target: string, hint = ''): LeadsyncError | undefined {
  const code = startCodeOf(error);
  if (code === undefined) return undefined;
  const reason = error instanceof Error && error.message !== '' ? error.message : String(codeOf(error) ?? error);
  const what: Record<PgStartCode, string> = {
    STORAGE_UNREACHABLE: `PostgreSQL at ${target} cannot be reached`,
    STORAGE_AUTH_FAILED: `PostgreSQL at ${target} refused the login`,
    STORAGE_DATABASE_NOT_FOUND: `PostgreSQL at ${target}: the database does not exist`,
    STORAGE_CONNECTION_REJECTED: `PostgreSQL at ${target} (or a pooler in front of it) rejected the connection`,
  };
  return new LeadsyncError(code, `${what[code]}: ${reason}${hint}`, { cause: error, details: { target } });
}
