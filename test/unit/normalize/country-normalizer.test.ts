import fc from 'fast-check';
import en from 'i18n-iso-countries/langs/en.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { LeadsyncError } from '../../../src/core/errors/error-codes.js';
import { REGION_COUNTRIES } from '../../../src/core/normalize/country-data.js';
import { ISO_COUNTRY_CODES, countryKey, createCountryNormalizer } from '../../../src/core/normalize/country-normalizer.js';
import { REGIONS, type Region } from '../../../src/core/normalize/normalizer-types.js';

const country = createCountryNormalizer();

function codeOf(value: string): string | undefined {
  const result = country(value);
  return result.ok ? result.value.country : undefined;
}

describe('country: what it reads', () => {
  it.each<[string, string]>([
    // English names, any case, surrounding space
    ['Germany', 'DE'],
    ['  france ', 'FR'],
    ['JAPAN', 'JP'],
    ['New Zealand', 'NZ'],
    ['Trinidad and Tobago', 'TT'],
    ['Trinidad & Tobago', 'TT'],
    ['Saint Kitts and Nevis', 'KN'],
    ['St. Kitts and Nevis', 'KN'],
    ['St Lucia', 'LC'],
    ['The Bahamas', 'BS'],
    ['Bahamas', 'BS'],
    ['Czechia', 'CZ'],
    ['Czech Republic', 'CZ'],
    ['Ivory Coast', 'CI'],
    // official long names, both orders
    ['Korea, Republic of', 'KR'],
    ['Republic of Korea', 'KR'],
    ['Iran, Islamic Republic of', 'IR'],
    ['Islamic Republic of Iran', 'IR'],
    ['Tanzania, United Republic of', 'TZ'],
    ['Moldova, Republic of', 'MD'],
    ['Republic of Moldova', 'MD'],
    ['Venezuela, Bolivarian Republic of', 'VE'],
    ['Bolivia (Plurinational State of)', 'BO'],
    ['Congo, the Democratic Republic of the', 'CD'],
    ['Micronesia (Federated States of)', 'FM'],
    ["Lao People's Democratic Republic", 'LA'],
    ['Russian Federation', 'RU'],
    ['United Kingdom of Great Britain and Northern Ireland', 'GB'],
    ['Holy See (Vatican City State)', 'VA'],
    ['Vatican City State', 'VA'],
    ['Virgin Islands, British', 'VG'],
    ['British Virgin Islands', 'VG'],
    ['U.S. Virgin Islands', 'VI'],
    // alpha-2 and alpha-3 in any case
    ['de', 'DE'],
    ['Br', 'BR'],
    ['CHE', 'CH'],
    ['gbr', 'GB'],
    ['usa', 'US'],
    ['AND', 'AD'],
    ['NLD', 'NL'],
    // dotted abbreviations and short forms
    ['U.S.A.', 'US'],
    ['U.S.', 'US'],
    ['U.K.', 'GB'],
    ['UK', 'GB'],
    ['uae', 'AE'],
    ['U.A.E.', 'AE'],
    ['Holland', 'NL'],
    ['Korea', 'KR'],
    ['DRC', 'CD'],
    // constituent countries
    ['England', 'GB'],
    ['scotland', 'GB'],
    ['Wales', 'GB'],
    ['Northern Ireland', 'GB'],
    ['Great Britain', 'GB'],
  ])('%s -> %s', (value, code) => {
    expect(codeOf(value)).toBe(code);
  });

  // Native names of (at least) the 40 largest economies, with and without accents.
  it.each<[string, string]>([
    ['United States', 'US'],
    ['中国', 'CN'],
    ['Deutschland', 'DE'],
    ['日本', 'JP'],
    ['भारत', 'IN'],
    ['United Kingdom', 'GB'],
    ['France', 'FR'],
    ['Italia', 'IT'],
    ['Canada', 'CA'],
    ['Brasil', 'BR'],
    ['Россия', 'RU'],
    ['México', 'MX'],
    ['Mexico', 'MX'],
    ['Australia', 'AU'],
    ['대한민국', 'KR'],
    ['한국', 'KR'],
    ['España', 'ES'],
    ['Espana', 'ES'],
    ['Indonesia', 'ID'],
    ['Nederland', 'NL'],
    ['Türkiye', 'TR'],
    ['Turkiye', 'TR'],
    ['السعودية', 'SA'],
    ['Schweiz', 'CH'],
    ['Suisse', 'CH'],
    ['Svizzera', 'CH'],
    ['Polska', 'PL'],
    ['台湾', 'TW'],
    ['België', 'BE'],
    ['Belgique', 'BE'],
    ['Sverige', 'SE'],
    ['Éire', 'IE'],
    ['Österreich', 'AT'],
    ['Osterreich', 'AT'],
    ['ประเทศไทย', 'TH'],
    ['ישראל', 'IL'],
    ['Norge', 'NO'],
    ['Singapura', 'SG'],
    ['الإمارات العربية المتحدة', 'AE'],
    ['Việt Nam', 'VN'],
    ['Viet Nam', 'VN'],
    ['Danmark', 'DK'],
    ['Malaysia', 'MY'],
    ['Pilipinas', 'PH'],
    ['বাংলাদেশ', 'BD'],
    ['Argentina', 'AR'],
    ['ایران', 'IR'],
    ['Colombia', 'CO'],
    ['Suomi', 'FI'],
    ['România', 'RO'],
    ['Česká republika', 'CZ'],
    ['Portugal', 'PT'],
    ['پاکستان', 'PK'],
    ['Ελλάδα', 'GR'],
    ['Magyarország', 'HU'],
    ['Україна', 'UA'],
    ['مصر', 'EG'],
    // other locales' names of foreign countries
    ['Allemagne', 'DE'],
    ['Alemania', 'DE'],
    ['Vereinigte Staaten', 'US'],
    ['Estados Unidos', 'US'],
  ])('native or foreign name %s -> %s', (value, code) => {
    expect(codeOf(value)).toBe(code);
  });
});

