import fc from 'fast-check';
import { parsePhoneNumberFromString as parseWithMaxMetadata } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString as parseWithMinMetadata } from 'libphonenumber-js/min';
import { describe, expect, it } from 'vitest';
import { createCountryNormalizer } from '../../../src/core/normalize/country-normalizer.js';
import type { NormalizeContext } from '../../../src/core/normalize/normalizer-types.js';
import { createPhoneNormalizer } from '../../../src/core/normalize/phone-normalizer.js';

const phone = createPhoneNormalizer(createCountryNormalizer());

function e164Of(value: string, context?: NormalizeContext): string | undefined {
  const result = phone(value, context);
  return result.ok ? result.value.e164 : undefined;
}

describe('phone: E.164', () => {
  it.each<[string, string | undefined, string]>([
    // international form, any punctuation; the context country does not matter
    ['+1 (212) 555-0147', undefined, '+12125550147'],
    ['+1-212-555-0147', 'DE', '+12125550147'],
    ['+44 161 496 0000', undefined, '+441614960000'],
    ['+44 (0)161 496 0000', undefined, '+441614960000'],
    ['+49 89 12345678', undefined, '+498912345678'],
    ['+33 1 70 36 39 50', undefined, '+33170363950'],
    ['+81 3-3224-9999', undefined, '+81332249999'],
    ['+61 3 9000 1234', undefined, '+61390001234'],
    ['+91 22 2778 2345', undefined, '+912227782345'],
    ['+55 21 98765-4321', undefined, '+5521987654321'],
    ['tel:+1-212-555-0147', undefined, '+12125550147'],
    ['+1 212 555 0147 ext. 42', undefined, '+12125550147'],
    ['+1 212 555 0147 x42', undefined, '+12125550147'],
    // national form with a country: ISO2 in any case, or any country string
    ['(212) 555-0147', 'US', '+12125550147'],
    ['212.555.0147', 'us', '+12125550147'],
    ['212 555 0147', 'United States', '+12125550147'],
    ['0161 496 0000', 'GB', '+441614960000'],
    ['0161 496 0000', 'UK', '+441614960000'],
    ['0161 496 0000', 'England', '+441614960000'],
    ['089 12345678', 'Deutschland', '+498912345678'],
    ['01 70 36 39 50', 'France', '+33170363950'],
    ['03-3224-9999', 'JP', '+81332249999'],
    // the country's own international prefix
    ['0044 161 496 0000', 'DE', '+441614960000'],
    ['011 44 161 496 0000', 'US', '+441614960000'],
    // no country: a leading 00 is the international prefix
    ['0049 89 12345678', undefined, '+498912345678'],
  ])('%s (%s) -> %s', (value, country, expected) => {
    expect(e164Of(value, country === undefined ? {} : { country })).toBe(expected);
  });
});

