import type BetterSqlite3 from 'better-sqlite3';

/**
 * Prepared statements for SQL built from optional filters. There are only a
 * few filter combinations, so each is prepared once and reused.
 */
export class SqliteStatementCache<Row> {
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[], Row>>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  get(sql: string): BetterSqlite3.Statement<unknown[], Row> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], Row>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
