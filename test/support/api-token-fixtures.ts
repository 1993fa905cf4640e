import { randomBytes } from 'node:crypto';
import { issueApiToken } from '../../src/app/api-token-actions.js';
import type { ApiRole } from '../../src/core/auth/api-roles.js';
import type { ApiTokenStore } from '../../src/ports/api-token-store.js';

/** Headers that authenticate a request as a token. */
export type AuthHeaders = { readonly authorization: string };

/**
 * Creates an API token in the store and returns the headers that use it.
 * The name is what the audit records as the actor of the token's actions.
 */
export async function grantToken(tokens: ApiTokenStore, name: string, role: ApiRole = 'operator'): Promise<AuthHeaders> {
  const outcome = await issueApiToken({ tokens, now: () => new Date(), randomBytes: () => randomBytes(32) }, { name, role });
  if (outcome.status !== 'created') throw new Error(`could not create token "${name}": ${outcome.status}`);
  return { authorization: `Bearer ${outcome.secret}` };
}
