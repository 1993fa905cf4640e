import type BetterSqlite3 from 'better-sqlite3';
import { isApiRole } from '../../core/auth/api-roles.js';
import type { ApiToken, ApiTokenStore, CreateTokenResult, NewApiToken, RevokeTokenResult } from '../../ports/api-token-store.js';
import { promised } from './sqlite-async-bridge.js';
import { writeWithoutBlocking } from '../../adapter-support/sqlite-nonblocking-write.js';
import { formatId, fromMs, parseId, toMs } from './sqlite-column-codecs.js';

interface TokenRow {
  id: number;
  name: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, name, role, created_at, last_used_at, revoked_at';

function toToken(row: TokenRow): ApiToken {
  if (!isApiRole(row.role)) throw new Error(`api_tokens row ${row.id} has an unknown role "${row.role}"`);
  return {
    id: formatId(row.id),
    name: row.name,
    role: row.role,
    createdAt: fromMs(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : fromMs(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : fromMs(row.revoked_at),
  };
}

/**
 * API tokens in the `api_tokens` table (migration 004). Its writes run on the HTTP thread of `leadsync serve`
 * (token use on every authenticated request, create and revoke): a busy write lock (the worker thread's) is waited
 * for without sleeping that thread's event loop (docs/decisions/0033-operator-writes-off-the-busy-handler.md).
 */
export class SqliteApiTokenStore implements ApiTokenStore {
  private readonly insert: BetterSqlite3.Statement<[string, string, string, number], TokenRow>;
  private readonly byActiveName: BetterSqlite3.Statement<[string], TokenRow>;
  private readonly byActiveHash: BetterSqlite3.Statement<[string], TokenRow>;
  private readonly byId: BetterSqlite3.Statement<[number], TokenRow>;
  private readonly any: BetterSqlite3.Statement<[], { one: number }>;
  private readonly all: BetterSqlite3.Statement<[], TokenRow>;
  private readonly lastUsed: BetterSqlite3.Statement<[number], { last_used_at: number | null }>;
  private readonly markUsed: BetterSqlite3.Statement<[number, number, number]>;
  private readonly markRevoked: BetterSqlite3.Statement<[number, number], TokenRow>;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.insert = db.prepare(`INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING ${COLUMNS}`);
    this.byActiveName = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE name = ? AND revoked_at IS NULL`);
    this.byActiveHash = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`);
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`);
    this.any = db.prepare('SELECT 1 AS one FROM api_tokens LIMIT 1');
    this.all = db.prepare(`SELECT ${COLUMNS} FROM api_tokens ORDER BY id`);
    // Once a minute at most: a dashboard polling every few seconds should not write every time. An UPDATE takes the
    // write lock even when it changes no row, so `touch` reads first and writes only when the minute has passed.
    this.lastUsed = db.prepare('SELECT last_used_at FROM api_tokens WHERE id = ?');
    this.markUsed = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
    this.markRevoked = db.prepare(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING ${COLUMNS}`);
  }

  create(token: NewApiToken): Promise<CreateTokenResult> {
    return writeWithoutBlocking(this.db, () =>
      this.db.transaction((): CreateTokenResult => {
        const existing = this.byActiveName.get(token.name);
        if (existing !== undefined) return { status: 'name_taken', existing: toToken(existing) };
        return { status: 'created', token: this.insertRow(token) };
      }).immediate(),
    );
  }

  createFirst(token: NewApiToken): Promise<ApiToken | null> {
    return writeWithoutBlocking(this.db, () => this.db.transaction((): ApiToken | null => (this.any.get() === undefined ? this.insertRow(token) : null)).immediate());
  }

  findActive(tokenHash: string): Promise<ApiToken | null> {
    return promised(() => {
      const row = this.byActiveHash.get(tokenHash);
      return row === undefined ? null : toToken(row);
    });
  }

  async touch(id: string, at: Date): Promise<void> {
    const rowid = parseId(id);
    if (rowid === undefined) return;
    const used = await promised(() => this.lastUsed.get(rowid));
    if (used === undefined || (used.last_used_at !== null && used.last_used_at >= toMs(at) - 60_000)) return;
    // The same condition again in the statement: another request may have recorded the use meanwhile.
    await writeWithoutBlocking(this.db, () => this.markUsed.run(toMs(at), rowid, toMs(at) - 60_000));
  }

  list(): Promise<readonly ApiToken[]> {
    return promised(() => this.all.all().map(toToken));
  }

  revoke(idOrName: string, at: Date): Promise<RevokeTokenResult> {
    return writeWithoutBlocking(this.db, () =>
      this.db.transaction((): RevokeTokenResult => {
        const rowid = parseId(idOrName);
        const row = (rowid === undefined ? undefined : this.byId.get(rowid)) ?? this.byActiveName.get(idOrName);
        if (row === undefined) return { status: 'not_found' };
        if (row.revoked_at !== null) return { status: 'already_revoked', token: toToken(row) };
        const revoked = this.markRevoked.get(toMs(at), row.id);
        if (revoked === undefined) throw new Error(`api token ${row.id} could not be revoked`);
        return { status: 'revoked', token: toToken(revoked) };
      }).immediate(),
    );
  }

  private insertRow(token: NewApiToken): ApiToken {
    const row = this.insert.get(token.name, token.role, token.tokenHash, toMs(token.createdAt));
    if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
    return toToken(row);
  }
}
