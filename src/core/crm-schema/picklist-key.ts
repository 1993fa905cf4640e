const COMBINING_MARKS = /\p{M}+/gu;
const SEPARATOR_RUNS = /[\s_-]+/g;
const ALREADY_PLAIN = /^[a-z0-9]+(?: [a-z0-9]+)*$/;
const ASCII_ONLY = /^\p{ASCII}*$/u;

/**
 * The key under which picklist values and labels are compared: NFKD, combining
 * marks (accents) removed, lower case, runs of spaces, underscores and hyphens
 * collapsed to one space, trimmed. "Société Générale", "societe_generale" and
 * "SOCIETE-GENERALE" share the key "societe generale". Other punctuation is
 * kept: "C++" and "C" must stay different options.
 */
export function picklistKey(text: string): string {
  // Most option values are already plain; skipping NFKD for them keeps the hot path cheap.
  if (ALREADY_PLAIN.test(text)) return text;
  // NFKD leaves ASCII unchanged and ASCII has no combining marks, so both steps can be skipped.
  if (ASCII_ONLY.test(text)) return text.toLowerCase().replace(SEPARATOR_RUNS, ' ').trim();
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase().replace(SEPARATOR_RUNS, ' ').trim();
}
