import { describe, expect, it } from 'vitest';
import { compileRowShape, nestRow } from '../../../src/core/mapping/dotted-record.js';

function rowOf(headers: string[], values: string[]): Record<string, unknown> {
  const shape = compileRowShape(headers);
  if (!shape.ok) throw new Error(shape.message);
  return nestRow(shape.paths, values);
}

describe('CSV rows as nested payloads', () => {
  it.each([
    ['flat headers stay flat', ['email', 'first_name'], ['a@x.io', 'Ann'], { email: 'a@x.io', first_name: 'Ann' }],
    ['dotted headers nest', ['traits.email', 'traits.company.name', 'userId'], ['a@x.io', 'Acme', 'u1'], { traits: { email: 'a@x.io', company: { name: 'Acme' } }, userId: 'u1' }],
    ['numbers stay strings', ['traits.employees', 'score'], ['240', '0.5'], { traits: { employees: '240' }, score: '0.5' }],
    ['list indexes make lists', ['emails[0].address', 'emails[1].address'], ['a@x.io', 'b@x.io'], { emails: [{ address: 'a@x.io' }, { address: 'b@x.io' }] }],
    ['a gap in a list is null', ['tags[1]'], ['vip'], { tags: [null, 'vip'] }],
    ['empty cells are kept as empty strings', ['email', 'phone'], ['a@x.io', ''], { email: 'a@x.io', phone: '' }],
    ['headers are trimmed', [' email '], ['a@x.io'], { email: 'a@x.io' }],
  ])('%s', (_name, headers, values, expected) => {
    expect(rowOf(headers, values)).toEqual(expected);
  });

  it('keeps __proto__ an ordinary key', () => {
    const row = rowOf(['__proto__.polluted', 'email'], ['yes', 'a@x.io']);
    expect(Object.keys(row)).toEqual(['__proto__', 'email']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['an empty header', ['email', ''], /column 2 has an empty header/],
    ['a repeated header', ['email', 'email'], /appears twice/],
    ['a value that is also a parent, either order', ['traits', 'traits.email'], /already holds a value/],
    ['a parent that is also a value', ['traits.email', 'traits'], /both a value and the parent/],
    ['a list and an object under one column', ['a[0]', 'a.b'], /mixes list indexes and object keys/],
    ['an invalid path', ['a..b'], /not a payload path/],
    ['a header starting with an index', ['[0]'], /must start with a key/],
  ])('refuses %s', (_name, headers, message) => {
    const shape = compileRowShape(headers);
    expect(shape.ok).toBe(false);
    if (!shape.ok) expect(shape.message).toMatch(message);
  });
});
