/**
 * Runs synchronous better-sqlite3 work behind an async port method. A throw
 * inside a Promise executor becomes a rejection, so callers always get a
 * rejected promise, never a synchronous throw, the same as from an adapter
 * that really awaits I/O (PostgreSQL).
 */
export function promised<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(work());
  });
}
