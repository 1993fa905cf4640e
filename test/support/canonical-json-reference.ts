import fc from 'fast-check';

/**
 * The straightforward definition of the canonical form, kept as the reference the fast encoders
 * (canonicalJson, and payloadHash's buffer writer) must match byte for byte: hashes depend on it.
 */
export function referenceCanonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : JSON.stringify(value);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : referenceCanonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${referenceCanonicalJson(record[key])}`).join(',')}}`;
}

/** Random JSON-like values, with `undefined` members and items, and every kind of UTF-16 string. */
export const arbitraryJsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    fc.array(fc.oneof(tie('value'), fc.constant(undefined))),
    fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(tie('value'), fc.constant(undefined))),
  ),
})).value;
