import { describe, expect, it } from 'vitest';
import { LeadsyncError } from '../../../src/core/errors/error-codes.js';
import { decodeIdCursor, decodeTimeIdCursor, encodeIdCursor, encodeTimeIdCursor, takePage } from '../../../src/core/paging/page-cursor.js';
import { pageLimit } from '../../../src/ports/page-types.js';
import * as pgPaging from '../../../src/adapters/postgres/pg-paging.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof LeadsyncError ? error.code : 'not a LeadsyncError';
  }
  return undefined;
}

describe('page cursors', () => {
  it('round-trip ids and (time, id) pairs', () => {
    expect(decodeIdCursor(encodeIdCursor(42))).toBe(42);
    expect(decodeTimeIdCursor(encodeTimeIdCursor('2026-11-27T10:00:00.000Z', 7))).toEqual({ time: '2026-11-27T10:00:00.000Z', id: 7 });
  });

  it('mean the same on PostgreSQL, where ids travel as text', () => {
    expect(pgPaging.encodeIdCursor('42')).toBe(encodeIdCursor(42));
    expect(pgPaging.decodeIdCursor(encodeIdCursor(42))).toBe('42');
    expect(pgPaging.decodeTimeIdCursor(encodeTimeIdCursor('t', 9))).toEqual({ time: 't', id: '9' });
  });

  it('refuse malformed cursors with PAGE_CURSOR_INVALID', () => {
    const b64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64url');
    expect(codeOf(() => decodeIdCursor('not base64 json'))).toBe('PAGE_CURSOR_INVALID');
    expect(codeOf(() => decodeIdCursor(b64('{"id":1}')))).toBe('PAGE_CURSOR_INVALID');
    expect(codeOf(() => decodeIdCursor(b64('[1.5]')))).toBe('PAGE_CURSOR_INVALID');
    expect(codeOf(() => decodeIdCursor(b64('[1,2]')))).toBe('PAGE_CURSOR_INVALID');
    expect(codeOf(() => decodeTimeIdCursor(encodeIdCursor(1)))).toBe('PAGE_CURSOR_INVALID');
    expect(codeOf(() => decodeTimeIdCursor(b64('[1,"t"]')))).toBe('PAGE_CURSOR_INVALID');
  });

  it('takePage splits limit + 1 rows into a page and whether more follow', () => {
    expect(takePage([1, 2, 3], 2)).toEqual({ rows: [1, 2], last: 2, more: true });
    expect(takePage([1, 2], 2)).toEqual({ rows: [1, 2], last: undefined, more: false });
  });

  it('pageLimit clamps to 1..1000 and defaults to 50', () => {
    expect([pageLimit(undefined), pageLimit(Number.NaN), pageLimit(0), pageLimit(2.7), pageLimit(5000)]).toEqual([50, 50, 1, 2, 1000]);
  });
});
