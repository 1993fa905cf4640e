import { stringify } from 'yaml';
import type { CrmSchema } from '../core/crm-schema/crm-schema-types.js';
import { canonicalJson } from '../core/hashing/canonical-json.js';
import { sha256Hex } from '../core/hashing/sha256.js';

/** A CRM schema as `leadsync schema pull` writes it: the schema document format plus where and when it came from. */
export interface PulledSchema {
  /** `<kind>-<first 12 hex digits of sha256>`: changes exactly when the schema does; recorded in every audit record. */
  readonly version: string;
  readonly sha256: string;
  readonly pulledAt: string;
  readonly destination: string;
  /** The file's content (YAML), in the format `destination.schemaFile` accepts. */
  readonly yaml: string;
  readonly objects: number;
  readonly fields: number;
  /** Picklist fields the CRM gave no options for (HubSpot pipeline stages): written as `string`, since a picklist needs options. */
  readonly picklistsWithoutOptions: readonly string[];
}

/**
 * Turns a described CRM schema into a versioned schema file. The hash is
 * over the canonical JSON of `objects` exactly as written (defaults left
 * out), so a pulled file can be checked for edits (`verifyPulledSchema`).
 */
export function pulledSchemaDocument(schema: CrmSchema, destination: string, pulledAt: Date): PulledSchema {
  const objects: Record<string, { label?: string; fields: Record<string, Record<string, unknown>> }> = {};
  const withoutOptions: string[] = [];
  let fieldCount = 0;
  for (const objectName of Object.keys(schema.objects).sort()) {
    const object = schema.objects[objectName];
    if (!object) continue;
    const fields: Record<string, Record<string, unknown>> = {};
    for (const fieldName of Object.keys(object.fields).sort()) {
      const field = object.fields[fieldName];
      if (!field) continue;
      fieldCount += 1;
      const isPicklist = field.type === 'picklist' || field.type === 'multi_picklist';
      const emptyPicklist = isPicklist && (field.options ?? []).length === 0;
      if (emptyPicklist) withoutOptions.push(`${objectName}.${fieldName}`);
      fields[fieldName] = {
        type: emptyPicklist ? 'string' : field.type,
        ...(field.label !== fieldName ? { label: field.label } : {}),
        ...(field.required ? { required: true } : {}),
        ...(field.readOnly ? { readOnly: true } : {}),
        ...(field.unique ? { unique: true } : {}),
        ...(field.maxLength === undefined ? {} : { maxLength: field.maxLength }),
        ...(isPicklist && !emptyPicklist
          ? {
              options: (field.options ?? []).map((option) =>
                option.active && option.label === option.value ? option.value : { value: option.value, ...(option.label !== option.value ? { label: option.label } : {}), ...(option.active ? {} : { active: false }) },
              ),
            }
          : {}),
        // Written only when false, so files pulled before the flag existed (and HubSpot's) keep their hash.
        ...(isPicklist && !emptyPicklist && field.restricted === false ? { restricted: false } : {}),
      };
    }
    objects[objectName] = { ...(object.label !== objectName ? { label: object.label } : {}), fields };
  }
  const sha256 = sha256Hex(canonicalJson(objects));
  const version = `${destination}-${sha256.slice(0, 12)}`;
  const at = pulledAt.toISOString();
  const header = `# Pulled from the ${destination} CRM by \`leadsync schema pull\` at ${at}.\n# Do not edit: pull again instead. \`leadsync check\` reports a file whose objects no longer match sha256.\n`;
  const yaml = header + stringify({ version, destination, pulledAt: at, sha256, objects }, { lineWidth: 0 });
  return { version, sha256, pulledAt: at, destination, yaml, objects: Object.keys(objects).length, fields: fieldCount, picklistsWithoutOptions: withoutOptions };
}

/**
 * Whether a schema file's `objects` (as parsed from the file, before
 * defaults are filled in) still hash to its `sha256`: `unpulled` for a
 * hand-written file without one.
 */
export function verifyPulledSchema(raw: unknown): 'unpulled' | 'intact' | 'edited' {
  if (raw === null || typeof raw !== 'object') return 'unpulled';
  const { sha256, objects } = raw as { sha256?: unknown; objects?: unknown };
  if (typeof sha256 !== 'string') return 'unpulled';
  return sha256Hex(canonicalJson(objects)) === sha256 ? 'intact' : 'edited';
}
