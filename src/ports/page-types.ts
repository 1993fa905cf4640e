/** One page of a keyset-paginated listing. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` to get the next page; null on the last page. Opaque to callers. */
  readonly nextCursor: string | null;
}

/** Paging options shared by every listing. */
export interface PageRequest {
  /** Items per page, 1..1000. (Default: 50) */
  readonly limit?: number;
  /** `nextCursor` of the previous page. (Default: first page) */
  readonly cursor?: string;
}

/** Largest `limit` a listing accepts; larger requests are clamped. */
export const MAX_PAGE_LIMIT = 1000;
/** `limit` when none is given. */
export const DEFAULT_PAGE_LIMIT = 50;

/** A page size within 1..MAX_PAGE_LIMIT; DEFAULT_PAGE_LIMIT when none (or no number) is given. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(limit)));
}
