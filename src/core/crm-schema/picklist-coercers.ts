import { typeMismatch, validValue, type FieldValidation } from './field-validation-result.js';
import { matchPicklist, type PicklistIndex } from './picklist-index.js';

/**
 * `picklist`: a string (trimmed; numbers and booleans are stringified) that
 * matches an ACTIVE option by value, else by label, compared by
 * `picklistKey` (case, accents and separators ignored) → the option's `value`. Inactive or unknown →
 * `CRM_PICKLIST_MISMATCH` with suggestions, unless the picklist is
 * unrestricted: then the text is accepted as sent, with a warning. A field
 * whose CRM lists no options accepts any non-empty text as sent.
 */
export function coercePicklist(value: unknown, index: PicklistIndex): FieldValidation {
  const text = optionText(value);
  if (text === undefined) return typeMismatch('a picklist option (string)', value);
  if (text === '') return validValue(null);
  const match = matchPicklist(index, text);
  if (match.ok) return validValue(match.value);
  return index.restricted ? mismatch('the value', match) : { ok: true, value: text, warning: unlisted('the value', match) };
}

/**
 * `multi_picklist`: an array, or a string split on ";" (HubSpot's encoding).
 * Each element is trimmed and matched as a picklist option; empty elements are
 * dropped; duplicates (after matching) are removed keeping first-seen order.
 * No elements left → null. The first failing element fails the whole value;
 * on an unrestricted picklist it is kept as sent, and the value carries a warning.
 */
export function coerceMultiPicklist(value: unknown, index: PicklistIndex): FieldValidation {
  const elements: readonly unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(';') : [value];
  const chosen = new Set<string>();
  let warning: string | undefined;
  for (const [position, element] of elements.entries()) {
    const text = optionText(element);
    if (text === undefined) return typeMismatch(`picklist options (strings); element ${position + 1} is not`, element);
    if (text === '') continue;
    const match = matchPicklist(index, text);
    if (match.ok) chosen.add(match.value);
    else if (index.restricted) return mismatch(`element ${position + 1}`, match);
    else {
      warning ??= unlisted(`element ${position + 1}`, match);
      chosen.add(text);
    }
  }
  const list = chosen.size === 0 ? null : [...chosen];
  return warning === undefined ? validValue(list) : { ok: true, value: list, warning };
}

function optionText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return undefined;
}

// Names the rule, never the value (it may be personal data); the caller knows the field.
function unlisted(subject: string, match: Extract<ReturnType<typeof matchPicklist>, { ok: false }>): string {
  const why = match.inactiveOption === undefined ? 'is not an option of the picklist' : `matches the inactive option "${match.inactiveOption}"`;
  return `${subject} ${why}; written as sent, since the picklist is unrestricted`;
}

function mismatch(subject: string, match: Extract<ReturnType<typeof matchPicklist>, { ok: false }>): FieldValidation {
  const why = match.inactiveOption === undefined ? 'is not an option of the picklist' : `matches the inactive option "${match.inactiveOption}"`;
  return { ok: false, code: 'CRM_PICKLIST_MISMATCH', message: `${subject} ${why}`, suggestions: match.suggestions };
}
