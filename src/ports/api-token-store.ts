import type { ApiRole } from '../core/auth/api-roles.js';

export { API_ROLES, type ApiRole } from '../core/auth/api-roles.js';

/** A stored API token. The token itself is never stored, only its SHA-256. */
export interface ApiToken {
  readonly id: string;
  /** Who the token belongs to; recorded as the audit actor of what it does. Unique among active tokens. */
  readonly name: string;
  readonly role: ApiRole;
  readonly createdAt: Date;
  /** Last time a request authenticated with it (at most once a minute is recorded). */
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface NewApiToken {
  readonly name: string;
  readonly role: ApiRole;
  /** SHA-256 of the token, hex (core/auth/api-roles.ts `hashApiToken`). */
  readonly tokenHash: string;
  readonly createdAt: Date;
}

export type CreateTokenResult = { readonly status: 'created'; readonly token: ApiToken } | { readonly status: 'name_taken'; readonly existing: ApiToken };

export type RevokeTokenResult =
  | { readonly status: 'revoked'; readonly token: ApiToken }
  | { readonly status: 'already_revoked'; readonly token: ApiToken }
  | { readonly status: 'not_found' };

/** API tokens of the HTTP API and the dashboard. */
export interface ApiTokenStore {
  /** Adds a token; refused when an active token has the same name. */
  create(token: NewApiToken): Promise<CreateTokenResult>;
  /**
   * Adds the token only if the store has never held one (first start), in
   * one transaction, so two processes starting together create one admin.
   * Returns the token, or null when tokens already exist (even if all are revoked).
   */
  createFirst(token: NewApiToken): Promise<ApiToken | null>;
  /** The active (not revoked) token with that hash. */
  findActive(tokenHash: string): Promise<ApiToken | null>;
  /** Records a use of the token. */
  touch(id: string, at: Date): Promise<void>;
  /** Every token, active and revoked, oldest first. */
  list(): Promise<readonly ApiToken[]>;
  /** Revokes by id, or by name (the active token of that name). */
  revoke(idOrName: string, at: Date): Promise<RevokeTokenResult>;
}
