/**
 * Folds a picklist synonym or value for comparison: accents removed, case
 * ignored, runs of spaces, "_" and "-" treated as one space. "Vice-President"
 * and "vice president" fold alike.
 */
export function foldKey(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}
