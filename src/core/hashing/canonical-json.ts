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
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${String(value)}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
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
      // Default sort compares UTF-16 code units, as JCS orders keys.
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${JSON.stringify(key)}:${canonicalJson(item)}`;
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
