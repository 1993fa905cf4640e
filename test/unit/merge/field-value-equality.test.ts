import { describe, expect, it } from 'vitest';
import type { FieldValue } from '../../../src/core/crm-schema/crm-schema-types.js';
import { fieldValuesEqual, isEmptyFieldValue } from '../../../src/core/merge/field-value-equality.js';

describe('fieldValuesEqual', () => {
  it.each<[FieldValue | undefined, FieldValue | undefined, boolean]>([
    [null, null, true],
    [null, undefined, true],
    ['', null, true],
    [[], '', true],
    ['a', 'a', true],
    ['a', 'A', false],
    [1, 1, true],
    [0, -0, true],
    [1, '1', false],
    [true, 'true', false],
    [false, null, false],
    [0, null, false],
    [['a', 'b'], ['b', 'a'], true],
    [['a', 'b', 'a'], ['b', 'a'], true],
    [['a', 'b'], ['a'], false],
    [['a'], 'a', false],
    ['a', ['a'], false],
  ])('%o vs %o → %s', (a, b, expected) => {
    expect(fieldValuesEqual(a, b)).toBe(expected);
    expect(fieldValuesEqual(b, a)).toBe(expected);
  });
});

describe('isEmptyFieldValue', () => {
  it.each<[FieldValue | undefined, boolean]>([
    [null, true],
    [undefined, true],
    ['', true],
    [[], true],
    [' ', false],
    [0, false],
    [false, false],
    [['a'], false],
  ])('%o → %s', (value, expected) => {
    expect(isEmptyFieldValue(value)).toBe(expected);
  });
});
