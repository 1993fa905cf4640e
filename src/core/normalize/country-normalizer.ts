import isoCodes from 'i18n-iso-countries/codes.json' with { type: 'json' };
import ar from 'i18n-iso-countries/langs/ar.json' with { type: 'json' };
import bn from 'i18n-iso-countries/langs/bn.json' with { type: 'json' };
import cs from 'i18n-iso-countries/langs/cs.json' with { type: 'json' };
import da from 'i18n-iso-countries/langs/da.json' with { type: 'json' };
import de from 'i18n-iso-countries/langs/de.json' with { type: 'json' };
import el from 'i18n-iso-countries/langs/el.json' with { type: 'json' };
import en from 'i18n-iso-countries/langs/en.json' with { type: 'json' };
import es from 'i18n-iso-countries/langs/es.json' with { type: 'json' };
import fa from 'i18n-iso-countries/langs/fa.json' with { type: 'json' };
import fi from 'i18n-iso-countries/langs/fi.json' with { type: 'json' };
import fr from 'i18n-iso-countries/langs/fr.json' with { type: 'json' };
import he from 'i18n-iso-countries/langs/he.json' with { type: 'json' };
import hi from 'i18n-iso-countries/langs/hi.json' with { type: 'json' };
import hu from 'i18n-iso-countries/langs/hu.json' with { type: 'json' };
import id from 'i18n-iso-countries/langs/id.json' with { type: 'json' };
import it from 'i18n-iso-countries/langs/it.json' with { type: 'json' };
import ja from 'i18n-iso-countries/langs/ja.json' with { type: 'json' };
import ko from 'i18n-iso-countries/langs/ko.json' with { type: 'json' };
import ms from 'i18n-iso-countries/langs/ms.json' with { type: 'json' };
import nb from 'i18n-iso-countries/langs/nb.json' with { type: 'json' };
import nl from 'i18n-iso-countries/langs/nl.json' with { type: 'json' };
import no from 'i18n-iso-countries/langs/no.json' with { type: 'json' };
import pl from 'i18n-iso-countries/langs/pl.json' with { type: 'json' };
import pt from 'i18n-iso-countries/langs/pt.json' with { type: 'json' };
import ro from 'i18n-iso-countries/langs/ro.json' with { type: 'json' };
import ru from 'i18n-iso-countries/langs/ru.json' with { type: 'json' };
import sv from 'i18n-iso-countries/langs/sv.json' with { type: 'json' };
import th from 'i18n-iso-countries/langs/th.json' with { type: 'json' };
import tr from 'i18n-iso-countries/langs/tr.json' with { type: 'json' };
import uk from 'i18n-iso-countries/langs/uk.json' with { type: 'json' };
import ur from 'i18n-iso-countries/langs/ur.json' with { type: 'json' };
import vi from 'i18n-iso-countries/langs/vi.json' with { type: 'json' };
import zh from 'i18n-iso-countries/langs/zh.json' with { type: 'json' };
import { LeadsyncError } from '../errors/error-codes.js';
import { foldAccents } from './accent-folding.js';
import { COUNTRY_ALIASES, NAME_LOCALES, REGION_COUNTRIES } from './country-data.js';
import { REGIONS, notNormalized, type CountryValue, type NormalizeResult, type NormalizerOverrides, type Region } from './normalizer-types.js';

/**
 * Country string -> `{ country: ISO2, region }` (NORMALIZATION.md "country").
 *
 * Input and every known name are compared by a key: accents folded, case
 * ignored, punctuation and spaces dropped ("U.S.A." = "usa", "Côte d'Ivoire"
 * = "cote divoire"), and the words "the"/"and" dropped from names of several
 * words ("The Gambia", "Bosnia & Herzegovina"). A key is looked up, never
 * guessed: no prefix, fuzzy or partial matching.
 *
 * Where two countries share a key, the more deliberate source wins: config
 * aliases, then COUNTRY_ALIASES, then ISO alpha-2/alpha-3 codes, then English
 * names, then the other locales' names. A key that two countries share within
 * one source and that no higher source settles ("Congo") is unknown. "N/A"
 * and "n.a." are placeholders, not Namibia (its code "NA" alone is Namibia).
 */