describe('phone: errors', () => {
  it.each<[string, string | undefined]>([
    ['+1 212 555', undefined],
    ['+1 212 555 01478', undefined],
    ['+44 12', undefined],
    ['+999 123 4567', undefined],
    ['+', undefined],
    ['12345', 'US'],
    ['0161 4', 'GB'],
    ['call me', undefined],
    ['n/a', 'US'],
    ['1-800-FLOWERS', 'US'],
  ])('%s (%s) is not a possible number', (value, country) => {
    const result = phone(value, country === undefined ? {} : { country });
    expect(!result.ok && result.code).toBe('NORMALIZE_PHONE_INVALID');
    expect(!result.ok && result.message).toContain(value);
  });

  it.each(['(212) 555-0147', '0161 496 0000', '212.555.0147'])('%s needs a country', (value) => {
    const result = phone(value, {});
    expect(!result.ok && result.code).toBe('NORMALIZE_PHONE_COUNTRY_REQUIRED');
    expect(phone(value, { country: '  ' })).toEqual(result);
  });

  it('reports a context country it cannot read, only when the number needs it', () => {
    const result = phone('0161 496 0000', { country: 'Atlantis' });
    expect(!result.ok && result.code).toBe('NORMALIZE_COUNTRY_UNKNOWN');
    expect(e164Of('+44 161 496 0000', { country: 'Atlantis' })).toBe('+441614960000');
  });

  it('reports a country without a numbering plan', () => {
    const result = phone('12345678', { country: 'Antarctica' });
    expect(!result.ok && result.code).toBe('NORMALIZE_PHONE_INVALID');
    expect(!result.ok && result.message).toContain('AQ');
  });

  it.each(['', '   '])('%j is empty', (value) => {
    const result = phone(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('phone: properties', () => {
  // National significant numbers of plausible lengths for a few plans, written in several styles.
  const numbers = fc.record({
    plan: fc.constantFrom(
      { cc: '1', country: 'US', digits: fc.tuple(fc.integer({ min: 201, max: 989 }), fc.integer({ min: 200, max: 989 }), fc.integer({ min: 0, max: 9999 })).map(([a, b, c]) => `${a}${b}${String(c).padStart(4, '0')}`) },
      { cc: '44', country: 'GB', digits: fc.integer({ min: 1000000000, max: 7999999999 }).map(String) },
      { cc: '49', country: 'DE', digits: fc.integer({ min: 3000000000, max: 8999999999 }).map(String) },
      { cc: '33', country: 'FR', digits: fc.integer({ min: 100000000, max: 799999999 }).map(String) },
    ),
    style: fc.constantFrom('plain', 'spaced', 'dashed'),
  }).chain(({ plan, style }) =>
    plan.digits.map((digits) => {
      const body = style === 'plain' ? digits : digits.replace(/(\d{3})(?=\d)/g, style === 'spaced' ? '$1 ' : '$1-');
      return { value: `+${plan.cc} ${body}`, country: plan.country, digits, cc: plan.cc };
    }),
  );

  it('is idempotent: the E.164 output reads back to itself, with or without a country', () => {
    fc.assert(
      fc.property(numbers, ({ value, country }) => {
        const first = phone(value);
        if (!first.ok) return;
        expect(first.value.e164).toMatch(/^\+[1-9]\d{6,14}$/);
        expect(phone(first.value.e164)).toEqual(first);
        expect(phone(first.value.e164, { country: 'JP' })).toEqual(first);
        expect(phone(value, { country })).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('min metadata judges "possible" exactly as max metadata does (why phone uses min)', () => {
    const callingCodes = ['1', '7', '20', '27', '31', '33', '34', '39', '44', '49', '52', '55', '61', '81', '86', '91', '234', '352', '380', '971'];
    fc.assert(
      fc.property(fc.constantFrom(...callingCodes), fc.stringMatching(/^[1-9]\d{3,13}$/), (cc, digits) => {
        const value = `+${cc}${digits}`;
        expect(parseWithMinMetadata(value)?.isPossible()).toBe(parseWithMaxMetadata(value)?.isPossible());
      }),
      { numRuns: 2000 },
    );
  });

  it('North American numbers taken without libphonenumber get exactly its answer', () => {
    const nanpCountries = ['US', 'CA', 'PR', 'JM', 'BS', 'GU', 'TT', 'DO'] as const;
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{10}$/),
        fc.constantFrom('plain', 'dashed', 'dotted', 'parens'),
        fc.constantFrom(...nanpCountries),
        fc.boolean(),
        (digits, style, country, withPlusOne) => {
          const written =
            style === 'plain' ? digits : style === 'dashed' ? `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}` : style === 'dotted' ? `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6)}` : `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
          const value = withPlusOne ? `+1 ${written}` : written;
          const expected = withPlusOne ? parseWithMinMetadata(value) : parseWithMinMetadata(value, country);
          const result = phone(value, { country });
          if (expected?.isPossible()) expect(result).toEqual({ ok: true, value: { e164: expected.number } });
          else expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives the same answer from memory as from a fresh parse', () => {
    fc.assert(
      fc.property(numbers, ({ value }) => {
        const fresh = createPhoneNormalizer(createCountryNormalizer());
        const once = fresh(value);
        expect(fresh(value)).toEqual(once);
        expect(phone(value)).toEqual(once);
      }),
      { numRuns: 50 },
    );
  });
});
