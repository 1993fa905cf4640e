import { LeadsyncError } from '../errors/error-codes.js';

// Keyset-paging cursors, the same on every storage backend: [id] or [time, id]
// as base64url JSON, so a cursor one backend gave means the same on the other.
// Opaque to callers; a malformed one is PAGE_CURSOR_INVALID.

/** Cursor for listings ordered by id descending: the last id of the page. */
export function encodeIdCursor(id: number): string {
  return Buffer.from(JSON.stringify([id]), 'utf8').toString('base64url');
}

export function decodeIdCursor(cursor: string): number {
  const parts = decodeParts(cursor);
  const [id] = parts;
  if (parts.length !== 1 || typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalid(cursor);
  return id;
}

/** Cursor for listings ordered by (time text, id) descending. */
export function encodeTimeIdCursor(time: string, id: number): string {
  return Buffer.from(JSON.stringify([time, id]), 'utf8').toString('base64url');
}

export function decodeTimeIdCursor(cursor: string): { readonly time: string; readonly id: number } {
  const parts = decodeParts(cursor);
  const [time, id] = parts;
  if (parts.length !== 2 || typeof time !== 'string' || typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalid(cursor);
  return { time, id };
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
