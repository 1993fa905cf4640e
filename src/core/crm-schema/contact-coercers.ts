import { typeMismatch, validValue, type FieldValidation } from './field-validation-result.js';

const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// At least two labels; the last (the TLD) starts with a letter, so "a@b.123" and "a@localhost" fail.
const EMAIL_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `email`: a syntactic check of a trimmed, lower-cased address — dot-atom
 * local part of at most 64 characters, a domain of at least two labels whose
 * TLD starts with a letter, 254 characters in all. Lower case is the canonical
 * form (HubSpot and the email normalizer both lower-case). Quoted local parts
 * and non-ASCII addresses are refused: CRMs reject them too.
 */
export function coerceEmail(value: unknown): FieldValidation {
  if (typeof value !== 'string') return typeMismatch('an email address', value);
  const email = value.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const valid = at > 0 && email.length <= 254 && local.length <= 64 && EMAIL_LOCAL.test(local) && EMAIL_DOMAIN.test(domain);
  return valid ? validValue(email) : typeMismatch('an email address (name@domain.tld)', value);
}

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const BARE_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d{1,5})?(?=$|[/?#])/i;

/**
 * `url`: an absolute http(s) URL. A bare host with an optional path
 * ("acme.com", "www.acme.com/pricing") gets "https://" in front, because
 * sources often send website fields that way and every CRM link needs a
 * scheme. Other schemes (ftp:, mailto:, javascript:), hosts without a dot,
 * whitespace and embedded credentials (user:pass@ would leak a secret into
 * the CRM) are a type mismatch. Canonical form: scheme and host lower-cased,
 * path, query and fragment kept as sent, no trailing slash added.
 */
export function coerceUrl(value: unknown): FieldValidation {
  if (typeof value !== 'string') return typeMismatch('an http(s) URL', value);
  // Websites repeat (every lead of an account) and a URL parse costs a few µs: recent results are
  // remembered (frozen, so callers cannot change what the next one gets).
  let result = recentUrls.get(value);
  if (result === undefined) {
    result = Object.freeze(checkUrl(value));
    if (recentUrls.size >= RECENT_URLS) recentUrls.clear();
    if (value.length <= 500) recentUrls.set(value, result);
  }
  return result;
}

const RECENT_URLS = 1024;
const recentUrls = new Map<string, FieldValidation>();

function checkUrl(value: string): FieldValidation {
  const text = value.trim();
  // Backslashes are read as slashes by WHATWG URL parsers but not by every CRM or browser.
  if (/[\s\\]/.test(text)) return typeMismatch('an http(s) URL without spaces or backslashes', value);
  const candidate = HAS_SCHEME.test(text) ? text : BARE_HOST.test(text) ? `https://${text}` : undefined;
  if (candidate === undefined || !URL.canParse(candidate)) return typeMismatch('an http(s) URL', value);
  const url = new URL(candidate);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return typeMismatch('an http or https URL', value);
  if (url.username !== '' || url.password !== '') return typeMismatch('a URL without credentials', value);
  if (!url.hostname.includes('.') || url.hostname.endsWith('.')) return typeMismatch('a URL with a full host name', value);
  const schemeEnd = candidate.indexOf('://') + 3;
  const rest = candidate.slice(schemeEnd);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  // "https:///acme.com" parses (the parser skips the extra slash) but is not what anyone meant.
  if (authority === '') return typeMismatch('an http(s) URL with a host', value);
  return validValue(`${url.protocol}//${authority.toLowerCase()}${tail}`);
}

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * `phone`: E.164 — "+" then 8 to 15 digits, the first not 0. Spaces, dots,
 * hyphens and parentheses between digits are dropped ("+1 (415) 555-0100" →
 * "+14155550100"). National numbers, "00" prefixes and numbers (not strings)
 * are a type mismatch: reading them needs a country, which is the phone
 * normalizer's job, not the schema's.
 */
export function coercePhone(value: unknown): FieldValidation {
  if (typeof value !== 'string') return typeMismatch('an E.164 phone number string (+ and 8-15 digits)', value);
  const compact = value.trim().replace(/[\s().-]/g, '');
  return E164.test(compact) ? validValue(compact) : typeMismatch('an E.164 phone number (+ and 8-15 digits)', value);
}
