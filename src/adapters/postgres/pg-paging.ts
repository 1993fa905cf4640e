import { LeadsyncError } from '../../core/errors/error-codes.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../ports/page-types.js';

// The same cursor format as the SQLite adapter ([id] or [time, id] as
// base64url JSON), so a cursor means the same thing on either backend.

/** A page size within 1..MAX_PAGE_LIMIT. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Cursor for listings ordered by id descending: the last id of the page. */
export function encodeIdCursor(id: string): string {
  return Buffer.from(JSON.stringify([Number(id)]), 'utf8').toString('base64url');
}

/** The id a cursor names, as text for a bigint parameter. */
export function decodeIdCursor(cursor: string): string {
  const parts = decodeParts(cursor);
  const [id] = parts;
  if (parts.length !== 1 || typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalid(cursor);
  return String(id);
}

/** Cursor for listings ordered by (time text, id) descending. */
export function encodeTimeIdCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, Number(id)]), 'utf8').toString('base64url');
}

export function decodeTimeIdCursor(cursor: string): { readonly time: string; readonly id: string } {
  const parts = decodeParts(cursor);
  const [time, id] = parts;
  if (parts.length !== 2 || typeof time !== 'string' || typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalid(cursor);
  return { time, id: String(id) };
}

function decodeParts(cursor: string): readonly unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch (error) {
    throw invalid(cursor, error);
  }
  if (!Array.isArray(parsed)) throw invalid(cursor);
  return parsed as readonly unknown[];
}

function invalid(cursor: string, cause?: unknown): LeadsyncError {
  return new LeadsyncError('PAGE_CURSOR_INVALID', `invalid page cursor "${cursor.slice(0, 40)}"`, cause === undefined ? {} : { cause });
}

/** Splits `limit + 1` fetched rows into a page and whether another page follows. */
export function takePage<Row>(rows: readonly Row[], limit: number): { readonly rows: readonly Row[]; readonly last: Row | undefined; readonly more: boolean } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return { rows: pageRows, last: more ? pageRows.at(-1) : undefined, more };
}

/** Collects `column = $n` conditions with their parameters. */
export class SqlFilters {
  readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** Adds a condition; `?` in `sql` is replaced by the next parameter placeholder. */
  add(sql: string, ...values: unknown[]): void {
    let text = sql;
    for (const value of values) {
      this.params.push(value);
      text = text.replace('?', `$${this.params.length}`);
    }
    this.conditions.push(text);
  }

  /** `$n` for one more parameter (LIMIT). */
  next(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  where(): string {
    return this.conditions.length > 0 ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
