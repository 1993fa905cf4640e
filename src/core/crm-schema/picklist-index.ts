import type { PicklistOption } from './crm-schema-types.js';
import { picklistKey } from './picklist-key.js';
import { suggestOptions, type SuggestionCandidate } from './picklist-suggestions.js';

/** Lookup maps of one picklist field, built once per schema by `compileSchema`. */
export interface PicklistIndex {
  /**
   * False when the CRM describes no options (HubSpot `externalOptions` fields
   * such as owners and pipeline stages): values then pass unchecked.
   */
  readonly hasOptions: boolean;
  /** False for an unrestricted picklist: values matching no active option pass as sent, with a warning. */
  readonly restricted: boolean;
  readonly activeByValue: ReadonlySet<string>;
  readonly activeByValueKey: ReadonlyMap<string, string>;
  readonly activeByLabelKey: ReadonlyMap<string, string>;
  /** Value or label key of an inactive option → its value, for a precise message. */
  readonly inactiveByKey: ReadonlyMap<string, string>;
  readonly candidates: readonly SuggestionCandidate[];
  /**
   * Results of recent non-exact lookups. Sources repeat the same few spellings
   * ("Mid Market", "Société Générale") millions of times, and a key plus
   * suggestions costs 1–40 µs against ~0.1 µs for a map hit. Bounded by
   * {@link MATCH_MEMO_SIZE}; the result of a lookup never depends on it.
   */
  readonly memo: Map<string, PicklistMatch>;
}

/** Most remembered lookups per picklist field; the memo is emptied when full. */
export const MATCH_MEMO_SIZE = 512;

/** Builds the maps; on key collisions the first option in CRM order wins. */
export function buildPicklistIndex(options: readonly PicklistOption[] | undefined, restricted = true): PicklistIndex {
  const activeByValue = new Set<string>();
  const activeByValueKey = new Map<string, string>();
  const activeByLabelKey = new Map<string, string>();
  const inactiveByKey = new Map<string, string>();
  const candidates: SuggestionCandidate[] = [];
  for (const option of options ?? []) {
    const valueKey = picklistKey(option.value);
    const labelKey = picklistKey(option.label);
    // `active` is documented as defaulting to true; schemas read from JSON may omit it.
    if ((option.active as boolean | undefined) === false) {
      setFirst(inactiveByKey, valueKey, option.value);
      setFirst(inactiveByKey, labelKey, option.value);
      continue;
    }
    activeByValue.add(option.value);
    setFirst(activeByValueKey, valueKey, option.value);
    setFirst(activeByLabelKey, labelKey, option.value);
    candidates.push({ value: option.value, valueKey, labelKey });
  }
  return { hasOptions: (options?.length ?? 0) > 0, restricted, activeByValue, activeByValueKey, activeByLabelKey, inactiveByKey, candidates, memo: new Map() };
}

function setFirst(map: Map<string, string>, key: string, value: string): void {
  if (!map.has(key)) map.set(key, value);
}

/** The outcome of matching one trimmed, non-empty text against a picklist. */
export type PicklistMatch =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly inactiveOption: string | undefined; readonly suggestions: readonly string[] };

/**
 * Matches an active option: exact value first (so a value always maps to
 * itself even when two values share a key), then value key, then label key.
 * An input that only matches an inactive option fails and names it.
 */
export function matchPicklist(index: PicklistIndex, text: string): PicklistMatch {
  if (!index.hasOptions || index.activeByValue.has(text)) return { ok: true, value: text };
  const remembered = index.memo.get(text);
  if (remembered !== undefined) return remembered;
  const match = matchByKey(index, text);
  if (index.memo.size >= MATCH_MEMO_SIZE) index.memo.clear();
  index.memo.set(text, match);
  return match;
}

function matchByKey(index: PicklistIndex, text: string): PicklistMatch {
  const key = picklistKey(text);
  const matched = index.activeByValueKey.get(key) ?? index.activeByLabelKey.get(key);
  if (matched !== undefined) return { ok: true, value: matched };
  return { ok: false, inactiveOption: index.inactiveByKey.get(key), suggestions: suggestOptions(text, index.candidates) };
}
