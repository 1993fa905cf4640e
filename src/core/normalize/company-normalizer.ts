import { LeadsyncError } from '../errors/error-codes.js';
import { foldAccents } from './accent-folding.js';
import { notNormalized, type CompanyValue, type NormalizeResult, type NormalizerOverrides } from './normalizer-types.js';

/**
 * Company name -> `{ name }` (NORMALIZATION.md "company").
 *
 * Whitespace is trimmed and collapsed and trailing commas (and dashes, colons)
 * dropped. Legal-entity suffixes are stripped from the end, repeatedly ("Acme
 * Holdings Corporation Plc" -> "Acme Holdings"), written with or without dots
 * and commas ("S.A. de C.V.", "SA de CV", "Co.,Ltd."). A suffix is matched
 * word by word, so only whole trailing words go: "Limited Brands" and "AG
 * Barr" keep theirs. "Co" right after "&" or "and" is kept, being part of the
 * trading name ("Goldman Sachs & Co."). Nothing left is
 * NORMALIZE_COMPANY_EMPTY.
 *
 * A name typed all in upper or all in lower case is title-cased: words start
 * upper-case after a space, hyphen, slash, dot or opening bracket and after
 * an "O'"/"D'"/"L'" or "Mc" prefix ("O'Reilly", "McDonald's"); "of/and/the/
 * de/…" stay lower-case inside the name. In an all-upper name, words without
 * a vowel ("HSBC", "KPMG"), with a digit or "&" ("3M", "AT&T") and two-letter
 * words ("GE", "HP") are kept as acronyms; other all-caps words are
 * title-cased ("IBM" -> "Ibm": the rule is about how the name was typed).
 * Mixed case is kept as typed. Accents and inner punctuation are kept.
 */
export type CompanyNormalizer = (value: string) => NormalizeResult<CompanyValue>;

/** Default legal-entity suffixes (NORMALIZATION.md, plus a few more legal forms of the same families). */
export const COMPANY_SUFFIXES: readonly string[] = [
  'Inc', 'Incorporated', 'Corp', 'Corporation', 'Co', 'LLC', 'L.L.C.', 'LLP', 'LP', 'Ltd', 'Limited', 'PLC', 'GmbH', 'AG',
  'Aktiengesellschaft', 'SE', 'SA', 'SAS', 'SARL', 'SRL', 'SpA', 'BV', 'NV', 'AB', 'AS', 'ASA', 'A/S', 'Oy', 'Oyj', 'Pty',
  'Pty Ltd', 'KK', 'Sdn Bhd', 'Pte Ltd', 'Pvt Ltd', 'Private Limited', 'S.A. de C.V.', 'sp. z o.o.', 'Kft',
  // Same families, same meaning; kept short on purpose (no "Company", "Group", "Holdings": those are names).
  'KG', 'KGaA', 'GmbH & Co. KG', 'Ltda', 'S.L.', 'PLLC', 'S.A.B. de C.V.', 'S. de R.L.', 'S. de R.L. de C.V.', 'Pte', 'Pvt',
];

// A word of a name as compared with suffixes: accents folded, case, dots, commas and slashes ignored ("A/S" = "as").
function suffixWord(word: string): string {
  return ASCII_LETTERS.test(word) ? word.toLowerCase() : foldAccents(word).replace(/[.,/]/g, '');
}
const ASCII_LETTERS = /^[a-z]+$/i;
const SEPARATOR_WORD = /^[-\u2013\u2014:;]+$/;

const WHITESPACE = /\s+/g;
const TRAILING_SEPARATORS = /[\s,;:\u2013\u2014-]+$/;
const CONNECTORS = new Set(['&', 'and', 'und', 'et', 'y', 'e']);

const HAS_UPPER = /\p{Lu}/u;
const HAS_LOWER = /\p{Ll}/u;
const VOWEL = /[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ]/i;
const MINOR_WORDS = new Set(['of', 'and', 'the', 'for', 'at', 'in', 'on', 'to', 'de', 'del', 'der', 'den', 'des', 'du', 'da', 'do', 'dos', 'das', 'la', 'le', 'les', 'van', 'von', 'y', 'e', 'et', 'und']);
const COMMON_TWO_LETTER = new Set(['co', 'of', 'to', 'in', 'on', 'at', 'by', 'an', 'as', 'or', 'is', 'it', 'my', 'go', 'up', 'we', 'no', 'so', 'do', 'be', 'me', 'he', 'de', 'da', 'du', 'la', 'le', 'el', 'di']);
const ELISION = /^([odl])'(\p{L})/iu;
const MC_PREFIX = /^Mc(\p{Ll})(?=\p{L}{2})/u;

// Upper-case of one letter as a word's first letter: "ß" -> "Ss", "ﬁ" -> "Fi" (toUpperCase gives "SS", "FI").
function initial(letter: string): string {
  const upper = letter.toUpperCase();
  return upper.length > 1 ? upper.charAt(0) + upper.slice(1).toLowerCase() : upper;
}

