import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeadsyncError } from '../../../src/core/errors/error-codes.js';
import { COMPANY_SUFFIXES, createCompanyNormalizer } from '../../../src/core/normalize/company-normalizer.js';

const company = createCompanyNormalizer();

function nameOf(value: string): string | undefined {
  const result = company(value);
  return result.ok ? result.value.name : undefined;
}

describe('company: whitespace and trailing commas', () => {
  it.each<[string, string]>([
    ['  Initech  ', 'Initech'],
    ['Initech   Software\tGroup', 'Initech Software Group'],
    ['Initech,', 'Initech'],
    ['Initech , ', 'Initech'],
  ])('%j -> %j', (value, name) => {
    expect(nameOf(value)).toBe(name);
  });
});

describe('company: legal suffixes', () => {
  it.each<[string, string]>([
    // one suffix, with or without dots and commas
    ['Initech Inc', 'Initech'],
    ['Initech Inc.', 'Initech'],
    ['Initech, Inc.', 'Initech'],
    ['Initech, Inc.,', 'Initech'],
    ['Initech Incorporated', 'Initech'],
    ['Globex Corp.', 'Globex'],
    ['Globex Corporation', 'Globex'],
    ['Procter & Gamble Co.', 'Procter & Gamble'],
    ['Vandelay L.L.C.', 'Vandelay'],
    ['Vandelay LLC', 'Vandelay'],
    ['Dewey Cheatem LLP', 'Dewey Cheatem'],
    ['Blackrock Partners L.P.', 'Blackrock Partners'],
    ['Tesco PLC', 'Tesco'],
    ['Tesco p.l.c.', 'Tesco'],
    ['Umbrella Ltd', 'Umbrella'],
    ['Umbrella Limited', 'Umbrella'],
    ['Bosch GmbH', 'Bosch'],
    ['Allianz AG', 'Allianz'],
    ['Allianz Aktiengesellschaft', 'Allianz'],
    ['Airbus SE', 'Airbus'],
    ['Danone S.A.', 'Danone'],
    ['Capgemini SAS', 'Capgemini'],
    ['Le Petit SARL', 'Le Petit'],
    ['Ferrero S.r.l.', 'Ferrero'],
    ['Eni S.p.A.', 'Eni'],
    ['Philips N.V.', 'Philips'],
    ['Booking.com B.V.', 'Booking.com'],
    ['Spotify AB', 'Spotify'],
    ['Equinor ASA', 'Equinor'],
    ['Maersk A/S', 'Maersk'],
    ['Kone Oy', 'Kone'],
    ['Nokia Oyj', 'Nokia'],
    ['Atlassian Pty', 'Atlassian'],
    ['Canva Pty Ltd', 'Canva'],
    ['Canva Pty. Ltd.', 'Canva'],
    ['Toyota KK', 'Toyota'],
    ['Petronas Sdn Bhd', 'Petronas'],
    ['Petronas Sdn. Bhd.', 'Petronas'],
    ['Grab Pte Ltd', 'Grab'],
    ['Infosys Pvt Ltd', 'Infosys'],
    ['Wipro Private Limited', 'Wipro'],
    ['Cemex S.A. de C.V.', 'Cemex'],
    ['Cemex, S.A. de C.V.', 'Cemex'],
    ['Cemex SA de CV', 'Cemex'],
    ['Grupo Bimbo S.A.B. de C.V.', 'Grupo Bimbo'],
    ['Allegro sp. z o.o.', 'Allegro'],
    ['Allegro Sp. z o.o.', 'Allegro'],
    ['Richter Gedeon Kft.', 'Richter Gedeon'],
    ['Samsung Co.,Ltd.', 'Samsung'],
    ['Porsche GmbH & Co. KG', 'Porsche'],
    // repeatedly
    ['Initech Holdings Corporation Plc', 'Initech Holdings'],
    ['Initech Inc. Ltd.', 'Initech'],
    ['Acme Ltd, LLC', 'Acme'],
    ['Acme Inc - Ltd', 'Acme'],
    ['Acme Inc; Ltd', 'Acme'],
    // only at the end
    ['Limited Brands', 'Limited Brands'],
    ['AG Barr plc', 'AG Barr'],
    ['Inc Magazine', 'Inc Magazine'],
    ['Corporation Financial Services', 'Corporation Financial Services'],
    ['Incorporated Bank Ltd', 'Incorporated Bank'],
    ['Coinc', 'Coinc'],
    ['Nasa', 'Nasa'],
    // "& Co" is part of the name
    ['Goldman Sachs & Co. LLC', 'Goldman Sachs & Co.'],
    ['Smith and Co', 'Smith and Co'],
  ])('%j -> %j', (value, name) => {
    expect(nameOf(value)).toBe(name);
  });

  it.each(['Inc.', 'LLC', 'Pty Ltd', 'S.A. de C.V.', 'GmbH & Co. KG', 'Co., Ltd.', 'Ltd Co Inc', ', Inc.'])('%j is only a suffix', (value) => {
    const result = company(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_COMPANY_EMPTY');
  });

  it.each(['', '   ', ' , '])('%j is empty', (value) => {
    const result = company(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('company: letter case', () => {
  it.each<[string, string]>([
    ['ACME & SONS', 'Acme & Sons'],
    ['acme & sons', 'Acme & Sons'],
    ['GLOBEX CORPORATION', 'Globex'],
    ['umbrella health ltd', 'Umbrella Health'],
    ['COCA-COLA', 'Coca-Cola'],
    ["O'REILLY MEDIA, INC.", "O'Reilly Media"],
    ["MCDONALD'S CORPORATION", "McDonald's"],
    ["l'oréal sa", "L'Oréal"],
    ['BANK OF AMERICA CORP', 'Bank of America'],
    ['THE HOME DEPOT, INC.', 'The Home Depot'],
    ['SOCIÉTÉ GÉNÉRALE S.A.', 'Société Générale'],
    ['HSBC HOLDINGS PLC', 'HSBC Holdings'],
    ['AT&T INC.', 'AT&T'],
    ['3M COMPANY', '3M Company'],
    ['J.P. MORGAN CHASE & CO.', 'J.P. Morgan Chase & Co.'],
    ['ACME (UK) LTD', 'Acme (UK)'],
    // the rule is about how the name was typed: an all-caps acronym with vowels is title-cased too
    ['ASML B.V.', 'Asml'],
    // mixed case is kept as typed
    ['eBay Inc.', 'eBay'],
    ['McKinsey & Company', 'McKinsey & Company'],
    ['iRobot Corp', 'iRobot'],
    ['ACME widgets', 'ACME widgets'],
    ['Müller-Thurgau GmbH', 'Müller-Thurgau'],
    ['Zürich Versicherung AG', 'Zürich Versicherung'],
    ['Yahoo! Inc.', 'Yahoo!'],
    ['Toys"R"Us, Inc.', 'Toys"R"Us'],
  ])('%j -> %j', (value, name) => {
    expect(nameOf(value)).toBe(name);
  });
});

describe('company: config overrides', () => {
  it('adds suffixes', () => {
    const custom = createCompanyNormalizer({ suffixes: ['Group', 'e.V.', 'Holdings Ltd'] });
    expect(custom('Initech Group')).toEqual({ ok: true, value: { name: 'Initech' } });
    expect(custom('Wikimedia Deutschland e.V.')).toEqual({ ok: true, value: { name: 'Wikimedia Deutschland' } });
    expect(custom('Acme Holdings Ltd')).toEqual({ ok: true, value: { name: 'Acme' } });
    expect(custom('Group')).toEqual({ ok: false, code: 'NORMALIZE_COMPANY_EMPTY', message: expect.any(String) as string });
    expect(nameOf('Initech Group')).toBe('Initech Group');
  });

  it('refuses a suffix without letters', () => {
    expect(() => createCompanyNormalizer({ suffixes: [' , '] })).toThrow(LeadsyncError);
  });
});

describe('company: properties', () => {
  const suffix = fc.constantFrom(...COMPANY_SUFFIXES, 'inc.', 'LTD', 'Co.,', ',', '&', '-');
  const word = fc.constantFrom('Acme', 'GLOBEX', 'initech', 'Müller', "O'Brien", 'Coca-Cola', 'of', 'AG', 'Co', 'Limited', 'Bank', 'X', 'eBay', '3M', 'Société');
  const names = fc
    .tuple(fc.array(word, { minLength: 1, maxLength: 4 }), fc.array(suffix, { maxLength: 3 }), fc.constantFrom(' ', '  ', ', ', ' ,'))
    .map(([words, suffixes, gap]) => [...words, ...suffixes].join(gap));

  it('is idempotent on names built from names and suffixes', () => {
    fc.assert(
      fc.property(names, (value) => {
        const first = company(value);
        if (!first.ok) return;
        expect(company(first.value.name)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (value) => {
        const first = company(value);
        if (!first.ok) return;
        expect(company(first.value.name)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('never leaves a default suffix at the end', () => {
    fc.assert(
      fc.property(names, (value) => {
        const result = company(value);
        if (!result.ok) return;
        const last = result.value.name.split(/[\s,]+/).pop()?.replace(/[.,/]/g, '').toLowerCase();
        const suffixes = new Set(COMPANY_SUFFIXES.filter((s) => !/\s/.test(s)).map((s) => s.replace(/[.,/]/g, '').toLowerCase()));
        // "& Co" is the one suffix-looking ending that is kept.
        if (last === 'co' && /(?:&|\band)[\s,]+co\.?$/i.test(result.value.name)) return;
        expect(suffixes.has(last ?? '')).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
