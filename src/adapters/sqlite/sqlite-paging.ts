// SQLite row ids are numbers, as the shared cursor codec takes them.
export { decodeIdCursor, decodeTimeIdCursor, encodeIdCursor, encodeTimeIdCursor, takePage } from '../../core/paging/page-cursor.js';
export { pageLimit } from '../../ports/page-types.js';
