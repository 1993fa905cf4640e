import { createCompanyNormalizer } from './company-normalizer.js';
import { createCountryNormalizer } from './country-normalizer.js';
import { createDomainNormalizer } from './domain-normalizer.js';
import { createEmailNormalizer } from './email-normalizer.js';
import { createIntentNormalizer } from './intent-normalizer.js';
import {
  NORMALIZER_KINDS,
  notNormalized,
  type NormalizeContext,
  type NormalizeResult,
  type NormalizerKind,
  type NormalizerOverrides,
  type Normalizers,
} from './normalizer-types.js';
import { createPhoneNormalizer } from './phone-normalizer.js';
import { ResultCache } from './result-cache.js';
import { createTitleNormalizer } from './title-normalizer.js';

/**
 * The normalizer registry. `createNormalizers` compiles every table once
 * (tries, maps, sets, regexes, shared result objects) so that a call is a few
 * lookups; create it once per config and reuse it. Pure: no I/O, no clock.
 *
 * @param overrides - the config's `normalizers` section; every part is
 *   optional and extends or replaces the default tables. Invalid values (an
 *   alias to an unknown country code, thresholds out of order, a keyword with
 *   no letters) throw a LeadsyncError with code CONFIG_INVALID.
 */
export function createNormalizers(overrides: NormalizerOverrides = {}): Normalizers {
  const title = remembered(createTitleNormalizer(overrides.title));
  const country = remembered(createCountryNormalizer(overrides.country));
  const company = remembered(createCompanyNormalizer(overrides.company));
  const domain = remembered(createDomainNormalizer());
  const email = createEmailNormalizer(overrides.email);
  const phone = createPhoneNormalizer(country);
  const intent = createIntentNormalizer(overrides.intent);

  const normalize = (kind: NormalizerKind, value: string, context?: NormalizeContext): NormalizeResult<Record<string, unknown>> => {
    switch (kind) {
      case 'title':
        return title(value);
      case 'country':
        return country(value);
      case 'company':
        return company(value);
      case 'domain':
        return domain(value);
      case 'email':
        return email(value);
      case 'phone':
        return phone(value, context);
      case 'intent':
        return intent(value);
      default:
        // Reachable from untyped input (CLI arguments, JSON): report, don't throw.
        return notNormalized('NORMALIZE_KIND_UNKNOWN', `"${String(kind)}" is not a normalizer kind; use one of ${NORMALIZER_KINDS.join(', ')}`);
    }
  };

  return { title, country, company, domain, email, phone, intent, normalize };
}

/** Longest input whose result is remembered; longer ones are rare and would make the memo's memory unbounded. */
export const REMEMBERED_INPUT_LENGTH = 200;

/**
 * A normalizer with a bounded memo of recent results (ResultCache, at most
 * 2 x 4096 entries). Used for titles, countries, company names and domains:
 * values a stream of leads repeats (the same few hundred titles and
 * countries, the same company and website for every lead of an account),
 * whose analysis costs 1-10 µs against ~0.1 µs for a hit. Emails (one per
 * lead) are not memoized, phones have their own memo, intent is cheap.
 * Results are frozen, so a shared result cannot be changed by one caller for
 * the next; the memo changes timing only, never a result.
 */
function remembered<V>(normalize: (value: string) => NormalizeResult<V>): (value: string) => NormalizeResult<V> {
  const cache = new ResultCache<NormalizeResult<V>>();
  return (value: string): NormalizeResult<V> => {
    if (value.length > REMEMBERED_INPUT_LENGTH) return normalize(value);
    let result = cache.get(value);
    if (result === undefined) {
      result = normalize(value);
      if (result.ok) Object.freeze(result.value);
      Object.freeze(result);
      cache.set(value, result);
    }
    return result;
  };
}

/** Normalizers with the default tables (NORMALIZATION.md), for the CLI and tests. */
export const defaultNormalizers: Normalizers = createNormalizers();