export type CountryNormalizer = (value: string) => NormalizeResult<CountryValue>;

/** The shape of an i18n-iso-countries locale file. */
interface LocaleNames {
  readonly locale: string;
  readonly countries: Readonly<Record<string, string | readonly string[]>>;
}

const LOCALE_FILES: Readonly<Record<(typeof NAME_LOCALES)[number], LocaleNames>> = {
  en, de, es, pt, it, pl, nl, fr, ja, zh, ko, ru, tr, sv, da, no, nb, fi, cs, hu, ro, el, he, ar, id, ms, th, vi, hi, bn, fa, ur, uk,
};

/** Every ISO 3166-1 alpha-2 code i18n-iso-countries knows (plus XK), in its order. */
export const ISO_COUNTRY_CODES: readonly string[] = (isoCodes as readonly (readonly string[])[]).map((row) => row[0] as string);

const NON_WORD = /[^\p{L}\p{M}\p{N}]+/u;
const STOP_WORDS = new Set(['the', 'and']);
const NOT_APPLICABLE = /^\s*n\s*[/.]\s*a\.?\s*$/i;

/** The comparison key of a country string (see CountryNormalizer). */
export function countryKey(text: string): string {
  const words = foldAccents(text).split(NON_WORD).filter((word) => word.length > 0);
  if (words.length < 2) return words.join('');
  return words.filter((word) => !STOP_WORDS.has(word)).join('');
}

/**
 * Name variants ISO lists use that the locale files spell one way only:
 * "Korea, Republic of" <-> "Republic of Korea", "Holy See (Vatican City State)"
 * -> both parts, "Saint Lucia" -> "St Lucia".
 */
function englishVariants(name: string): string[] {
  const variants = [name];
  const paren = /^(.*?)\s*\((.*)\)\s*$/.exec(name);
  // "Holy See (Vatican City State)" gives both parts; "Saint Martin (French part)" and "Netherlands (Kingdom of the)" only the first.
  if (paren) {
    variants.push(paren[1] as string);
    if (!/\bpart\b|\bof(?: the)?$/i.test(paren[2] as string)) variants.push(paren[2] as string);
  }
  for (const base of [...variants]) {
    const comma = /^([^,]+),\s*(.+)$/.exec(base);
    if (comma) variants.push(`${comma[2] as string} ${comma[1] as string}`);
    const of = /^(.+ of)(?: the)? (.+)$/i.exec(base);
    if (of) variants.push(`${of[2] as string}, ${of[1] as string}`);
  }
  for (const base of [...variants]) {
    if (/\bSaint\b/i.test(base)) variants.push(base.replace(/\bSaint\b/gi, 'St'));
  }
  return variants;
}

/** Key -> ISO2 table, built source by source from the most deliberate down. */
class CountryKeyTable {
  private readonly decided = new Map<string, string>();
  private readonly blocked = new Set<string>();
  private readonly typed = new Map<string, string>();

  /** Adds one source; keys it maps to two countries are blocked unless an earlier source decided them. Returns those keys. */
  addSource(entries: Iterable<readonly [string, string]>): string[] {
    const source = new Map<string, string | null>();
    for (const [name, code] of entries) {
      const key = countryKey(name);
      this.typed.set(name.toLowerCase(), key);
      if (key === '' || this.decided.has(key) || this.blocked.has(key)) continue;
      const seen = source.get(key);
      source.set(key, seen === undefined || seen === code ? code : null);
    }
    const blocked: string[] = [];
    for (const [key, code] of source) {
      if (code === null) {
        this.blocked.add(key);
        blocked.push(key);
      } else {
        this.decided.set(key, code);
      }
    }
    return blocked;
  }

  get(key: string): string | undefined {
    return this.decided.get(key);
  }

  /** Lower-cased names as the sources spell them -> ISO2: a fast path that skips computing the key. */
  typedNames(): Map<string, string> {
    const names = new Map<string, string>();
    for (const [name, key] of this.typed) {
      const code = this.decided.get(key);
      if (code !== undefined) names.set(name, code);
    }
    return names;
  }
}

