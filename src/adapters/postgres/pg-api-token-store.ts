import { isApiRole } from '../../core/auth/api-roles.js';
import type { ApiToken, ApiTokenStore, CreateTokenResult, NewApiToken, RevokeTokenResult } from '../../ports/api-token-store.js';
import { checkDate, isRowId } from './pg-column-codecs.js';
import type { PgClient, PgDatabase } from './pg-database.js';

interface TokenRow {
  id: string;
  name: string;
  role: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, role, created_at, last_used_at, revoked_at';

/** Key of the advisory lock that serialises token creation (name checks, first admin). */
const TOKEN_LOCK_CLASS = 0x1ead7;

function toToken(row: TokenRow): ApiToken {
  if (!isApiRole(row.role)) throw new Error(`api_tokens row ${row.id} has an unknown role "${row.role}"`);
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}

/** API tokens in the `api_tokens` table (migration 004). */
export class PgApiTokenStore implements ApiTokenStore {
  constructor(private readonly database: PgDatabase) {}

  create(token: NewApiToken): Promise<CreateTokenResult> {
    return this.database.withTransaction(async (client): Promise<CreateTokenResult> => {
      await client.query('SELECT pg_advisory_xact_lock($1, 0)', [TOKEN_LOCK_CLASS]);
      const existing = (await client.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE name = $1 AND revoked_at IS NULL`, [token.name])).rows[0];
      if (existing !== undefined) return { status: 'name_taken', existing: toToken(existing) };
      return { status: 'created', token: await insertRow(client, token) };
    });
  }

  createFirst(token: NewApiToken): Promise<ApiToken | null> {
    // The lock makes "no token yet" and the insert one step for every process starting at once.
    return this.database.withTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, 0)', [TOKEN_LOCK_CLASS]);
      const any = await client.query('SELECT 1 FROM api_tokens LIMIT 1');
      return any.rows.length === 0 ? insertRow(client, token) : null;
    });
  }

  async findActive(tokenHash: string): Promise<ApiToken | null> {
    const row = (await this.database.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash])).rows[0];
    return row === undefined ? null : toToken(row);
  }

  async touch(id: string, at: Date): Promise<void> {
    if (!isRowId(id)) return;
    // Once a minute at most: a dashboard polling every few seconds should not write every time.
    await this.database.query(
      "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1::timestamptz - interval '1 minute')",
      [checkDate(at), id],
    );
  }

  async list(): Promise<readonly ApiToken[]> {
    return (await this.database.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY id`)).rows.map(toToken);
  }

  revoke(idOrName: string, at: Date): Promise<RevokeTokenResult> {
    return this.database.withTransaction(async (client): Promise<RevokeTokenResult> => {
      const byId = isRowId(idOrName) ? (await client.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1 FOR UPDATE`, [idOrName])).rows[0] : undefined;
      const row = byId ?? (await client.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE name = $1 AND revoked_at IS NULL FOR UPDATE`, [idOrName])).rows[0];
      if (row === undefined) return { status: 'not_found' };
      if (row.revoked_at !== null) return { status: 'already_revoked', token: toToken(row) };
      const revoked = (await client.query<TokenRow>(`UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 RETURNING ${COLUMNS}`, [checkDate(at), row.id])).rows[0];
      if (revoked === undefined) throw new Error(`api token ${row.id} could not be revoked`);
      return { status: 'revoked', token: toToken(revoked) };
    });
  }
}

async function insertRow(client: PgClient, token: NewApiToken): Promise<ApiToken> {
  const row = (await client.query<TokenRow>(
    `INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [token.name, token.role, token.tokenHash, checkDate(token.createdAt)],
  )).rows[0];
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return toToken(row);
}
