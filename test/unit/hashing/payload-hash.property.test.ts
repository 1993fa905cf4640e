import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, payloadHash } from '../../../src/core/hashing/canonical-json.js';
import { sha256Hex } from '../../../src/core/hashing/sha256.js';
import { arbitraryJsonValue, referenceCanonicalJson } from '../../support/canonical-json-reference.js';

// payloadHash writes the canonical form as UTF-8 into a reused buffer instead of building the
// string. Payload hashes are stored and compared (idempotency, conflicts), so it must stay
// sha256(canonicalJson(x)) byte for byte: checked against the straightforward reference encoder
// and an independent SHA-256 (createHash), not only against the fast canonicalJson.

const reference = referenceCanonicalJson;
const json = arbitraryJsonValue;

function referenceHash(value: unknown): string {
  return createHash('sha256').update(reference(value), 'utf8').digest('hex');
}

// Every branch of the UTF-8 writer: ASCII, escapes, 2- and 3-byte characters, surrogate pairs,
// lone surrogates (high, low, at the end, before another high), and U+FFFF / U+0800 edges.
const tricky = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '€', '\uffff', '\ud800', '\udbff', '\udc00', '\udfff', '😀', '𝄞'),
  maxLength: 12,
});

describe('payloadHash', () => {
  it('is sha256 of the reference canonical form for random JSON values', () => {
    fc.assert(
      fc.property(json, (value) => {
        const hash = payloadHash(value);
        expect(hash).toBe(referenceHash(value));
        expect(hash).toBe(sha256Hex(canonicalJson(value)));
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes escapes, non-ASCII text, surrogate pairs and lone surrogates as canonicalJson does', () => {
    const key = fc.oneof(tricky, fc.nat({ max: 200 }).map(String));
    const member = fc.oneof(tricky, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(undefined));
    const narrow = fc.dictionary(key, member, { maxKeys: 16 });
    const wide = fc.dictionary(key, member, { minKeys: 17, maxKeys: 40 });
    fc.assert(
      fc.property(fc.oneof(tricky, narrow, wide, fc.array(fc.oneof(tricky, narrow, wide), { maxLength: 4 })), (value) => {
        expect(payloadHash(value)).toBe(referenceHash(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('matches known digests', () => {
    expect(payloadHash({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(payloadHash('')).toBe(createHash('sha256').update('""').digest('hex'));
    // Keys sorted, undefined dropped, -0 as 0, a lone surrogate escaped, an emoji as 4 bytes.
    const value = { é: ['😀', -0, undefined], a: { b: undefined, c: '\ud800x' }, 10: true };
    expect(canonicalJson(value)).toBe('{"10":true,"a":{"c":"\\ud800x"},"é":["😀",0,null]}');
    expect(payloadHash(value)).toBe(createHash('sha256').update('{"10":true,"a":{"c":"\\ud800x"},"é":["😀",0,null]}', 'utf8').digest('hex'));
  });

  it('hashes payloads larger than its buffer, and small ones correctly afterwards', () => {
    const large = { text: 'é'.repeat(300_000), list: Array.from({ length: 20_000 }, (_, index) => ({ index, name: `n${index}` })) };
    expect(payloadHash(large)).toBe(referenceHash(large));
    const small = { a: 'b', n: [1, 2.5, null] };
    expect(payloadHash(small)).toBe(referenceHash(small));
  });

  it('refuses what canonicalJson refuses, and the next payload still hashes correctly', () => {
    for (const bad of [Number.NaN, { a: [1, Infinity] }, { f: () => 1 }, [Symbol('s')], { n: 1n }]) {
      expect(() => payloadHash(bad)).toThrow(TypeError);
      expect(() => canonicalJson(bad)).toThrow(TypeError);
      const next = { after: 'the failure', n: 1 };
      expect(payloadHash(next)).toBe(referenceHash(next));
    }
  });

  it('gives the right hashes when a getter hashes another payload while one is being written', () => {
    const inner = { inner: ['x', 'é'] };
    let innerHash = '';
    const outer = {
      a: 'first',
      get b(): string {
        innerHash = payloadHash(inner);
        return 'second';
      },
      c: 'third',
    };
    expect(payloadHash(outer)).toBe(referenceHash({ a: 'first', b: 'second', c: 'third' }));
    expect(innerHash).toBe(referenceHash(inner));
  });
});
