import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskPii } from '../../../src/core/redaction/pii-masker.js';

describe('maskPii', () => {
  it.each([
    ['ada.lovelace@acme-analytics.co.uk', 'a***@acme-analytics.co.uk'],
    ['contacts:ada@example.com', 'contacts:a***@example.com'],
    ['to: "x+tag@sub.example.io".', 'to: "x***@sub.example.io".'],
    ['call +49 30 1234567 now', 'call [phone] now'],
    ['(415) 555-0100', '[phone]'],
    ['415.555.0100', '[phone]'],
    ['+14155550100', '[phone]'],
    ['030/1234567', '[phone]'],
    ['07700 900123.', '[phone].'],
    ['a@b.c no tld', 'a@b.c no tld'],
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01 12:00:00', '2026-01-01 12:00:00'],
    ['123e4567-e89b-12d3-a456-426614174000', '123e4567-e89b-12d3-a456-426614174000'],
    ['lead-1234567', 'lead-1234567'],
    ['ECONNREFUSED 192.168.100.200:5432', 'ECONNREFUSED 192.168.100.200:5432'],
    ['pi 3.14159265', 'pi 3.14159265'],
    ['event 42 attempt 3 of 123456', 'event 42 attempt 3 of 123456'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(maskPii(input)).toBe(expected);
  });

  const emailArbitrary = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._-]{2,15}$/), fc.stringMatching(/^[a-z][a-z0-9-]{1,12}\.(com|io|co\.uk|de)$/)).map(([local, domain]) => ({ local, address: `${local}@${domain}` }));
  const phoneArbitrary = fc.tuple(fc.constantFrom('+1 ', '+44 ', '+49 ', '0', '('), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 11 })).map(([prefix, digits]) => `${prefix}${prefix === '(' ? `${digits.slice(0, 3).join('')}) ${digits.slice(3).join('')}` : digits.join('')}`);

  it('never lets an email local part or a phone number through, wherever it sits in text', () => {
    fc.assert(
      fc.property(emailArbitrary, phoneArbitrary, fc.constantFrom('', 'note: ', 'lead ', '"'), ({ local, address }, phone, before) => {
        const masked = maskPii(`${before}${address} / ${phone} end`);
        expect(masked).not.toContain(`${local}@`);
        expect(masked).toContain('[phone]');
        expect(masked).not.toContain(phone);
      }),
    );
  });

  it('is idempotent: masking masked text changes nothing', () => {
    fc.assert(
      fc.property(fc.string(), emailArbitrary, phoneArbitrary, (noise, { address }, phone) => {
        const once = maskPii(`${noise} ${address} ${noise} ${phone} ${noise}`);
        expect(maskPii(once)).toBe(once);
      }),
    );
  });
});
