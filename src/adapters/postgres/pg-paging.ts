import * as cursors from '../../core/paging/page-cursor.js';

// PostgreSQL bigint ids travel as text; the cursor format is the shared one
// (src/core/paging/page-cursor.ts), so a cursor means the same on either backend.

export { takePage } from '../../core/paging/page-cursor.js';
export { pageLimit } from '../../ports/page-types.js';

/** Cursor for listings ordered by id descending: the last id of the page. */
export function encodeIdCursor(id: string): string {
  return cursors.encodeIdCursor(Number(id));
}

/** The id a cursor names, as text for a bigint parameter. */
export function decodeIdCursor(cursor: string): string {
  return String(cursors.decodeIdCursor(cursor));
}

/** Cursor for listings ordered by (time text, id) descending. */
export function encodeTimeIdCursor(time: string, id: string): string {
  return cursors.encodeTimeIdCursor(time, Number(id));
}

export function decodeTimeIdCursor(cursor: string): { readonly time: string; readonly id: string } {
  const { time, id } = cursors.decodeTimeIdCursor(cursor);
  return { time, id: String(id) };
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
