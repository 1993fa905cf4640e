import type { FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { FieldStateEntry } from '../../ports/field-state-store.js';

/** A field as stored: value and confidence, plus appliedAt and source when they are not the row's own. */
export type StoredFieldTuple = readonly [FieldValue, number] | readonly [FieldValue, number, string, string];

/**
 * A row of `field_state.fields_json` (migration 009):
 * `[appliedAt, source, {"<field>": [value, confidence] | [value, confidence, appliedAt, source]}]`.
 * The short form takes the row's appliedAt and source: the pair most of its
 * fields share, since a record's fields mostly come from one event.
 */
type StoredRow = readonly [string, string, Record<string, StoredFieldTuple>];

/** A row's fields in full form, by name, in stored order: what an update edits before the row is encoded again. */
export type FieldTuples = Record<string, readonly [FieldValue, number, string, string]>;

/** Sets `fields[name]`; a field named "__proto__" must stay a field (assignment would set the prototype; defineProperty is slower, so only then). */
function put<T>(fields: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  else fields[name] = value;
}

/** A stored row as the port's entries, in stored field order. */
export function decodeFieldStateRow(json: string): Record<string, FieldStateEntry> {
  const [appliedAt, source, stored] = JSON.parse(json) as StoredRow;
  const fields: Record<string, FieldStateEntry> = {};
  for (const name of Object.keys(stored)) {
    const tuple = stored[name];
    if (tuple === undefined) continue;
    put(fields, name, tuple.length === 2
      ? { value: tuple[0], appliedAt, confidence: tuple[1], source }
      : { value: tuple[0], appliedAt: tuple[2], confidence: tuple[1], source: tuple[3] });
  }
  return fields;
}

/** A stored row in full form, for an update to edit (`put` a tuple per changed field) and `encodeFieldStateRow`. */
export function fieldStateTuples(json: string): FieldTuples {
  const [appliedAt, source, stored] = JSON.parse(json) as StoredRow;
  const fields: FieldTuples = {};
  for (const name of Object.keys(stored)) {
    const tuple = stored[name];
    if (tuple === undefined) continue;
    put(fields, name, tuple.length === 2 ? [tuple[0], tuple[1], appliedAt, source] : tuple);
  }
  return fields;
}

/** Sets one field of a row in full form. */
export function putFieldTuple(fields: FieldTuples, name: string, entry: FieldStateEntry): void {
  put<readonly [FieldValue, number, string, string]>(fields, name, [entry.value, entry.confidence, entry.appliedAt, entry.source]);
}

/** Encodes a row: the most common (appliedAt, source) pair becomes the row's own (the first one on a tie). */
export function encodeFieldStateRow(fields: FieldTuples): string {
  const names = Object.keys(fields);
  const counts = new Map<string, { tuple: readonly [FieldValue, number, string, string]; n: number }>();
  for (const name of names) {
    const tuple = fields[name];
    if (tuple === undefined) continue;
    const pair = `${tuple[2]}\u0000${tuple[3]}`;
    const counted = counts.get(pair);
    if (counted === undefined) counts.set(pair, { tuple, n: 1 });
    else counted.n += 1;
  }
  // Map order is first-seen order, so a tie goes to the pair seen first (as migration 009 chose).
  let best: { tuple: readonly [FieldValue, number, string, string]; n: number } | undefined;
  for (const counted of counts.values()) if (best === undefined || counted.n > best.n) best = counted;
  const appliedAt = best?.tuple[2] ?? '';
  const source = best?.tuple[3] ?? '';
  const stored: Record<string, StoredFieldTuple> = {};
  for (const name of names) {
    const tuple = fields[name];
    if (tuple === undefined) continue;
    put<StoredFieldTuple>(stored, name, tuple[2] === appliedAt && tuple[3] === source ? [tuple[0], tuple[1]] : tuple);
  }
  return JSON.stringify([appliedAt, source, stored]);
}
