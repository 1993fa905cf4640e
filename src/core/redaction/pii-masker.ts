/**
 * Masks personal data in free text before it reaches a log line: email
 * addresses keep their first letter and domain (`a***@example.com`), runs of
 * digits that look like a phone number become `[phone]`. Pure, so the logger
 * and anything else that prints text can share it.
 */

// Local part, "@", then a dotted domain ending in letters: what an address in a message or trace looks like.
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;

// An optional "+", digits with spaces, dots, dashes, slashes or parentheses between them, not glued to a word or id
// (so hex digests, UUID groups and "lead-1234567" stay as they are). Candidates are checked by `looksLikePhone`.
const PHONE_CANDIDATE = /(?<![\w+-])\+?\(?\d[\d ()./-]{5,}\d(?![\w-])/g;

const DATE_LIKE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DECIMAL = /^\d+\.\d+$/;

/** The mask for a phone-number-like digit run. */
export const PHONE_MASK = '[phone]';

/** Masks email addresses and phone-number-like digit runs in `text`. */
export function maskPii(text: string): string {
  // Most log strings hold neither an "@" nor seven digits; skip the regex work for them.
  if (!text.includes('@') && !/\d{3}/.test(text)) return text;
  return text.replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`).replace(PHONE_CANDIDATE, (candidate) => (looksLikePhone(candidate) ? PHONE_MASK : candidate));
}

/** Seven to fifteen digits (E.164 allows 15) that are not a date, an IPv4 address or a decimal number. */
function looksLikePhone(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  return !DATE_LIKE.test(candidate) && !IPV4.test(candidate) && !DECIMAL.test(candidate);
}
