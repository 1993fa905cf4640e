import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD_TYPES, type CrmFieldSchema } from '../../../src/core/crm-schema/crm-schema-types.js';
import { validateField } from '../../../src/core/crm-schema/field-validator.js';
import { ERROR_CODES } from '../../../src/core/errors/error-codes.js';
import { SEGMENT_OPTIONS, channelsField, field, segmentField } from './schema-fixtures.js';

const MIN_DATE = new Date('0001-01-01T00:00:00.000Z');
const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');
const dateArb = fc.date({ min: MIN_DATE, max: MAX_DATE, noInvalidDate: true });
const offsetArb = fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 45)).map(
  ([sign, hours, minutes]) => `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`,
);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const activeOption = fc.constantFrom(...SEGMENT_OPTIONS.filter((option) => option.active));

/** Inputs that look like each type, plus anything at all, so both paths are exercised. */
const inputArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom('true', 'No', '1', '0', 'yes', ' 12.5 ', '1,200', '-0'),
  dateArb,
  dateArb.map((date) => date.toISOString()),
  dateArb.map((date) => date.toISOString().slice(0, 10)),
  fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
  fc.emailAddress(),
  fc.webUrl(),
  fc.domain(),
  fc.stringMatching(/^\+[1-9][0-9 ]{7,16}$/),
  activeOption.map((option) => option.label.toUpperCase()),
  fc.array(fc.constantFrom('email', 'Phone', 'EVENTS', 'fax', 'nope', '')),
);

const fieldArb: fc.Arbitrary<CrmFieldSchema> = fc.oneof(
  fc.constantFrom(...FIELD_TYPES).chain((type) =>
    fc.record({ maxLength: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), required: fc.boolean() }).map(({ maxLength, required }) =>
      field(type, maxLength === undefined ? { required } : { required, maxLength }),
    ),
  ),
  fc.constant(segmentField),
  fc.constant(channelsField),
);

describe('validateField properties', () => {
  it('is idempotent: an accepted value validates to itself', () => {
    fc.assert(
      fc.property(fieldArb, inputArb, fc.boolean(), (schema, input, truncate) => {
        const first = validateField(schema, 'f', input, { truncate });
        if (!first.ok) return;
        expect(validateField(schema, 'f', first.value, { truncate })).toEqual(first);
      }),
      { numRuns: 3000 },
    );
  });

  it('every rejection carries a registered error code and a message', () => {
    fc.assert(
      fc.property(fc.option(fieldArb, { nil: undefined }), inputArb, (schema, input) => {
        const result = validateField(schema, 'f', input);
        if (result.ok) return;
        expect(Object.hasOwn(ERROR_CODES, result.code)).toBe(true);
        expect(result.code.startsWith('CRM_')).toBe(true);
        expect(result.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('suggestions are at most 3 distinct active values and are deterministic', () => {
    const active = new Set(SEGMENT_OPTIONS.filter((option) => option.active).map((option) => option.value));
    fc.assert(
      fc.property(fc.oneof(fc.string(), activeOption.map((option) => `${option.label}x`)), (input) => {
        const result = validateField(segmentField, 'segment', input);
        if (result.ok) return;
        const suggestions = result.suggestions ?? [];
        expect(suggestions.length).toBeLessThanOrEqual(3);
        expect(new Set(suggestions).size).toBe(suggestions.length);
        for (const value of suggestions) expect(active.has(value)).toBe(true);
        expect(validateField(segmentField, 'segment', input)).toEqual(result);
      }),
    );
  });

  it('finds an active option however its value or label is cased, accented or separated', () => {
    const separator = fc.constantFrom(' ', '_', '-', '  ', ' - ');
    fc.assert(
      fc.property(activeOption, fc.boolean(), fc.boolean(), separator, (option, useLabel, upper, sep) => {
        const text = (useLabel ? option.label : option.value).split(/[\s_-]+/).join(sep);
        expect(validateField(segmentField, 'segment', upper ? text.toUpperCase() : text.toLowerCase())).toEqual({ ok: true, value: option.value });
      }),
    );
  });

  it('truncation keeps a prefix of at most maxLength code points and never splits a pair', () => {
    const textArb = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '𝄞', ' ', '中') });
    fc.assert(
      fc.property(textArb, fc.integer({ min: 0, max: 30 }), (text, maxLength) => {
        const result = validateField(field('text', { maxLength }), 'f', text, { truncate: true });
        if (!result.ok || result.value === null) return;
        const value = result.value as string;
        expect(text.startsWith(value)).toBe(true);
        expect([...value].length).toBeLessThanOrEqual(maxLength);
        expect(LONE_SURROGATE.test(value)).toBe(false);
      }),
    );
  });

  it('a datetime with any offset is the same instant in UTC', () => {
    fc.assert(
      fc.property(dateArb, offsetArb, (date, offset) => {
        const sign = offset.startsWith('-') ? -1 : 1;
        const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
        const local = new Date(date.getTime() + minutes * 60_000).toISOString().slice(0, 23);
        const result = validateField(field('datetime'), 'f', `${local}${offset}`);
        if (result.ok) expect(result.value).toBe(date.toISOString());
        else expect(result.code).toBe('CRM_TYPE_MISMATCH'); // shifted outside 0001..9999
      }),
    );
  });
});