function* localeNames(locale: LocaleNames, variants: (name: string) => string[]): Generator<readonly [string, string]> {
  for (const [code, names] of Object.entries(locale.countries)) {
    for (const name of typeof names === 'string' ? [names] : names) {
      for (const variant of variants(name)) yield [variant, code];
    }
  }
}

function validCode(code: string, where: string, known: ReadonlySet<string>): string {
  const upper = code.trim().toUpperCase();
  if (!known.has(upper)) throw new LeadsyncError('CONFIG_INVALID', `${where}: "${code}" is not an ISO 3166-1 alpha-2 code`);
  return upper;
}

// Names -> codes from the package data and COUNTRY_ALIASES: the same for every config, so built once per process.
let builtIn: { table: CountryKeyTable; names: Map<string, string> } | undefined;

function buildBuiltIn(): { table: CountryKeyTable; names: Map<string, string> } {
  const table = new CountryKeyTable();
  table.addSource(Object.entries(COUNTRY_ALIASES));
  table.addSource((isoCodes as readonly (readonly string[])[]).flatMap(([alpha2, alpha3]) => [[alpha2, alpha2] as const, [alpha3, alpha2] as const]) as [string, string][]);
  table.addSource(localeNames(LOCALE_FILES.en, englishVariants));
  table.addSource(NAME_LOCALES.filter((locale) => locale !== 'en').flatMap((locale) => [...localeNames(LOCALE_FILES[locale], (name) => [name])]));
  return { table, names: table.typedNames() };
}

/** Creates the country normalizer with the config's aliases and region overrides compiled in. */
export function createCountryNormalizer(overrides: NormalizerOverrides['country'] = {}): CountryNormalizer {
  const known = new Set(ISO_COUNTRY_CODES);
  const regionOf = new Map<string, Region>();
  for (const region of REGIONS) for (const code of REGION_COUNTRIES[region]) regionOf.set(code, region);
  for (const [code, region] of Object.entries(overrides.regions ?? {})) {
    if (!(REGIONS as readonly string[]).includes(region)) {
      throw new LeadsyncError('CONFIG_INVALID', `normalizers.country.regions.${code}: "${region}" is not one of ${REGIONS.join(', ')}`);
    }
    regionOf.set(validCode(code, 'normalizers.country.regions', known), region);
  }

  const { table: builtInTable, names: builtInNames } = (builtIn ??= buildBuiltIn());
  // Config aliases win over every built-in name, so they are a table of their own, looked up first.
  const custom = new CountryKeyTable();
  const clashes = custom.addSource(Object.entries(overrides.aliases ?? {}).map(([alias, code]) => [alias, validCode(code, `normalizers.country.aliases.${alias}`, known)] as const));
  if (clashes.length > 0) {
    throw new LeadsyncError('CONFIG_INVALID', `normalizers.country.aliases: aliases that read alike (${clashes.join(', ')}) name different countries`);
  }
  const customNames = custom.typedNames();
  const hasCustom = customNames.size > 0;

  // One shared, frozen result per country: a lookup allocates nothing.
  const results = new Map<string, NormalizeResult<CountryValue>>();
  for (const code of known) {
    const region = regionOf.get(code);
    if (region === undefined) throw new RangeError(`country-data.ts gives no region for ${code}`);
    results.set(code, Object.freeze({ ok: true as const, value: Object.freeze({ country: code, region }) }));
  }

  const lookup = (value: string): string | undefined => {
    const lower = value.toLowerCase();
    if (hasCustom) {
      const key = countryKey(value);
      return customNames.get(lower) ?? custom.get(key) ?? builtInNames.get(lower) ?? builtInTable.get(key);
    }
    return builtInNames.get(lower) ?? builtInTable.get(countryKey(value));
  };

  return (value: string): NormalizeResult<CountryValue> => {
    if (value.trim() === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The country is empty');
    // "N/A" is a placeholder, not Namibia (whose code "NA" alone is read as Namibia).
    if (NOT_APPLICABLE.test(value)) return notNormalized('NORMALIZE_COUNTRY_UNKNOWN', `"${value}" is a placeholder, not a country`);
    const code = lookup(value);
    const result = code === undefined ? undefined : results.get(code);
    return result ?? notNormalized('NORMALIZE_COUNTRY_UNKNOWN', `"${value}" is not a known country name or ISO code`);
  };
}
