import type { FieldValue } from '../crm-schema/crm-schema-types.js';

/**
 * Empty means "nothing to protect": null, undefined, "" (what CRMs return for
 * a blank text field) and [] (a multi-picklist with nothing selected).
 */
export function isEmptyFieldValue(value: FieldValue | undefined): boolean {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/**
 * Whether writing `proposed` over `current` would change nothing. All empty
 * forms are equal to each other; lists (multi-picklists) compare as sets, so
 * order and repeats do not matter; scalars compare strictly — "42" is not 42,
 * because adapters decode current values into the canonical types first.
 */
export function fieldValuesEqual(current: FieldValue | undefined, proposed: FieldValue | undefined): boolean {
  const currentEmpty = isEmptyFieldValue(current);
  const proposedEmpty = isEmptyFieldValue(proposed);
  if (currentEmpty || proposedEmpty) return currentEmpty && proposedEmpty;
  if (Array.isArray(current) || Array.isArray(proposed)) {
    if (!Array.isArray(current) || !Array.isArray(proposed)) return false;
    return sameSet(current as readonly string[], proposed as readonly string[]);
  }
  return current === proposed;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  if (setA.size !== setB.size) return false;
  for (const item of setA) if (!setB.has(item)) return false;
  return true;
}
