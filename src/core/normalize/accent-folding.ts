// Letters that NFD does not decompose but people type without their mark.
const EXTRA_FOLDS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  ı: 'i',
  þ: 'th',
  ð: 'd',
};
const EXTRA_FOLD_PATTERN = /[ßøæœłđıþð]/g;
const LATIN_MARKS = /[\u0300-\u036f]/g;
// eslint-disable-next-line no-control-regex -- the range is "anything outside ASCII", not control characters
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Lower-cases and removes Latin/Greek/Cyrillic accents ("Österreich" ->
 * "osterreich", "Straße" -> "strasse"). Only the combining diacritics block is
 * removed, so the vowel signs of scripts such as Devanagari or Thai, which are
 * letters there, stay. ASCII input takes a fast path.
 */
export function foldAccents(text: string): string {
  const lower = text.toLowerCase();
  if (!NON_ASCII.test(lower)) return lower;
  return lower
    .normalize('NFD')
    .replace(LATIN_MARKS, '')
    .replace(EXTRA_FOLD_PATTERN, (letter) => EXTRA_FOLDS[letter] ?? letter)
    .normalize('NFC');
}
