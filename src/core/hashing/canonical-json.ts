import { sha256Hex } from './sha256.js';

/**
 * Canonical JSON in the spirit of RFC 8785 (JCS): object keys sorted by UTF-16
 * code units, no whitespace, numbers in their shortest round-trip form (which
 * is what `JSON.stringify` produces for finite numbers), `undefined` members
 * dropped. Non-finite numbers are refused because JSON cannot carry them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${String(value)}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

/** SHA-256 (hex) of the canonical JSON of a payload: the payload hash in audit and idempotency records. */
export function payloadHash(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}