describe('country: regions', () => {
  it.each<[string, Region]>([
    ['US', 'NA'],
    ['Canada', 'NA'],
    ['Puerto Rico', 'NA'],
    ['Guam', 'NA'],
    ['American Samoa', 'NA'],
    ['Mexico', 'LATAM'],
    ['Brazil', 'LATAM'],
    ['Costa Rica', 'LATAM'],
    ['Jamaica', 'LATAM'],
    ['Curaçao', 'LATAM'],
    ['Germany', 'EMEA'],
    ['Russia', 'EMEA'],
    ['Turkey', 'EMEA'],
    ['Saudi Arabia', 'EMEA'],
    ['Israel', 'EMEA'],
    ['Nigeria', 'EMEA'],
    ['South Africa', 'EMEA'],
    ['Kazakhstan', 'EMEA'],
    ['Uzbekistan', 'EMEA'],
    ['Georgia', 'EMEA'],
    ['Armenia', 'EMEA'],
    ['Iran', 'EMEA'],
    ['Greenland', 'EMEA'],
    ['India', 'APAC'],
    ['Afghanistan', 'APAC'],
    ['Japan', 'APAC'],
    ['Vietnam', 'APAC'],
    ['Australia', 'APAC'],
    ['Fiji', 'APAC'],
    ['Taiwan', 'APAC'],
  ])('%s is in %s', (value, region) => {
    const result = country(value);
    expect(result.ok && result.value.region).toBe(region);
  });

  it('gives every ISO country exactly one region', () => {
    expect(ISO_COUNTRY_CODES.length).toBeGreaterThanOrEqual(249);
    const listed = REGIONS.flatMap((region) => REGION_COUNTRIES[region]);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...ISO_COUNTRY_CODES].sort());
    for (const code of ISO_COUNTRY_CODES) {
      const result = country(code);
      expect(result.ok && result.value.country, code).toBe(code);
      expect(REGIONS, code).toContain(result.ok ? result.value.region : undefined);
    }
  });

  it('reads every English name of every country back to its code', () => {
    const wrong: string[] = [];
    for (const [code, names] of Object.entries(en.countries)) {
      for (const name of typeof names === 'string' ? [names] : names) {
        // "Congo" is the one English name two countries share: it is refused on purpose.
        if (name === 'Congo') continue;
        if (codeOf(name) !== code) wrong.push(`${name} -> ${String(codeOf(name))}, expected ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('country: errors', () => {
  it.each(['Narnia', 'Germny', 'Germ', 'Deutsch', 'America', 'Congo', 'Kongo', 'Virgin Islands', 'Europe', 'EU', 'XX', 'ZZZ', 'N/A', '123', '...', 'French part'])(
    '%s is unknown, not guessed',
    (value) => {
      const result = country(value);
      expect(!result.ok && result.code).toBe('NORMALIZE_COUNTRY_UNKNOWN');
      expect(!result.ok && result.message).toContain(value);
    },
  );

  it.each(['', '  '])('%j is empty', (value) => {
    const result = country(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('country: config overrides', () => {
  it('adds aliases that win over built-in names, and overrides regions', () => {
    const custom = createCountryNormalizer({ aliases: { 'Bundesrepublik': 'de', 'Georgia': 'US', 'Silicon Valley': 'US' }, regions: { MX: 'NA', tr: 'APAC' } });
    expect(custom('bundesrepublik')).toEqual({ ok: true, value: { country: 'DE', region: 'EMEA' } });
    expect(custom('Georgia')).toEqual({ ok: true, value: { country: 'US', region: 'NA' } });
    expect(custom('silicon-valley')).toEqual({ ok: true, value: { country: 'US', region: 'NA' } });
    expect(custom('Mexico')).toEqual({ ok: true, value: { country: 'MX', region: 'NA' } });
    expect(custom('Türkiye')).toEqual({ ok: true, value: { country: 'TR', region: 'APAC' } });
    expect(country('Georgia')).toEqual({ ok: true, value: { country: 'GE', region: 'EMEA' } });
    expect(codeOf('Bundesrepublik')).toBeUndefined();
  });

  it('refuses aliases to unknown codes and unknown regions', () => {
    expect(() => createCountryNormalizer({ aliases: { Atlantis: 'AT1' } })).toThrow(LeadsyncError);
    expect(() => createCountryNormalizer({ regions: { QQ: 'EMEA' } })).toThrow(/QQ/);
    expect(() => createCountryNormalizer({ regions: { DE: 'EUROPE' as Region } })).toThrow(/EUROPE/);
    expect(() => createCountryNormalizer({ aliases: { 'U.S.': 'US', us: 'GB' } })).toThrow(/read alike/);
  });
});

describe('country: properties', () => {
  const names = fc.constantFrom(...Object.values(en.countries).flat(), ...ISO_COUNTRY_CODES, 'U.S.A.', 'UK', 'England', 'Deutschland', 'Brasil');

  it('is idempotent: normalizing the output code gives the same result', () => {
    fc.assert(
      fc.property(fc.oneof(names, fc.string()), (value) => {
        const first = country(value);
        if (!first.ok) return;
        expect(country(first.value.country)).toEqual(first);
      }),
    );
  });

  it('ignores case and accents', () => {
    // Messages quote the input, so compare what was decided.
    const decided = (value: string): unknown => {
      const result = country(value);
      return result.ok ? result.value : result.code;
    };
    fc.assert(
      fc.property(names, (value) => {
        const first = decided(value);
        expect(decided(value.toUpperCase())).toEqual(first);
        expect(decided(value.toLowerCase())).toEqual(first);
        expect(decided(value.normalize('NFD').replace(/[\u0300-\u036f]/g, ''))).toEqual(first);
      }),
      { numRuns: 1000 },
    );
  });

  it('keys ignore punctuation, spacing and "the"', () => {
    expect(countryKey('The  Gambia')).toBe(countryKey('gambia'));
    expect(countryKey('U.S.A.')).toBe('usa');
    expect(countryKey("Côte d'Ivoire")).toBe(countryKey('Cote dIvoire'));
    expect(countryKey('AND')).toBe('and');
  });
});
