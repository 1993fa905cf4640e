import type { CrmFieldSchema, CrmObjectSchema, FieldType } from '../../core/crm-schema/crm-schema-types.js';

/** What the adapter keeps of one described field, to check and encode writes. */
export interface SalesforceFieldInfo {
  readonly name: string;
  readonly label: string;
  /** Salesforce's type, e.g. `string`, `double`, `picklist`. */
  readonly sfType: string;
  /** Our type; undefined for compound and binary types leadsync cannot write (address, location, base64). */
  readonly type: FieldType | undefined;
  readonly externalId: boolean;
  readonly idLookup: boolean;
  readonly crm: CrmFieldSchema | undefined;
}

export interface SalesforceObjectInfo {
  readonly name: string;
  readonly schema: CrmObjectSchema;
  /** Fields by lower-cased API name (Salesforce names are case-insensitive). */
  readonly fields: ReadonlyMap<string, SalesforceFieldInfo>;
}

/** A field of a describe answer (jsforce `Field`), as far as leadsync reads it. */
interface DescribeField {
  readonly name: string;
  readonly label?: string;
  readonly type: string;
  readonly length?: number;
  readonly nillable?: boolean;
  readonly createable?: boolean;
  readonly updateable?: boolean;
  readonly defaultedOnCreate?: boolean;
  readonly unique?: boolean;
  readonly externalId?: boolean;
  readonly idLookup?: boolean;
  readonly restrictedPicklist?: boolean;
  readonly picklistValues?: readonly { readonly value: string; readonly label?: string | null; readonly active?: boolean }[];
}

const TYPE_MAP: Readonly<Record<string, FieldType>> = {
  id: 'string',
  reference: 'string',
  string: 'string',
  encryptedstring: 'string',
  combobox: 'string',
  time: 'string',
  textarea: 'text',
  email: 'email',
  phone: 'phone',
  url: 'url',
  double: 'number',
  int: 'number',
  long: 'number',
  currency: 'number',
  percent: 'number',
  boolean: 'bool',
  date: 'date',
  datetime: 'datetime',
  picklist: 'picklist',
  multipicklist: 'multi_picklist',
};

const LENGTH_TYPES = new Set(['string', 'encryptedstring', 'combobox', 'textarea', 'email', 'phone', 'url']);

function isDescribeField(value: unknown): value is DescribeField {
  return typeof value === 'object' && value !== null && typeof (value as DescribeField).name === 'string' && typeof (value as DescribeField).type === 'string';
}

/**
 * Our schema of one sObject from its describe answer (CRM-CONTRACTS.md
 * §2.4):
 * - required: `createable && !nillable && !defaultedOnCreate && type !== boolean`
 *   (the heuristic public validators use);
 * - read-only: not both createable and updateable, because leadsync writes a
 *   field both when it creates and when it updates a record;
 * - unique: an External ID field marked Unique — what a record can be matched
 *   on without a 300 Multiple Choices;
 * - picklist options: every value, inactive ones with `active: false`;
 *   `restrictedPicklist: false` becomes `restricted: false`, so values outside
 *   the list pass validation as Salesforce would take them (docs/adapters/salesforce.md).
 * Compound and binary fields (address, location, base64) are left out.
 */
export function readSalesforceObject(objectName: string, describe: unknown): SalesforceObjectInfo {
  const body = describe as { name?: unknown; label?: unknown; fields?: unknown };
  if (typeof body !== 'object' || body === null || !Array.isArray(body.fields)) throw new Error(`describe of ${objectName} has no fields[]`);
  const fields = new Map<string, SalesforceFieldInfo>();
  const schemaFields: Record<string, CrmFieldSchema> = {};
  for (const raw of body.fields as unknown[]) {
    if (!isDescribeField(raw)) continue;
    const type = TYPE_MAP[raw.type];
    let crm: CrmFieldSchema | undefined;
    if (type !== undefined) {
      const createable = raw.createable ?? false;
      const updateable = raw.updateable ?? false;
      const length = raw.length ?? 0;
      crm = {
        name: raw.name,
        label: raw.label ?? raw.name,
        type,
        required: createable && raw.nillable === false && raw.defaultedOnCreate !== true && raw.type !== 'boolean',
        readOnly: !(createable && updateable),
        unique: (raw.externalId ?? false) && (raw.unique ?? false),
        ...(LENGTH_TYPES.has(raw.type) && length > 0 ? { maxLength: length } : {}),
        ...(type === 'picklist' || type === 'multi_picklist'
          ? { options: (raw.picklistValues ?? []).map((option) => ({ value: option.value, label: option.label ?? option.value, active: option.active ?? true })) }
          : {}),
        // Only an explicit false loosens the check: a describe without the flag is read as restricted.
        ...((type === 'picklist' || type === 'multi_picklist') && raw.restrictedPicklist === false ? { restricted: false } : {}),
      };
      Object.defineProperty(schemaFields, raw.name, { value: crm, enumerable: true, writable: true, configurable: true });
    }
    fields.set(raw.name.toLowerCase(), {
      name: raw.name,
      label: raw.label ?? raw.name,
      sfType: raw.type,
      type,
      externalId: raw.externalId ?? false,
      idLookup: raw.idLookup ?? false,
      crm,
    });
  }
  return {
    name: typeof body.name === 'string' ? body.name : objectName,
    schema: { name: objectName, label: typeof body.label === 'string' ? body.label : objectName, fields: schemaFields },
    fields,
  };
}
