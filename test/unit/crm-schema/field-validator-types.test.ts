import { describe, expect, it } from 'vitest';
import type { FieldType } from '../../../src/core/crm-schema/crm-schema-types.js';
import { validateField } from '../../../src/core/crm-schema/field-validator.js';
import { field } from './schema-fixtures.js';

type Row = readonly [type: FieldType, input: unknown, expected: unknown];

// Accepted values and the canonical form each is coerced to.
const accepted: readonly Row[] = [
  ['string', 'Ada Lovelace', 'Ada Lovelace'],
  ['string', '  padded  ', '  padded  '],
  ['string', 42, '42'],
  ['string', -0, '0'],
  ['string', 12.5, '12.5'],
  ['string', true, 'true'],
  ['string', false, 'false'],
  ['string', 10n, '10'],
  ['text', 'line one\nline two', 'line one\nline two'],
  ['text', 7, '7'],
  ['number', 42, 42],
  ['number', -0, 0],
  ['number', '12.5', 12.5],
  ['number', ' -3 ', -3],
  ['number', '+4', 4],
  ['number', '.5', 0.5],
  ['number', '1e3', 1000],
  ['number', 5n, 5],
  ['bool', true, true],
  ['bool', false, false],
  ['bool', 'TRUE', true],
  ['bool', 'False', false],
  ['bool', 'yes', true],
  ['bool', ' No ', false],
  ['bool', '1', true],
  ['bool', '0', false],
  ['bool', 1, true],
  ['bool', 0, false],
  ['date', '2026-01-02', '2026-01-02'],
  ['date', '2024-02-29', '2024-02-29'],
  ['date', '2026-01-02T23:30:00-05:00', '2026-01-03'],
  ['date', '2026-01-02T00:30:00+01:00', '2026-01-01'],
  ['date', 1_767_225_600_000, '2026-01-01'],
  ['date', new Date(Date.UTC(2026, 0, 2, 12)), '2026-01-02'],
  ['datetime', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
  ['datetime', '2026-01-02T03:04:05.123456Z', '2026-01-02T03:04:05.123Z'],
  ['datetime', '2026-01-02T04:04:05+01:00', '2026-01-02T03:04:05.000Z'],
  ['datetime', '2026-01-02T04:04:05+0100', '2026-01-02T03:04:05.000Z'],
  ['datetime', '2026-01-02T04:04+01', '2026-01-02T03:04:00.000Z'],
  ['datetime', '2026-01-02 03:04:05z', '2026-01-02T03:04:05.000Z'],
  ['datetime', '2026-01-02', '2026-01-02T00:00:00.000Z'],
  ['datetime', 0, '1970-01-01T00:00:00.000Z'],
  ['datetime', 1_767_323_045_000, '2026-01-02T03:04:05.000Z'],
  ['datetime', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ['email', 'Ada.Lovelace+crm@Example.COM', 'ada.lovelace+crm@example.com'],
  ['email', ' ada@sub.example.co.uk ', 'ada@sub.example.co.uk'],
  ['email', 'o\'brien@xn--bcher-kva.de', 'o\'brien@xn--bcher-kva.de'],
  ['url', 'https://acme.com', 'https://acme.com'],
  ['url', 'HTTP://Acme.COM/Pricing?Plan=Pro#Top', 'http://acme.com/Pricing?Plan=Pro#Top'],
  ['url', 'acme.com', 'https://acme.com'],
  ['url', 'www.acme.co.uk/pricing', 'https://www.acme.co.uk/pricing'],
  ['url', 'acme.com:8443/x', 'https://acme.com:8443/x'],
  ['url', ' https://acme.com/ ', 'https://acme.com/'],
  ['phone', '+14155550100', '+14155550100'],
  ['phone', '+1 (415) 555-0100', '+14155550100'],
  ['phone', '+49.30.1234567', '+49301234567'],
  ['phone', '+12345678', '+12345678'],
  ['phone', '+123456789012345', '+123456789012345'],
];

describe('validateField coerces each type to the CRM canonical form', () => {
  it.each(accepted)('%s accepts %o as %o', (type, input, expected) => {
    expect(validateField(field(type), 'f', input)).toEqual({ ok: true, value: expected });
  });
});

// Values of the wrong shape: every one is CRM_TYPE_MISMATCH.
const mismatched: readonly (readonly [type: FieldType, input: unknown])[] = [
  ['string', ['a']],
  ['string', { a: 1 }],
  ['string', Number.NaN],
  ['string', Number.POSITIVE_INFINITY],
  ['text', Symbol('x')],
  ['number', '1,200'],
  ['number', '12,5'],
  ['number', '0x10'],
  ['number', 'Infinity'],
  ['number', '1e400'],
  ['number', '12 apples'],
  ['number', true],
  ['number', Number.NaN],
  ['number', 2n ** 64n],
  ['bool', 'y'],
  ['bool', 'on'],
  ['bool', 2],
  ['bool', ['true']],
  ['date', '2026-02-30'],
  ['date', '2025-02-29'],
  ['date', '2026-13-01'],
  ['date', '2026-01-02T03:04:05'],
  ['date', '02/01/2026'],
  ['date', '0000-01-01'],
  ['date', 1.5],
  ['date', new Date(Number.NaN)],
  ['date', true],
  ['datetime', '2026-01-02T24:00:00Z'],
  ['datetime', '2026-01-02T23:60:00Z'],
  ['datetime', '2026-01-02T23:59:60Z'],
  ['datetime', '2026-01-02T03:04:05'],
  ['datetime', '2026-01-02T03:04:05+24:00'],
  ['datetime', '2026-04-31T00:00:00Z'],
  ['datetime', 'next tuesday'],
  ['datetime', '9999-12-31T23:00:00-05:00'],
  ['datetime', 8.64e15],
  ['email', 'ada'],
  ['email', 'ada@'],
  ['email', '@example.com'],
  ['email', 'ada@example'],
  ['email', 'ada@example.123'],
  ['email', 'ada..l@example.com'],
  ['email', '.ada@example.com'],
  ['email', 'ada @example.com'],
  ['email', '"ada"@example.com'],
  ['email', 'ada@-example.com'],
  ['email', 'adá@example.com'],
  ['email', `${'a'.repeat(65)}@example.com`],
  ['email', 42],
  ['url', 'ftp://acme.com'],
  ['url', 'mailto:ada@acme.com'],
  ['url', 'javascript:alert(1)'],
  ['url', 'localhost:3000'],
  ['url', 'http://localhost'],
  ['url', 'https://user:secret@acme.com'],
  ['url', 'https://acme .com'],
  ['url', 'https://acme.com\\evil'],
  ['url', 'https:///acme.com'],
  ['url', '//acme.com'],
  ['url', 'acme'],
  ['url', 42],
  ['phone', '4155550100'],
  ['phone', '0044 20 7946 0958'],
  ['phone', '+0441234567'],
  ['phone', '+1234567'],
  ['phone', '+1234567890123456'],
  ['phone', '+1 415 555 0100 ext. 2'],
  ['phone', 14155550100],
];

describe('validateField refuses values that do not fit the type', () => {
  it.each(mismatched)('%s refuses %o', (type, input) => {
    const result = validateField(field(type), 'f', input);
    expect(result).toMatchObject({ ok: false, code: 'CRM_TYPE_MISMATCH' });
  });

  it('says why a number with a separator is refused', () => {
    expect(validateField(field('number'), 'employees', '1,200')).toMatchObject({ ok: false, message: expect.stringContaining('ambiguous') as unknown });
  });

  it('names the field but not the value in messages (values may be PII)', () => {
    const result = validateField(field('email'), 'work_email', 'ada@nowhere');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain('"work_email"');
      expect(result.message).not.toContain('ada@nowhere');
    }
  });
});
