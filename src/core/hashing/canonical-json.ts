import { sha256Hex } from './sha256.js';

/**
 * Canonical JSON in the spirit of RFC 8785 (JCS): object keys sorted by UTF-16
 * code units, no whitespace, numbers in their shortest round-trip form (which
 * is what `JSON.stringify` produces for finite numbers), `undefined` members
 * dropped. Non-finite numbers are refused because JSON cannot carry them.
 */
export function canonicalJson(value: unknown): string {
  // Loops and string concatenation rather than map/filter/join: this runs for
  // every payload hash and every audit row, and the array helpers allocated
  // most of its time away.
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${String(value)}`);
      // String() of a finite number is JSON's form, and gives "0" for -0.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let index = 0; index < value.length; index += 1) {
          const item: unknown = value[index];
          if (index > 0) out += ',';
          out += item === undefined ? 'null' : canonicalJson(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(record));
      let out = '{';
      for (let index = 0; index < keys.length; index += 1) {
        const key = keys[index] as string;
        const item = record[key];
        if (item === undefined) continue;
        if (out.length > 1) out += ',';
        out += quote(key);
        out += ':';
        out += canonicalJson(item);
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

/** SHA-256 (hex) of the canonical JSON of a payload: the payload hash in audit and idempotency records. */
export function payloadHash(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}

// Past this many keys the built-in sort beats insertion sort.
const INSERTION_SORT_LIMIT = 16;

/**
 * Sorts keys by UTF-16 code units, as JCS orders them and as the default
 * `sort()` does. Payload objects have a handful of keys, for which an
 * insertion sort with `>` is several times faster than `sort()`, which turns
 * every comparison into a call.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_LIMIT) return keys.sort();
  for (let index = 1; index < keys.length; index += 1) {
    const key = keys[index] as string;
    let at = index - 1;
    while (at >= 0 && (keys[at] as string) > key) {
      keys[at + 1] = keys[at] as string;
      at -= 1;
    }
    keys[at + 1] = key;
  }
  return keys;
}

/**
 * `JSON.stringify` of a string. Most strings need no escape at all (no quote,
 * backslash, control character or surrogate), and for them wrapping in quotes
 * is the same text without the call; the rest go through `JSON.stringify`,
 * which also writes lone surrogates as `\uXXXX` escapes.
 */
function quote(text: string): string {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}
