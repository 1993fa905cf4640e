import {
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/min';
import type { CountryNormalizer } from './country-normalizer.js';
import { ResultCache } from './result-cache.js';
import { notNormalized, type NormalizeContext, type NormalizeResult, type PhoneValue } from './normalizer-types.js';

/**
 * Phone number -> `{ e164 }` (NORMALIZATION.md "phone").
 *
 * A number written with "+" (or "tel:+") is read on its own; the context
 * country is ignored. A national number is read in the context country, given
 * as ISO2 or any string the country normalizer knows ("Germany", "UK"); with
 * no country, a leading "00" (the ITU international prefix most countries use)
 * is read as "+", anything else is NORMALIZE_PHONE_COUNTRY_REQUIRED.
 *
 * "Impossible" is libphonenumber's isPossible(): the number's length fits its
 * country's numbering plan. We deliberately do not require isValid() (the
 * number falls in an allocated range): range allocations change monthly,
 * rejecting a real lead's number because our metadata is older is worse than
 * keeping an unallocated one, and the contract asks for "impossible". So the
 * `min` metadata is enough: possible lengths are the same in `min` and `max`
 * (a test checks it), and `min` is smaller to load.
 * Extensions are dropped, E.164 has none.
 *
 * libphonenumber takes ~10 µs a parse (most for +1, where it tries the 25
 * NANP countries in turn), so two shortcuts give its answer without it:
 * - a memo of recent results (ResultCache), since leads re-send numbers;
 * - North American numbers written only with digits and separators: a
 *   10-digit national number starting 2-9, after "+1" or in a NANP country,
 *   is possible in every NANP plan and its E.164 is "+1" + the digits. A test
 *   checks this against libphonenumber; anything else goes to libphonenumber.
 */
export type PhoneNormalizer = (value: string, context?: NormalizeContext) => NormalizeResult<PhoneValue>;

const INTERNATIONAL = /^[^0-9]*\+/;
const DIGITS_AND_SEPARATORS = /^\+?[\d\s().-]+$/;
const NON_DIGIT = /\D/g;
const IDD_00 = /^\s*00(?=\d)/;
const DIGIT = /\d/g;

/** Creates the phone normalizer; `country` reads the context country when it is not an ISO2 code. */
export function createPhoneNormalizer(country: CountryNormalizer): PhoneNormalizer {
  const countryCode = (name: string): CountryCode | undefined => {
    const trimmed = name.trim();
    const upper = trimmed.toUpperCase();
    if (upper.length === 2 && isSupportedCountry(upper)) return upper;
    const result = country(trimmed);
    return result.ok && isSupportedCountry(result.value.country) ? result.value.country : undefined;
  };

  const cache = new ResultCache<NormalizeResult<PhoneValue>>();
  const nanp = new Set<CountryCode>(getCountries().filter((code) => getCountryCallingCode(code) === '1'));

  /** The E.164 of a plain North American number, or undefined when libphonenumber must decide. */
  const northAmerican = (text: string, code: CountryCode | undefined): string | undefined => {
    if (!DIGITS_AND_SEPARATORS.test(text)) return undefined;
    const digits = text.replace(NON_DIGIT, '');
    const national = text.startsWith('+') ? (digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : undefined) : code !== undefined && nanp.has(code) ? digits : undefined;
    if (national === undefined || national.length !== 10 || national.charCodeAt(0) < 50 /* '2' */) return undefined;
    return `+1${national}`;
  };

  return (value: string, context: NormalizeContext = {}): NormalizeResult<PhoneValue> => {
    const text = value.trim();
    if (text === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The phone number is empty');

    let code: CountryCode | undefined;
    let international = text;
    if (INTERNATIONAL.test(text)) {
      // Read on its own, whatever the context says.
    } else if (context.country !== undefined && context.country.trim() !== '') {
      code = countryCode(context.country);
      if (code === undefined) {
        const known = country(context.country);
        return known.ok
          ? notNormalized('NORMALIZE_PHONE_INVALID', `Phone numbers of ${known.value.country} cannot be read (no numbering plan): "${text}"`)
          : notNormalized('NORMALIZE_COUNTRY_UNKNOWN', `The country "${context.country}" given for the phone number "${text}" is not known`);
      }
    } else if (IDD_00.test(text)) {
      international = text.replace(IDD_00, '+');
    } else if ((text.match(DIGIT)?.length ?? 0) >= 3) {
      return notNormalized('NORMALIZE_PHONE_COUNTRY_REQUIRED', `"${text}" is a national number; pass its country or send it in +E.164 form`);
    }

    const fast = northAmerican(international, code);
    if (fast !== undefined) return { ok: true, value: { e164: fast } };

    const key = code === undefined ? text : `${code}\u0000${text}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const parsed: PhoneNumber | undefined = code === undefined ? parsePhoneNumberFromString(international) : parsePhoneNumberFromString(text, code);
    const result: NormalizeResult<PhoneValue> =
      parsed === undefined || !parsed.isPossible()
        ? notNormalized('NORMALIZE_PHONE_INVALID', `"${text}" is not a possible phone number`)
        : { ok: true, value: { e164: parsed.number } };
    cache.set(key, Object.freeze(result));
    return result;
  };
}
