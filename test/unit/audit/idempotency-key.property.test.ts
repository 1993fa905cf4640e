import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../../src/core/hashing/idempotency-key.js';

describe('idempotencyKey', () => {
  it('is each part length-prefixed, joined by "|"', () => {
    expect(idempotencyKey('webform', 'ada@example.com', '2026-11-27T10:00:00.000Z')).toBe('7:webform|15:ada@example.com|24:2026-11-27T10:00:00.000Z');
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (source, leadId, at) => {
        expect(idempotencyKey(source, leadId, at)).toBe([source, leadId, at].map((part) => `${part.length}:${part}`).join('|'));
      }),
    );
  });

  it('tells different triples apart, however the parts split', () => {
    fc.assert(
      fc.property(fc.tuple(fc.string(), fc.string(), fc.string()), fc.tuple(fc.string(), fc.string(), fc.string()), (a, b) => {
        fc.pre(a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]);
        expect(idempotencyKey(...a)).not.toBe(idempotencyKey(...b));
      }),
    );
    expect(idempotencyKey('a:b', 'c', 'd')).not.toBe(idempotencyKey('a', 'b:c', 'd'));
  });
});
