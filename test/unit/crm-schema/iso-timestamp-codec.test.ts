import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EPOCH_MS, MIN_EPOCH_MS, formatIsoDay, formatIsoTimestamp, parseIsoTimestamp } from '../../../src/core/crm-schema/iso-timestamp-codec.js';

describe('parseIsoTimestamp', () => {
  it.each([
    ['1970-01-01', 0, false],
    ['2026-01-02T03:04:05Z', Date.UTC(2026, 0, 2, 3, 4, 5), true],
    ['2026-01-02T03:04:05.9Z', Date.UTC(2026, 0, 2, 3, 4, 5, 900), true],
    ['2026-01-02T03:04:05,25Z', Date.UTC(2026, 0, 2, 3, 4, 5, 250), true],
    ['2026-01-02T03:04:05.999999999Z', Date.UTC(2026, 0, 2, 3, 4, 5, 999), true],
    ['2026-01-02T03:04:05-02:30', Date.UTC(2026, 0, 2, 5, 34, 5), true],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29), true],
    ['0001-01-01', MIN_EPOCH_MS, false],
    ['9999-12-31T23:59:59.999Z', MAX_EPOCH_MS, true],
    ['0099-06-15', Date.parse('0099-06-15T00:00:00.000Z'), false],
  ])('%s → %d', (text, epochMs, hasTime) => {
    expect(parseIsoTimestamp(text)).toEqual({ ok: true, epochMs, hasTime });
  });

  it('reads years below 100 as themselves, unlike Date.UTC', () => {
    const parsed = parseIsoTimestamp('0099-06-15');
    expect(parsed.ok && new Date(parsed.epochMs).toISOString()).toBe('0099-06-15T00:00:00.000Z');
  });

  it.each([
    ['1900-02-29', 'possible'],
    ['2026-00-10', 'possible'],
    ['2026-01-32', 'possible'],
    ['2026-01-02T03:04:05', 'offset'],
    ['2026-01-02T03:04:05+01:60', 'possible'],
    ['20260102T030405Z', 'ISO'],
    ['2026-1-2', 'ISO'],
    ['0000-12-31', 'possible'],
    ['0001-01-01T00:00:00+00:01', 'outside'],
    ['2026-01-02T03:04:05.Z', 'ISO'],
    ['2026-01-02T03:04:05.1234567890Z', 'ISO'],
    ['2026-01-02T03:04:5Z', 'ISO'],
    ['2026-01-02T3:04:05Z', 'ISO'],
    ['2026-01-02T03:04:05+1', 'ISO'],
    ['2026-01-02T03:04:05+01:0', 'ISO'],
    ['2026-01-02T03:04:05+0100Z', 'ISO'],
    ['2026-01-02T03:04:05ZZ', 'ISO'],
    ['2026-01-02X03:04:05Z', 'ISO'],
    ['2026-01-02T03:04', 'offset'],
    ['2026-01-02T03:04:05 ', 'ISO'],
    ['2026/01/02', 'ISO'],
    ['２０２６-01-02', 'ISO'],
    ['-2026-01-02', 'ISO'],
    ['2026-01-02T03:04:05+24:00', 'possible'],
  ])('refuses %s', (text, problem) => {
    const parsed = parseIsoTimestamp(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('formatIsoTimestamp / formatIsoDay', () => {
  it('agree with Date#toISOString over the whole 0001..9999 range', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_EPOCH_MS, max: MAX_EPOCH_MS }), (epochMs) => {
        const expected = new Date(epochMs).toISOString();
        expect(formatIsoTimestamp(epochMs)).toBe(expected);
        expect(formatIsoDay(epochMs)).toBe(expected.slice(0, 10));
        expect(parseIsoTimestamp(expected)).toEqual({ ok: true, epochMs, hasTime: true });
      }),
      { numRuns: 5000 },
    );
  });

  it.each([MIN_EPOCH_MS, MAX_EPOCH_MS, 0, -1, 951_782_400_000])('formats %d like toISOString', (epochMs) => {
    expect(formatIsoTimestamp(epochMs)).toBe(new Date(epochMs).toISOString());
  });
});
