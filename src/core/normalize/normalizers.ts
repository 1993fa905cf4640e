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
  const title = createTitleNormalizer(overrides.title);
  const country = createCountryNormalizer(overrides.country);
  const company = createCompanyNormalizer(overrides.company);
  const domain = createDomainNormalizer();
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

/** Normalizers with the default tables (NORMALIZATION.md), for the CLI and tests. */
export const defaultNormalizers: Normalizers = createNormalizers();
