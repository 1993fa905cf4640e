import { LeadsyncError } from '../errors/error-codes.js';
import { INTENT_LEVELS, notNormalized, type IntentLevel, type IntentValue, type NormalizeResult, type NormalizerOverrides } from './normalizer-types.js';

/**
 * Intent signal -> `{ score, level }` (NORMALIZATION.md "intent").
 *
 * - A plain number in [0, 1] is a fraction: 0.42 -> 42, and 1 -> 100 (so "1"
 *   is never the score 1).
 * - A plain number in (1, 100] is a score: 1.5 -> 2.
 * - "NN%" (optional spaces before "%") is a percentage, i.e. a score in
 *   [0, 100]: "0.5%" -> 1, "42%" -> 42, "100%" -> 100.
 * - Scores round half up to integers, computed from the decimal digits so
 *   0.285 -> 29 (not the 28 binary floating point would give).
 * - Levels: score < medium -> low, < high -> medium, else high. (Default: 40 / 70)
 * - Words (any case): hot/high/strong -> high, warm/medium/moderate -> medium,
 *   cold/low/weak -> low, with score null; config words are added or replace.
 * Anything else (negative, above 100, exponents, "0,5", "1/2", other words)
 * is NORMALIZE_INTENT_INVALID. Numbers are accepted as JSON numbers too.
 */
export type IntentNormalizer = (value: string | number) => NormalizeResult<IntentValue>;

/** Default level words. */
export const INTENT_WORDS: Readonly<Record<string, IntentLevel>> = {
  hot: 'high', high: 'high', strong: 'high',
  warm: 'medium', medium: 'medium', moderate: 'medium',
  cold: 'low', low: 'low', weak: 'low',
};

const DECIMAL = /^\+?(\d*)(?:\.(\d*))?$/;
const PERCENT = /^(.*?)\s*%$/;

/** The number a decimal string denotes, times 10^shift, rounded half up; undefined if it is not a plain decimal. */
function roundedShifted(text: string, shift: number): number | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (whole === '' && fraction === '') return undefined;
  // Move the decimal point in the digits themselves, so no binary rounding error creeps in.
  const digits = whole + fraction.padEnd(shift, '0');
  const pointAt = whole.length + shift;
  const integer = Number(digits.slice(0, pointAt) || '0');
  const firstDropped = digits.charCodeAt(pointAt);
  return firstDropped >= 53 /* '5' */ && firstDropped <= 57 ? integer + 1 : integer;
}

/** Exact value of a decimal string, for range checks. */
function decimalValue(text: string): number | undefined {
  return DECIMAL.test(text) && text !== '' && text !== '+' && text !== '.' && text !== '+.' ? Number(text) : undefined;
}

/** Creates the intent normalizer with the config's words and thresholds compiled in. */
export function createIntentNormalizer(overrides: NormalizerOverrides['intent'] = {}): IntentNormalizer {
  const medium = overrides.thresholds?.medium ?? 40;
  const high = overrides.thresholds?.high ?? 70;
  if (!(medium >= 0 && high <= 100 && medium <= high)) {
    throw new LeadsyncError('CONFIG_INVALID', `normalizers.intent.thresholds: need 0 <= medium (${medium}) <= high (${high}) <= 100`);
  }
  const words = new Map<string, IntentLevel>(Object.entries(INTENT_WORDS));
  for (const [word, level] of Object.entries(overrides.words ?? {})) {
    if (!(INTENT_LEVELS as readonly string[]).includes(level)) {
      throw new LeadsyncError('CONFIG_INVALID', `normalizers.intent.words.${word}: "${level}" is not one of ${INTENT_LEVELS.join(', ')}`);
    }
    words.set(word.trim().toLowerCase(), level);
  }
  // Scores are integers 0..100: one shared result object each, and one per level for words.
  const scored = Array.from({ length: 101 }, (_, score) => {
    const level: IntentLevel = score < medium ? 'low' : score < high ? 'medium' : 'high';
    return Object.freeze({ ok: true as const, value: Object.freeze({ score, level }) });
  });
  const worded = new Map<IntentLevel, NormalizeResult<IntentValue>>(
    INTENT_LEVELS.map((level) => [level, Object.freeze({ ok: true as const, value: Object.freeze({ score: null, level }) })]),
  );

  const invalid = (value: string | number): NormalizeResult<IntentValue> =>
    notNormalized('NORMALIZE_INTENT_INVALID', `"${String(value)}" is not a 0..1 fraction, a 0..100 score, a percentage or a known level word`);

  return (value: string | number): NormalizeResult<IntentValue> => {
    const text = (typeof value === 'number' ? (Number.isFinite(value) ? numberText(value) : 'x') : value).trim().toLowerCase();
    if (text === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The intent value is empty');

    const level = words.get(text);
    if (level !== undefined) return worded.get(level) ?? invalid(value);

    let score: number | undefined;
    const percent = PERCENT.exec(text);
    if (percent) {
      const number = decimalValue(percent[1] as string);
      if (number !== undefined && number <= 100) score = roundedShifted(percent[1] as string, 0);
    } else {
      const number = decimalValue(text);
      if (number !== undefined && number <= 1) score = roundedShifted(text, 2);
      else if (number !== undefined && number <= 100) score = roundedShifted(text, 0);
    }
    return (score === undefined ? undefined : scored[score]) ?? invalid(value);
  };
}

// JSON numbers: plain decimal notation, so 1e-7 is read as 0.0000001 rather than refused for its exponent.
function numberText(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20).replace(/0+$/, '') : text;
}
