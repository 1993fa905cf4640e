import type { FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { StoredField, StoredFields } from './sandbox-crm-tables.js';

/**
 * A SQLite sandbox record's `crm_records.fields_json` in the compact form:
 * `[<at>, <by>, {"<field>": <value>}]`, plus a fourth element
 * `{"<field>": [<at>, <by>]}` naming the fields whose last change is not the
 * row's own (at, by) pair — omitted when there are none. The row's pair is
 * the one most of its fields share (the first seen on a tie): a record's
 * fields mostly change in one write. Field order is kept.
 *
 * The first layout, `{"<field>": {"v": <value>, "at": <at>, "by": <by>}}`,
 * repeated the member names, the time and the writer for every field (about
 * 1 KB for a contact of 13 fields instead of about 0.4). `ensureSandboxCrmTables`
 * converts such rows when it opens a database; the decoders still read them.
 */
type CompactRecord = readonly [string, string, Record<string, Exclude<FieldValue, null>>, Record<string, readonly [string, string]>?];

/** Sets `fields[name]`; a field named "__proto__" must stay a field (assignment would set the prototype; defineProperty is slower, so only then). */
function put<T>(fields: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  else fields[name] = value;
}

/** Whether stored JSON is a row of the first layout (an object rather than an array). */
function isFirstLayout(json: string): boolean {
  return json.charCodeAt(0) === 0x7b; // "{"
}

/** A stored record's fields with their last change, in stored order: what an upsert plans against. */
export function decodeSandboxRecord(json: string): StoredFields {
  if (isFirstLayout(json)) return JSON.parse(json) as StoredFields;
  const [at, by, values, others] = JSON.parse(json) as CompactRecord;
  const fields: StoredFields = {};
  for (const name of Object.keys(values)) {
    const value = values[name];
    if (value === undefined) continue;
    const pair = others !== undefined && Object.hasOwn(others, name) ? others[name] : undefined;
    put<StoredField>(fields, name, pair === undefined ? { v: value, at, by } : { v: value, at: pair[0], by: pair[1] });
  }
  return fields;
}

/** A stored record's field values by name, in name order (as a CRM's API lists properties): what a read returns. */
export function sandboxRecordProperties(json: string): Record<string, FieldValue> {
  const properties: Record<string, FieldValue> = {};
  if (isFirstLayout(json)) {
    const stored = JSON.parse(json) as StoredFields;
    for (const name of Object.keys(stored).sort()) put<FieldValue>(properties, name, stored[name]?.v ?? null);
  } else {
    const stored = (JSON.parse(json) as CompactRecord)[2];
    for (const name of Object.keys(stored).sort()) put<FieldValue>(properties, name, stored[name] ?? null);
  }
  return properties;
}

/** The (at, by) pair most of the fields share, the first seen on a tie; undefined for no fields. */
function commonChange(fields: StoredFields, names: readonly string[]): StoredField | undefined {
  const first = names.length > 0 ? fields[names[0] ?? ''] : undefined;
  if (first === undefined) return undefined;
  // Most records: every field written by one write (a created record), so no counting.
  let uniform = true;
  for (const name of names) {
    const field = fields[name];
    if (field !== undefined && (field.at !== first.at || field.by !== first.by)) {
      uniform = false;
      break;
    }
  }
  if (uniform) return first;
  const counts = new Map<string, { field: StoredField; n: number }>();
  for (const name of names) {
    const field = fields[name];
    if (field === undefined) continue;
    const pair = `${field.at}\u0000${field.by}`;
    const counted = counts.get(pair);
    if (counted === undefined) counts.set(pair, { field, n: 1 });
    else counted.n += 1;
  }
  // Map order is first-seen order, so a tie goes to the pair seen first (as the conversion of old rows chooses).
  let best: { field: StoredField; n: number } | undefined;
  for (const counted of counts.values()) if (best === undefined || counted.n > best.n) best = counted;
  return best?.field;
}

/** Encodes a record's fields: the (at, by) pair most fields share becomes the row's own (the first seen on a tie). */
export function encodeSandboxRecord(fields: StoredFields): string {
  const names = Object.keys(fields);
  const common = commonChange(fields, names);
  const at = common?.at ?? '';
  const by = common?.by ?? '';
  const values: Record<string, Exclude<FieldValue, null>> = {};
  let others: Record<string, readonly [string, string]> | undefined;
  for (const name of names) {
    const field = fields[name];
    if (field === undefined) continue;
    put(values, name, field.v);
    if (field.at !== at || field.by !== by) put((others ??= {}), name, [field.at, field.by] as const);
  }
  return JSON.stringify(others === undefined ? [at, by, values] : [at, by, values, others]);
}

/**
 * SQL for the compact form of a first-layout row `fields_json` (`ensureSandboxCrmTables`'
 * conversion): the same pair choice and field order as `encodeSandboxRecord`.
 */
export const COMPACT_FIRST_LAYOUT_SQL = `(
  SELECT CASE WHEN count(*) = 0 THEN json_array('', '', json_object())
    WHEN sum(f.value ->> '$.at' IS NOT d.at OR f.value ->> '$.by' IS NOT d.by) = 0
      THEN json_array(d.at, d.by, json_group_object(f.key, f.value -> '$.v'))
    ELSE json_array(d.at, d.by, json_group_object(f.key, f.value -> '$.v'),
      json_group_object(f.key, json_array(f.value ->> '$.at', f.value ->> '$.by'))
        FILTER (WHERE f.value ->> '$.at' IS NOT d.at OR f.value ->> '$.by' IS NOT d.by))
    END
  FROM json_each(crm_records.fields_json) AS f,
    (SELECT g.value ->> '$.at' AS at, g.value ->> '$.by' AS by
     FROM json_each(crm_records.fields_json) AS g
     GROUP BY 1, 2 ORDER BY count(*) DESC, min(g.id) LIMIT 1) AS d
)`;
