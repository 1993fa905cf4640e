import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeadsyncError } from '../../../src/core/errors/error-codes.js';
import { createIntentNormalizer } from '../../../src/core/normalize/intent-normalizer.js';
import { INTENT_LEVELS, type IntentLevel, type IntentValue } from '../../../src/core/normalize/normalizer-types.js';

const intent = createIntentNormalizer();

function valueOf(value: string | number): IntentValue | undefined {
  const result = intent(value);
  return result.ok ? result.value : undefined;
}

describe('intent: numbers', () => {
  it.each<[string | number, number, IntentLevel]>([
    // [0, 1] is a fraction, 1 included
    ['0', 0, 'low'],
    ['0.0', 0, 'low'],
    ['0.07', 7, 'low'],
    ['.63', 63, 'medium'],
    ['0.395', 40, 'medium'],
    ['0.285', 29, 'low'],
    ['0.699', 70, 'high'],
    ['0.999', 100, 'high'],
    ['1', 100, 'high'],
    ['1.0', 100, 'high'],
    ['+0.5', 50, 'medium'],
    // (1, 100] is a score, rounded half up
    ['1.2', 1, 'low'],
    ['1.5', 2, 'low'],
    ['2', 2, 'low'],
    ['39.49', 39, 'low'],
    ['39.5', 40, 'medium'],
    ['40', 40, 'medium'],
    ['69.4', 69, 'medium'],
    ['69.5', 70, 'high'],
    ['070', 70, 'high'],
    ['99.5', 100, 'high'],
    ['100', 100, 'high'],
    ['100.0', 100, 'high'],
    [' 55 ', 55, 'medium'],
    // percentages are scores 0..100
    ['0%', 0, 'low'],
    ['0.5%', 1, 'low'],
    ['1%', 1, 'low'],
    ['64%', 64, 'medium'],
    ['64.5 %', 65, 'medium'],
    ['100%', 100, 'high'],
    // JSON numbers
    [0.31, 31, 'low'],
    [1, 100, 'high'],
    [88, 88, 'high'],
    [1e-7, 0, 'low'],
  ])('%j -> %d (%s)', (value, score, level) => {
    expect(intent(value)).toEqual({ ok: true, value: { score, level } });
  });
});

describe('intent: words', () => {
  it.each<[string, IntentLevel]>([
    ['hot', 'high'],
    ['HIGH', 'high'],
    [' Strong ', 'high'],
    ['warm', 'medium'],
    ['Medium', 'medium'],
    ['moderate', 'medium'],
    ['cold', 'low'],
    ['Low', 'low'],
    ['weak', 'low'],
  ])('%j -> %s with no score', (value, level) => {
    expect(intent(value)).toEqual({ ok: true, value: { score: null, level } });
  });
});

describe('intent: errors', () => {
  it.each<string | number>(['-0.1', '-5', '100.01', '101', '250', '101%', '-3%', '1e2', '0,5', '1/2', '50 percent', 'very hot', 'lukewarm', 'n/a', '%', '.', '5..', 'NaN', 'Infinity', -1, 100.5, Number.NaN, Number.POSITIVE_INFINITY])(
    '%j is invalid',
    (value) => {
      const result = intent(value);
      expect(!result.ok && result.code).toBe('NORMALIZE_INTENT_INVALID');
      expect(!result.ok && result.message).toContain(String(value));
    },
  );

  it.each(['', '  '])('%j is empty', (value) => {
    const result = intent(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('intent: config overrides', () => {
  it('moves the thresholds', () => {
    const custom = createIntentNormalizer({ thresholds: { medium: 25, high: 50 } });
    expect(valueOf('24')).toEqual({ score: 24, level: 'low' });
    expect(custom('25')).toEqual({ ok: true, value: { score: 25, level: 'medium' } });
    expect(custom('0.5')).toEqual({ ok: true, value: { score: 50, level: 'high' } });
    expect(createIntentNormalizer({ thresholds: { high: 90 } })('89')).toEqual({ ok: true, value: { score: 89, level: 'medium' } });
  });

  it('adds and replaces words', () => {
    const custom = createIntentNormalizer({ words: { 'On Fire': 'high', Cold: 'medium', tepid: 'low' } });
    expect(custom('on fire')).toEqual({ ok: true, value: { score: null, level: 'high' } });
    expect(custom('COLD')).toEqual({ ok: true, value: { score: null, level: 'medium' } });
    expect(custom('Tepid')).toEqual({ ok: true, value: { score: null, level: 'low' } });
    expect(custom('hot')).toEqual({ ok: true, value: { score: null, level: 'high' } });
    expect(valueOf('tepid')).toBeUndefined();
  });

  it('refuses thresholds out of order or range, and unknown levels', () => {
    expect(() => createIntentNormalizer({ thresholds: { medium: 80, high: 60 } })).toThrow(LeadsyncError);
    expect(() => createIntentNormalizer({ thresholds: { medium: -1 } })).toThrow(/medium/);
    expect(() => createIntentNormalizer({ thresholds: { high: 101 } })).toThrow(/high/);
    expect(() => createIntentNormalizer({ words: { boiling: 'extreme' as IntentLevel } })).toThrow(/extreme/);
  });
});

describe('intent: properties', () => {
  const rank = (level: IntentLevel): number => INTENT_LEVELS.indexOf(level);
  const thresholds = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })).map(([a, b]) => ({ medium: Math.min(a, b), high: Math.max(a, b) }));

  it('levels are monotonic in the score, for any thresholds', () => {
    fc.assert(
      fc.property(thresholds, fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (limits, a, b) => {
        const custom = createIntentNormalizer({ thresholds: limits });
        const [low, high] = a <= b ? [a, b] : [b, a];
        const first = custom(low.toFixed(3));
        const second = custom(high.toFixed(3));
        if (!first.ok || !second.ok) throw new Error('scores in range must be read');
        expect(rank(first.value.level)).toBeLessThanOrEqual(rank(second.value.level));
      }),
    );
  });

  it('the level follows the thresholds exactly', () => {
    fc.assert(
      fc.property(thresholds, fc.integer({ min: 2, max: 100 }), (limits, score) => {
        const result = createIntentNormalizer({ thresholds: limits })(String(score));
        const expected: IntentLevel = score < limits.medium ? 'low' : score < limits.high ? 'medium' : 'high';
        expect(result).toEqual({ ok: true, value: { score, level: expected } });
      }),
    );
  });

  it('a fraction, its percentage and its score agree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (score) => {
        const fromFraction = intent((score / 100).toFixed(2));
        expect(fromFraction).toEqual(intent(`${score}%`));
        if (score > 1) expect(fromFraction).toEqual(intent(String(score)));
      }),
    );
  });

  it('scores are integers in 0..100 and normalizing the score again is stable', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -10, max: 200, noNaN: true }).map((n) => n.toFixed(4)), fc.integer({ min: -10, max: 200 }).map(String), fc.string()), (value) => {
        const result = intent(value);
        if (!result.ok || result.value.score === null) return;
        expect(Number.isInteger(result.value.score)).toBe(true);
        expect(result.value.score).toBeGreaterThanOrEqual(0);
        expect(result.value.score).toBeLessThanOrEqual(100);
        if (result.value.score > 1) expect(intent(String(result.value.score))).toEqual(result);
      }),
    );
  });
});