function capitalise(word: string): string {
  const lower = word.toLowerCase();
  // Upper-case the first letter of every part after a separator: "coca-cola" -> "Coca-Cola", "j.p." -> "J.P.".
  const parts = lower.replace(/(^|[-/.(["“‘])(\p{L})/gu, (_m, sep: string, letter: string) => sep + initial(letter));
  return parts
    .replace(ELISION, (_m, prefix: string, letter: string) => `${prefix.toUpperCase()}'${initial(letter)}`)
    .replace(MC_PREFIX, (_m, letter: string) => `Mc${initial(letter)}`);
}

function titleCase(name: string, allUpper: boolean): string {
  const words = name.split(' ');
  return words
    .map((word, index) => {
      const letters = word.replace(/[^\p{L}\p{N}&]/gu, '');
      if (allUpper && letters.length > 0) {
        const acronym =
          /[\d&]/.test(letters) || (letters.length >= 2 && !VOWEL.test(letters)) || (letters.length === 2 && !COMMON_TWO_LETTER.has(letters.toLowerCase()));
        if (acronym) return word;
      }
      const lower = word.toLowerCase();
      if (index > 0 && index < words.length - 1 && MINOR_WORDS.has(lower)) return lower;
      return capitalise(word);
    })
    .join(' ');
}

// Words are runs between spaces and commas ("Co.,Ltd." is two), with their offsets.
function splitWords(name: string): { words: string[]; starts: number[] } {
  const words: string[] = [];
  const starts: number[] = [];
  for (let i = 0, start = -1; i <= name.length; i++) {
    const code = i < name.length ? name.charCodeAt(i) : 32;
    if (code !== 32 && code !== 44) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      words.push(name.slice(start, i));
      starts.push(start);
      start = -1;
    }
  }
  return { words, starts };
}

/** Creates the company normalizer with the config's extra suffixes compiled in. */
export function createCompanyNormalizer(overrides: NormalizerOverrides['company'] = {}): CompanyNormalizer {
  // Suffixes by their last word, each as its word list, longest first.
  const byLastWord = new Map<string, string[][]>();
  for (const suffix of [...COMPANY_SUFFIXES, ...(overrides.suffixes ?? [])]) {
    const words = suffix.split(/[\s,]+/).map(suffixWord).filter((word) => word.length > 0);
    const last = words[words.length - 1];
    if (last === undefined) throw new LeadsyncError('CONFIG_INVALID', `normalizers.company.suffixes: "${suffix}" has no letters`);
    const list = byLastWord.get(last) ?? [];
    list.push(words);
    byLastWord.set(last, list);
  }
  for (const list of byLastWord.values()) list.sort((a, b) => b.length - a.length);

  /** How many words remain once trailing suffixes are stripped from `words` (keys computed lazily, from the end). */
  const keptWords = (words: readonly string[]): number => {
    const keys: string[] = [];
    const key = (index: number): string => (keys[index] ??= suffixWord(words[index] as string));
    let count = words.length;
    while (count > 0) {
      // A lone dash or colon between name and suffix ("Acme - Ltd") goes with the suffix.
      if (count < words.length && SEPARATOR_WORD.test(words[count - 1] as string)) {
        count--;
        continue;
      }
      const candidates = byLastWord.get(key(count - 1));
      const suffix = candidates?.find((candidate) => {
        const first = count - candidate.length;
        if (first < 0 || !candidate.every((word, k) => key(first + k) === word)) return false;
        // "Goldman Sachs & Co.": "Co" after "&"/"and" is part of the trading name.
        return !(candidate.length === 1 && candidate[0] === 'co' && first > 0 && CONNECTORS.has(key(first - 1)));
      });
      if (!suffix) break;
      count -= suffix.length;
    }
    return count;
  };

  return (value: string): NormalizeResult<CompanyValue> => {
    let name = value.replace(WHITESPACE, ' ').trim().replace(TRAILING_SEPARATORS, '');
    if (name === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The company name is empty');
    // Repeat until a pass strips nothing: trimming what a suffix leaves behind ("Acme Inc; Ltd") can expose another.
    for (;;) {
      const { words, starts } = splitWords(name);
      const kept = keptWords(words);
      if (kept === 0) return notNormalized('NORMALIZE_COMPANY_EMPTY', `"${value.trim()}" is only a legal-entity suffix`);
      if (kept === words.length) break;
      name = name.slice(0, starts[kept]).replace(TRAILING_SEPARATORS, '');
    }
    const upper = HAS_UPPER.test(name);
    const lower = HAS_LOWER.test(name);
    if (upper !== lower) name = titleCase(name, upper);
    return { ok: true, value: { name } };
  };
}
