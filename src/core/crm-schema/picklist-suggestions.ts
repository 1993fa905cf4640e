import { picklistKey } from './picklist-key.js';

/** One active option as the suggester sees it, with keys computed once per schema. */
export interface SuggestionCandidate {
  readonly value: string;
  readonly valueKey: string;
  readonly labelKey: string;
}

/** How many options a mismatch suggests. */
export const MAX_SUGGESTIONS = 3;
/**
 * Options scoring below this are not "near" and are not suggested; it needs
 * roughly half the characters to match, or a shared word or substring.
 */
export const MIN_SUGGESTION_SCORE = 0.3;
// Edit distance is O(n·m); keys are cut so a megabyte of junk cannot stall a worker.
const MAX_KEY_LENGTH = 64;

/**
 * The nearest active options to a value that matched none, best first, at
 * most {@link MAX_SUGGESTIONS}. Each option scores the better of its value
 * key and label key under {@link scoreKeys}; ties keep the CRM's option
 * order, so suggestions are deterministic.
 */
export function suggestOptions(input: string, candidates: readonly SuggestionCandidate[]): string[] {
  const key = picklistKey(input).slice(0, MAX_KEY_LENGTH);
  const scored: { value: string; score: number; order: number }[] = [];
  candidates.forEach((candidate, order) => {
    const score = Math.max(scoreKeys(key, candidate.valueKey), scoreKeys(key, candidate.labelKey));
    if (score >= MIN_SUGGESTION_SCORE) scored.push({ value: candidate.value, score, order });
  });
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored.slice(0, MAX_SUGGESTIONS).map((entry) => entry.value);
}

/**
 * Similarity of two picklist keys in [0, 1]:
 * `0.6 × (1 − levenshtein / longer length)`
 * `+ 0.2 × (one key contains the other, the shorter having ≥ 3 characters)`
 * `+ 0.2 × (Jaccard overlap of their space-separated words)`.
 * Edit distance catches typos ("enterprize" → "enterprise"); containment and
 * word overlap catch partial names ("software" → "computer software").
 */
export function scoreKeys(inputKey: string, optionKey: string): number {
  const option = optionKey.slice(0, MAX_KEY_LENGTH);
  const longer = Math.max(inputKey.length, option.length);
  if (longer === 0) return 0;
  const editSimilarity = 1 - levenshtein(inputKey, option) / longer;
  const shorter = Math.min(inputKey.length, option.length);
  const contains = shorter >= 3 && (inputKey.includes(option) || option.includes(inputKey)) ? 1 : 0;
  return 0.6 * editSimilarity + 0.2 * contains + 0.2 * wordOverlap(inputKey, option);
}

function wordOverlap(a: string, b: string): number {
  const wordsA = new Set(a.split(' ').filter((word) => word !== ''));
  const wordsB = new Set(b.split(' ').filter((word) => word !== ''));
  let shared = 0;
  for (const word of wordsA) if (wordsB.has(word)) shared += 1;
  const union = wordsA.size + wordsB.size - shared;
  return union === 0 ? 0 : shared / union;
}

/** Levenshtein distance over UTF-16 code units with one rolling row. */
function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const row: number[] = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
