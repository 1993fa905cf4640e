import type pg from 'pg';

// Sending a transaction's statements in as few round trips as their data dependencies allow
// (docs/decisions/0025-postgres-settle-round-trips.md). Shared by the PostgreSQL storage adapter and
// the sandbox CRM's PostgreSQL flavour, which may not import each other.

/** One statement and its parameters (`$1`, `$2`, … in `text`). */
export interface PgStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** A parameter as a quoted SQL literal (untyped, resolved from its context like a parameter), or undefined when it cannot be one. */
function sqlLiteral(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'NULL';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value)) {
    // A one-dimensional array literal, elements quoted as node-postgres quotes them.
    const elements: string[] = [];
    for (const element of value as readonly unknown[]) {
      if (element === null || element === undefined) elements.push('NULL');
      else if (typeof element === 'string') elements.push(`"${element.replace(/[\\"]/g, '\\$&')}"`);
      else if ((typeof element === 'number' && Number.isFinite(element)) || typeof element === 'bigint' || typeof element === 'boolean') elements.push(`"${String(element)}"`);
      else return undefined;
    }
    text = `{${elements.join(',')}}`;
  } else return undefined;
  // A NUL would end the message's query text; such a value goes as a parameter (and is refused there, as before).
  if (text.includes('\u0000')) return undefined;
  const quoted = text.includes("'") ? text.replace(/'/g, "''") : text;
  // E'' reads backslashes as escapes whatever standard_conforming_strings says.
  return quoted.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/**
 * Appends the statement's text to `parts`, its parameters written into it as
 * literals; false (with `parts` as it was) when one cannot be (a NUL in a
 * string, a Date, an object). The text must hold `$n` only as a parameter.
 * Pieces rather than one string: the message is joined once, so a large
 * parameter (a settle's JSON rows) is copied once.
 */
export function appendInlinedStatement(parts: string[], statement: PgStatement): boolean {
  const literals: string[] = [];
  for (const value of statement.values) {
    const literal = sqlLiteral(value);
    if (literal === undefined) return false;
    literals.push(literal);
  }
  const pieces: string[] = [];
  const { text } = statement;
  let from = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    const literal = literals[Number(match[1]) - 1];
    if (literal === undefined) return false;
    pieces.push(text.slice(from, match.index), literal);
    from = match.index + match[0].length;
  }
  pieces.push(text.slice(from));
  parts.push(...pieces);
  return true;
}

/**
 * A transaction sent in as few round trips as its data dependencies allow:
 * `run` sends its statements (after `BEGIN`, on the first call) as one
 * message of the simple query protocol, parameters written as literals, and
 * `commit` sends its statements with `COMMIT`. In one message each statement
 * still takes its own snapshot (READ COMMITTED), as when sent one by one. A
 * statement whose parameters cannot be literals goes the usual way, one round
 * trip each. On an error the caller rolls back (`PgDatabase.withScriptedTransaction` does).
 */
export class PgTransactionScript {
  private begun = false;
  /** Whether the transaction ended: committed, or rolled back by `rollback`. */
  ended = false;

  constructor(private readonly client: pg.ClientBase) {}

  /** Sends the statements inside the transaction; their results, in order. */
  run(statements: readonly PgStatement[]): Promise<pg.QueryResult[]> {
    return this.send(statements, false);
  }

  /** Sends the statements and `COMMIT`; their results, in order. */
  commit(statements: readonly PgStatement[] = []): Promise<pg.QueryResult[]> {
    return this.send(statements, true);
  }

  /** Ends the transaction without writing anything. */
  async rollback(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.begun) await this.client.query('ROLLBACK');
  }

  private async send(statements: readonly PgStatement[], ending: boolean): Promise<pg.QueryResult[]> {
    if (this.ended) throw new Error('the transaction has ended');
    const before = this.begun ? [] : ['BEGIN'];
    this.begun = true;
    if (ending) this.ended = true;
    const parts = [...before];
    let inlined = true;
    for (const statement of statements) {
      if (parts.length > 0) parts.push(';\n');
      inlined = appendInlinedStatement(parts, statement);
      if (!inlined) break;
    }
    if (inlined) {
      if (ending) parts.push(parts.length === 0 ? 'COMMIT' : ';\nCOMMIT');
      const result = (await this.client.query(parts.join(''))) as pg.QueryResult | pg.QueryResult[];
      const results = Array.isArray(result) ? result : [result];
      return results.slice(before.length, before.length + statements.length);
    }
    for (const text of before) await this.client.query(text);
    const results: pg.QueryResult[] = [];
    for (const statement of statements) results.push(await this.client.query(statement.text, [...statement.values]));
    if (ending) await this.client.query('COMMIT');
    return results;
  }
}
