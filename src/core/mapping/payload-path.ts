/**
 * Dot paths into a JSON payload: `person.employment.title`, `emails[0].address`,
 * `traits["first name"]` is not supported on purpose — keys with dots or spaces
 * are rare in lead payloads and a plain grammar keeps configs readable.
 */
export type PathSegment = string | number;

const cache = new Map<string, readonly PathSegment[]>();

/** Parses a path once; later calls reuse the parsed form. */
export function parsePath(path: string): readonly PathSegment[] {
  const cached = cache.get(path);
  if (cached) return cached;
  const segments: PathSegment[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) throw new SyntaxError(`invalid payload path "${path}" at "${part}"`);
    const [, key = '', indexes = ''] = match;
    if (key !== '') segments.push(key);
    for (const index of indexes.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
    if (key === '' && indexes === '') throw new SyntaxError(`invalid payload path "${path}": empty segment`);
  }
  cache.set(path, segments);
  return segments;
}

/** The value at a path, or undefined when any step is missing. */
export function readPath(payload: unknown, path: string): unknown {
  return readSegments(payload, parsePath(path));
}

/** The value at already parsed path segments, or undefined when any step is missing. */
export function readSegments(payload: unknown, segments: readonly PathSegment[]): unknown {
  let current: unknown = payload;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (Array.isArray(current)) return undefined;
      // Read first: an absent key (most alternative paths of a field) is then settled by one
      // lookup. A value found is used only when it is the object's own, never the prototype's.
      const next = (current as Record<string, unknown>)[segment];
      if (next === undefined || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = next;
    }
  }
  return current;
}

/** True for values that count as "no value": undefined, null, blank strings, empty lists. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') {
    // A visible ASCII first character settles it without trimming: the usual value, on every field of every event.
    const first = value.charCodeAt(0);
    if (first > 0x20 && first < 0x7f) return false;
    return value.trim() === '';
  }
  if (Array.isArray(value)) return value.length === 0;
  return false;
}
