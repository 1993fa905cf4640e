import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/hashing/canonical-json.js';
import { arbitraryJsonValue, referenceCanonicalJson } from '../../support/canonical-json-reference.js';

const reference = referenceCanonicalJson;
const json = arbitraryJsonValue;

describe('canonicalJson', () => {
  it('matches the reference encoding, ignores key order, and is a fixed point of parse', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(reference(value));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          expect(canonicalJson(reversed)).toBe(text);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('matches the reference on escapes, lone surrogates, index-like keys and wide objects', () => {
    // Characters that take the escaping path, mixed with plain ones; keys of objects wider than the insertion-sort limit.
    const tricky = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\ud800', '\udfff', '\u2028', 'é', '😀'), maxLength: 8 });
    const key = fc.oneof(tricky, fc.nat({ max: 200 }).map(String));
    const member = fc.oneof(tricky, fc.integer(), fc.constant(undefined));
    const narrow = fc.dictionary(key, member, { maxKeys: 16 });
    const wide = fc.dictionary(key, member, { minKeys: 17, maxKeys: 40 });
    fc.assert(
      fc.property(fc.oneof(tricky, narrow, wide, fc.array(fc.oneof(narrow, wide), { maxLength: 3 })), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
    expect(canonicalJson({ 10: 'a', 2: 'b', b: '\ud83d', a: '"\\\n' })).toBe('{"10":"a","2":"b","a":"\\"\\\\\\n","b":"\\ud83d"}');
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ a: [Infinity] })).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
    expect(canonicalJson({ b: undefined, a: -0 })).toBe('{"a":0}');
  });
});
