import { parse } from 'tldts';
import { notNormalized, type DomainValue, type NormalizeResult } from './normalizer-types.js';

/**
 * URL, host or email address -> `{ domain }` (NORMALIZATION.md "domain").
 *
 * The registrable domain per the Public Suffix List, private section included
 * ("foo.github.io" stays itself, "blog.acme.co.uk" -> "acme.co.uk"); scheme,
 * userinfo, port, path, query, fragment, "www." and a trailing dot go. A value
 * whose suffix is not in the list ("localhost", "foo.invalidtld"), an IP
 * address, or a bare public suffix ("co.uk") is NORMALIZE_DOMAIN_INVALID.
 */
export type DomainNormalizer = (value: string) => NormalizeResult<DomainValue>;

/** tldts options shared by the domain and email normalizers: the PSL private section counts. */
export const PSL_OPTIONS = { allowPrivateDomains: true } as const;

/** The registrable domain of a tldts result, or null when its suffix is not in the Public Suffix List. */
export function registrableDomain(result: ReturnType<typeof parse>): string | null {
  if (result.isIp === true || result.domain === null) return null;
  // A suffix tldts guessed from the last label (isIcann and isPrivate both false) is not a public suffix.
  if (result.isIcann !== true && result.isPrivate !== true) return null;
  return result.domain.toLowerCase();
}

/** Creates the domain normalizer. */
export function createDomainNormalizer(): DomainNormalizer {
  return (value: string): NormalizeResult<DomainValue> => {
    const text = value.trim();
    if (text === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The domain is empty');
    const domain = registrableDomain(parse(text, PSL_OPTIONS));
    if (domain === null) return notNormalized('NORMALIZE_DOMAIN_INVALID', `"${text}" has no registrable domain under a public suffix`);
    return { ok: true, value: { domain } };
  };
}
