import { API_TOKEN_NAME_PATTERN, API_TOKEN_PATTERN, formatApiToken, hashApiToken, type ApiRole } from '../core/auth/api-roles.js';
import type { ApiToken, ApiTokenStore } from '../ports/api-token-store.js';

export interface ApiTokenDeps {
  readonly tokens: ApiTokenStore;
  readonly now: () => Date;
  /** 32 random bytes per call (node:crypto randomBytes in the composition root). */
  readonly randomBytes: () => Uint8Array;
}

export type IssueTokenOutcome =
  | { readonly status: 'created'; readonly token: ApiToken; /** Shown once; only its hash is stored. */ readonly secret: string }
  | { readonly status: 'name_taken'; readonly existing: ApiToken }
  | { readonly status: 'invalid_name'; readonly message: string };

/** Creates a token for a person or a script. */
export async function issueApiToken(deps: ApiTokenDeps, request: { readonly name: string; readonly role: ApiRole }): Promise<IssueTokenOutcome> {
  const name = request.name.trim();
  if (!API_TOKEN_NAME_PATTERN.test(name)) {
    return { status: 'invalid_name', message: `token name "${request.name}" must be 1-80 letters, digits, spaces or . _ @ + - and start with a letter or digit` };
  }
  const secret = formatApiToken(deps.randomBytes());
  const result = await deps.tokens.create({ name, role: request.role, tokenHash: hashApiToken(secret), createdAt: deps.now() });
  return result.status === 'created' ? { status: 'created', token: result.token, secret } : result;
}

/** Name of the admin token a first start creates. */
export const BOOTSTRAP_TOKEN_NAME = 'admin';

/**
 * On a store that has never held a token, creates an `admin` token and
 * returns its secret (to be shown once). Null when tokens exist.
 */
export async function bootstrapAdminToken(deps: ApiTokenDeps): Promise<{ readonly token: ApiToken; readonly secret: string } | null> {
  const secret = formatApiToken(deps.randomBytes());
  const token = await deps.tokens.createFirst({ name: BOOTSTRAP_TOKEN_NAME, role: 'admin', tokenHash: hashApiToken(secret), createdAt: deps.now() });
  return token === null ? null : { token, secret };
}

/** The active token a presented secret belongs to, recording the use; null when unknown or revoked. */
export async function authenticateApiToken(deps: Pick<ApiTokenDeps, 'tokens' | 'now'>, secret: string): Promise<ApiToken | null> {
  // Malformed strings never reach the store: no hashing or lookups for junk.
  if (!API_TOKEN_PATTERN.test(secret)) return null;
  const token = await deps.tokens.findActive(hashApiToken(secret));
  if (token !== null) await deps.tokens.touch(token.id, deps.now());
  return token;
}
