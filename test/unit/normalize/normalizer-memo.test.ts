import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coerceUrl } from '../../../src/core/crm-schema/contact-coercers.js';
import { createCompanyNormalizer } from '../../../src/core/normalize/company-normalizer.js';
import { createCountryNormalizer } from '../../../src/core/normalize/country-normalizer.js';
import { createDomainNormalizer } from '../../../src/core/normalize/domain-normalizer.js';
import { createEmailNormalizer } from '../../../src/core/normalize/email-normalizer.js';
import { createNormalizers, REMEMBERED_INPUT_LENGTH } from '../../../src/core/normalize/normalizers.js';
import { createTitleNormalizer } from '../../../src/core/normalize/title-normalizer.js';

// The memos of recent results change timing only: a warmed normalizer answers like a fresh one.
const TITLES = ['VP, Sales', 'Sr. Software Engineer', '', '   ', 'Chief Happiness Officer', 'zzz', 'Head of Data'];
const COMPANIES = ['ACME & SONS LTD', 'Globex GmbH & Co. KG', 'Inc.', '', 'mercado verde ltda', 'Northwind Labs, Inc.'];
const DOMAINS = ['https://www.initech.co.uk/x', 'localhost', 'co.uk', 'foo.github.io', '', '10.0.0.1'];
const COUNTRIES = ['Deutschland', 'N/A', 'U.K.', 'xx', '', 'Österreich'];
const EMAILS = ['Peter@Gmail.com', 'ann@acme.co.uk', 'bob@acme.co.uk', 'x@localhost', 'a@b@c', 'Ann <ann@yahoo.co.jp>', '.a@acme.com', 'eve@mail.acme.co.uk'];

describe('memos of normalizer results', () => {
  it('give the same results as fresh normalizers, repeated and interleaved', () => {
    const kinds = [
      ['title', TITLES, createTitleNormalizer()],
      ['company', COMPANIES, createCompanyNormalizer()],
      ['domain', DOMAINS, createDomainNormalizer()],
      ['country', COUNTRIES, createCountryNormalizer()],
    ] as const;
    const remembered = createNormalizers();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: kinds.length - 1 }), fc.nat({ max: 20 }), fc.string({ maxLength: 12 })), { maxLength: 60 }), (calls) => {
        for (const [kindIndex, pick, noise] of calls) {
          const [kind, samples, fresh] = kinds[kindIndex] as (typeof kinds)[number];
          const input = pick < samples.length ? (samples[pick] as string) : noise;
          const direct = fresh as (value: string) => unknown;
          expect(remembered[kind](input)).toEqual(direct(input));
        }
      }),
    );
  });

  it('share frozen results, and do not keep long inputs', () => {
    const normalizers = createNormalizers();
    const first = normalizers.company('Globex GmbH');
    expect(normalizers.company('Globex GmbH')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    if (first.ok) expect(Object.isFrozen(first.value)).toBe(true);
    const long = `Acme ${'x'.repeat(REMEMBERED_INPUT_LENGTH)} Ltd`;
    expect(normalizers.company(long)).toEqual(normalizers.company(long));
    expect(normalizers.company(long)).not.toBe(normalizers.company(long));
  });

  it('read an email host once and still answer per address', () => {
    const warmed = createEmailNormalizer();
    for (const email of [...EMAILS, ...[...EMAILS].reverse()]) expect(warmed(email)).toEqual(createEmailNormalizer()(email));
  });

  it('remember URL coercions without changing them', () => {
    for (const url of ['acme.com', 'https://Acme.com/Pricing', 'ftp://acme.com', 'a b', 'https://user:pw@acme.com']) {
      const first = coerceUrl(url);
      expect(coerceUrl(url)).toEqual(first);
      expect(Object.isFrozen(coerceUrl(url))).toBe(true);
    }
    expect(coerceUrl('https://Acme.com/Pricing')).toEqual({ ok: true, value: 'https://acme.com/Pricing' });
  });
});
