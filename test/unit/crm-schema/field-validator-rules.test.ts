import { describe, expect, it } from 'vitest';
import type { CrmFieldSchema, FieldType } from '../../../src/core/crm-schema/crm-schema-types.js';
import { validateField } from '../../../src/core/crm-schema/field-validator.js';
import { field } from './schema-fixtures.js';

describe('validateField: unknown and read-only fields', () => {
  it('refuses a field the schema does not have', () => {
    expect(validateField(undefined, 'favourite_colour', 'blue')).toMatchObject({ ok: false, code: 'CRM_FIELD_UNKNOWN', message: expect.stringContaining('favourite_colour') as unknown });
  });

  it('refuses a prototype member found by indexing a plain fields record', () => {
    const fields: Record<string, CrmFieldSchema> = {};
    expect(validateField(fields['constructor'], 'constructor', 'x')).toMatchObject({ ok: false, code: 'CRM_FIELD_UNKNOWN' });
  });

  it.each([['x'], [null], [undefined], ['']])('refuses writing %o to a read-only field, even to clear it', (value) => {
    expect(validateField(field('string', { readOnly: true }), 'createdate', value)).toMatchObject({ ok: false, code: 'CRM_FIELD_READ_ONLY' });
  });
});

describe('validateField: empty values', () => {
  const empties: readonly unknown[] = [null, undefined, '', '   ', '\t\n', []];
  const types: readonly FieldType[] = ['string', 'text', 'number', 'bool', 'date', 'datetime', 'picklist', 'multi_picklist', 'email', 'phone', 'url'];

  it.each(types)('an empty %s value is null when the field is optional', (type) => {
    for (const empty of empties.filter((value) => !Array.isArray(value) || type === 'multi_picklist')) {
      expect(validateField(field(type), 'f', empty)).toEqual({ ok: true, value: null });
    }
  });

  it.each(types)('an empty %s value is CRM_REQUIRED_MISSING when the field is required', (type) => {
    for (const empty of [null, undefined, '', '  ']) {
      expect(validateField(field(type, { required: true }), 'f', empty)).toMatchObject({ ok: false, code: 'CRM_REQUIRED_MISSING' });
    }
  });

  it('an empty list is a type mismatch for a non-list field, not an empty value', () => {
    expect(validateField(field('string'), 'f', [])).toMatchObject({ ok: false, code: 'CRM_TYPE_MISMATCH' });
  });

  it('a multi-picklist of only separators is empty', () => {
    expect(validateField(field('multi_picklist'), 'f', ' ; ;')).toEqual({ ok: true, value: null });
    expect(validateField(field('multi_picklist', { required: true }), 'f', ['', ' '])).toMatchObject({ ok: false, code: 'CRM_REQUIRED_MISSING' });
  });
});

describe('validateField: maxLength', () => {
  const short = field('string', { maxLength: 5 });

  it.each([
    ['abcde', 'abcde'],
    ['😀😀😀😀😀', '😀😀😀😀😀'], // 10 UTF-16 units but 5 code points: fits
  ])('accepts %o within the limit', (input, expected) => {
    expect(validateField(short, 'f', input)).toEqual({ ok: true, value: expected });
  });

  it('refuses a longer value with CRM_VALUE_TOO_LONG', () => {
    expect(validateField(short, 'f', 'abcdef')).toMatchObject({ ok: false, code: 'CRM_VALUE_TOO_LONG', message: expect.stringContaining('5') as unknown });
  });

  it.each([
    ['abcdefgh', 'abcde'],
    ['abcd😀xyz', 'abcd😀'],
    ['😀😀😀😀😀😀', '😀😀😀😀😀'],
    ['abc\u0301defg', 'abc\u0301d'], // a combining mark is its own code point
  ])('with truncate, cuts %o at 5 code points to %o', (input, expected) => {
    expect(validateField(short, 'f', input, { truncate: true })).toEqual({ ok: true, value: expected });
  });

  it('a cut that leaves only blanks is an empty value', () => {
    expect(validateField(field('string', { maxLength: 2 }), 'f', '   x', { truncate: true })).toEqual({ ok: true, value: null });
    expect(validateField(field('string', { maxLength: 0, required: true }), 'f', 'x', { truncate: true })).toMatchObject({ ok: false, code: 'CRM_REQUIRED_MISSING' });
  });

  it('truncation never leaves a lone surrogate', () => {
    const result = validateField(field('text', { maxLength: 4 }), 'f', 'abc😀😀', { truncate: true });
    expect(result).toEqual({ ok: true, value: 'abc😀' });
  });

  it.each([
    ['email', 'ada@example.com'],
    ['url', 'https://example.com/long'],
    ['phone', '+14155550100'],
  ] as const)('never truncates a %s (a cut value would be wrong, not short)', (type, input) => {
    expect(validateField(field(type, { maxLength: 8 }), 'f', input, { truncate: true })).toMatchObject({ ok: false, code: 'CRM_VALUE_TOO_LONG' });
  });

  it('checks the ";"-joined length of a multi-picklist', () => {
    const channels = field('multi_picklist', { maxLength: 9 });
    expect(validateField(channels, 'f', ['email', 'fax'])).toEqual({ ok: true, value: ['email', 'fax'] });
    expect(validateField(channels, 'f', ['email', 'phone'], { truncate: true })).toMatchObject({ ok: false, code: 'CRM_VALUE_TOO_LONG' });
  });

  it('applies to stringified numbers and ignores numbers in number fields', () => {
    expect(validateField(field('string', { maxLength: 3 }), 'f', 12345)).toMatchObject({ ok: false, code: 'CRM_VALUE_TOO_LONG' });
    expect(validateField(field('number', { maxLength: 3 }), 'f', 12345)).toEqual({ ok: true, value: 12345 });
  });
});
