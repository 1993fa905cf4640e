import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSourceTimestamp } from '../../../src/core/mapping/source-timestamp.js';

describe('parseSourceTimestamp', () => {
  it.each([
    ['2026-11-27T10:15:30Z', '2026-11-27T10:15:30.000Z'],
    ['2026-11-27T10:15:30.1234Z', '2026-11-27T10:15:30.123Z'],
    ['2026-11-27T10:15:30+02:00', '2026-11-27T08:15:30.000Z'],
    ['2026-11-27T10:15:30-0530', '2026-11-27T15:45:30.000Z'],
    ['2026-11-27 10:15', '2026-11-27T10:15:00.000Z'],
    ['2026-11-27T10:15:30', '2026-11-27T10:15:30.000Z'],
    ['2026-11-27', '2026-11-27T00:00:00.000Z'],
    ['  2026-11-27t10:15:30z ', '2026-11-27T10:15:30.000Z'],
    [1_764_238_530, '2025-11-27T10:15:30.000Z'],
    [1_764_238_530_123, '2025-11-27T10:15:30.123Z'],
    ['1764238530', '2025-11-27T10:15:30.000Z'],
    ['1764238530.5', '2025-11-27T10:15:30.500Z'],
  ])('reads %j as %s', (input, expected) => {
    expect(parseSourceTimestamp(input)).toBe(expected);
  });

  it.each([['2026-02-30T10:00:00Z'], ['2026-11-27T24:00:00Z'], ['27/11/2026'], ['yesterday'], [''], [-5], [Number.NaN], [null], [{}], [true], [1e20]])(
    'refuses %j',
    (input) => {
      expect(parseSourceTimestamp(input)).toBeNull();
    },
  );

  it('agrees with Date for every instant written with an offset or as epoch milliseconds after 1973', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1974-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        expect(parseSourceTimestamp(date.toISOString())).toBe(date.toISOString());
        expect(parseSourceTimestamp(date.getTime())).toBe(date.toISOString());
      }),
    );
  });
});
