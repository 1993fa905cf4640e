import { hash } from 'node:crypto';
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

/**
 * SHA-256 (hex) of the canonical JSON of a payload: the payload hash in audit
 * and idempotency records. Always `sha256Hex(canonicalJson(payload))`, byte for
 * byte; it is computed without building that string: the canonical form is
 * written as UTF-8 straight into one reusable byte buffer, which is hashed in
 * place. Concatenation built a rope of a few hundred pieces per payload that
 * the hash then had to flatten and encode, and this runs for every event.
 */
export function payloadHash(payload: unknown): string {
  // A getter in the payload could hash another payload while this one is being
  // written; the shared buffer is then busy, and the plain path is taken.
  if (writing) return sha256Hex(canonicalJson(payload));
  writing = true;
  try {
    size = 0;
    writeValue(payload);
    return hash('sha256', bytes.subarray(0, size), 'hex');
  } finally {
    writing = false;
    // A rare huge payload does not keep a huge buffer alive.
    if (bytes.length > KEPT_BUFFER_BYTES) bytes = new Uint8Array(INITIAL_BUFFER_BYTES);
  }
}

const INITIAL_BUFFER_BYTES = 16 * 1024;
const KEPT_BUFFER_BYTES = 1024 * 1024;
/** The canonical form being written, as UTF-8; `size` bytes of it are used. */
let bytes = new Uint8Array(INITIAL_BUFFER_BYTES);
let size = 0;
let writing = false;

/** Makes room for `extra` more bytes. */
function reserve(extra: number): void {
  if (size + extra <= bytes.length) return;
  let capacity = bytes.length * 2;
  while (capacity < size + extra) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(bytes.subarray(0, size));
  bytes = grown;
}

/** Writes what `canonicalJson(value)` returns, as UTF-8, and throws where it throws. */
function writeValue(value: unknown): void {
  switch (typeof value) {
    case 'string':
      writeString(value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${String(value)}`);
      writeAscii(String(value));
      return;
    case 'boolean':
      writeAscii(value ? 'true' : 'false');
      return;
    case 'object': {
      if (value === null) {
        writeAscii('null');
        return;
      }
      if (Array.isArray(value)) {
        reserve(1);
        bytes[size++] = 0x5b; // [
        for (let index = 0; index < value.length; index += 1) {
          const item: unknown = value[index];
          if (index > 0) {
            reserve(1);
            bytes[size++] = 0x2c; // ,
          }
          if (item === undefined) writeAscii('null');
          else writeValue(item);
        }
        reserve(1);
        bytes[size++] = 0x5d; // ]
        return;
      }
      const record = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(record));
      reserve(1);
      bytes[size++] = 0x7b; // {
      let first = true;
      for (let index = 0; index < keys.length; index += 1) {
        const key = keys[index] as string;
        const item = record[key];
        if (item === undefined) continue;
        if (!first) {
          reserve(1);
          bytes[size++] = 0x2c; // ,
        }
        first = false;
        writeString(key);
        reserve(1);
        bytes[size++] = 0x3a; // :
        writeValue(item);
      }
      reserve(1);
      bytes[size++] = 0x7d; // }
      return;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

/** Writes text known to be ASCII (numbers, literals). */
function writeAscii(text: string): void {
  reserve(text.length);
  for (let index = 0; index < text.length; index += 1) bytes[size++] = text.charCodeAt(index);
}

/**
 * Writes `quote(text)` as UTF-8. Text that needs no escape (the usual case) is
 * encoded in one pass; text with a quote, backslash, control character or
 * lone surrogate is written as `JSON.stringify` escapes it, as `quote` does.
 */
function writeString(text: string): void {
  // At most three bytes per UTF-16 unit (a surrogate pair is four bytes for two units), plus the quotes.
  reserve(text.length * 3 + 2);
  const out = bytes;
  let at = size;
  out[at++] = 0x22; // "
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      if (code < 0x20 || code === 0x22 || code === 0x5c) {
        writeEscaped(text);
        return;
      }
      out[at++] = code;
    } else if (code < 0x800) {
      out[at++] = 0xc0 | (code >> 6);
      out[at++] = 0x80 | (code & 0x3f);
    } else if (code < 0xd800 || code > 0xdfff) {
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    } else {
      const low = code <= 0xdbff ? text.charCodeAt(index + 1) : Number.NaN;
      if (!(low >= 0xdc00 && low <= 0xdfff)) {
        // A lone surrogate: JSON.stringify writes it as a \uXXXX escape.
        writeEscaped(text);
        return;
      }
      const point = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
      out[at++] = 0xf0 | (point >> 18);
      out[at++] = 0x80 | ((point >> 12) & 0x3f);
      out[at++] = 0x80 | ((point >> 6) & 0x3f);
      out[at++] = 0x80 | (point & 0x3f);
      index += 1;
    }
  }
  out[at++] = 0x22; // "
  size = at;
}

const utf8 = new TextEncoder();

/**
 * Writes `JSON.stringify(text)` as UTF-8, starting again at the opening quote
 * (`size` still points at it). Its output has no lone surrogate left, so the
 * standard encoder writes exactly the bytes the fast loop would; this path
 * (quotes, backslashes, control characters, lone surrogates) is rare.
 */
function writeEscaped(text: string): void {
  const quoted = JSON.stringify(text);
  reserve(quoted.length * 3);
  size += utf8.encodeInto(quoted, bytes.subarray(size)).written;
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
