/**
 * A bounded memo of recent results for normalizers whose library call is
 * slow (libphonenumber parses in ~10 µs). Two generations: lookups hit the
 * young map, then the old one (promoting the hit); when the young map is full
 * it becomes the old one and the previous old one is dropped. So at most
 * 2 x `generationSize` entries are kept, recently used ones survive, and
 * there is no per-hit bookkeeping. Results are immutable, so sharing them is
 * safe; the cache changes timing only, never a result.
 */
export class ResultCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  /** @param generationSize - entries per generation. (Default: 4096) */
  constructor(private readonly generationSize = 4096) {}

  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const older = this.old.get(key);
    if (older !== undefined) this.set(key, older);
    return older;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
