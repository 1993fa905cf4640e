/**
 * sObject definitions the Salesforce emulator serves, and the describe
 * payload built from them (field shape per jsforce `src/types/common.ts
 * Field`, CRM-CONTRACTS.md §2.4).
 */

export const SF_FIELD_TYPES = [
  'id',
  'reference',
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'double',
  'int',
  'currency',
  'percent',
  'boolean',
  'date',
  'datetime',
  'picklist',
  'multipicklist',
] as const;
export type SfFieldType = (typeof SF_FIELD_TYPES)[number];

export interface SfPicklistValue {
  readonly value: string;
  readonly label?: string;
  /** (Default: true) */
  readonly active?: boolean;
  readonly defaultValue?: boolean;
}

/** One field as the emulator knows it; absent flags take Salesforce's usual defaults for a custom field. */
export interface SfFieldDefinition {
  readonly name: string;
  readonly type: SfFieldType;
  /** (Default: the name) */
  readonly label?: string;
  /** Maximum characters for text types. (Default: 255 for string, 0 for others) */
  readonly length?: number;
  /** (Default: true) */
  readonly nillable?: boolean;
  /** (Default: true) */
  readonly createable?: boolean;
  /** (Default: true) */
  readonly updateable?: boolean;
  /** (Default: false) */
  readonly defaultedOnCreate?: boolean;
  /** (Default: false) */
  readonly unique?: boolean;
  /** (Default: false) */
  readonly externalId?: boolean;
  /** (Default: false) */
  readonly restrictedPicklist?: boolean;
  readonly picklistValues?: readonly SfPicklistValue[];
  /** Value set on create when the record does not give one (`defaultedOnCreate`). */
  readonly defaultValue?: string | number | boolean;
}

export interface SfObjectDefinition {
  readonly name: string;
  /** (Default: the name) */
  readonly label?: string;
  /** Three-character record id prefix, e.g. `00Q` for Lead. */
  readonly keyPrefix: string;
  /** Fields besides the system ones (Id, CreatedDate, LastModifiedDate, SystemModstamp), which every object gets. */
  readonly fields: readonly SfFieldDefinition[];
}

/** Fields every object has, as Salesforce adds them. */
export const SYSTEM_FIELDS: readonly SfFieldDefinition[] = [
  { name: 'Id', label: 'Record ID', type: 'id', length: 18, nillable: false, createable: false, updateable: false, defaultedOnCreate: true, unique: false },
  { name: 'CreatedDate', label: 'Created Date', type: 'datetime', nillable: false, createable: false, updateable: false, defaultedOnCreate: true },
  { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime', nillable: false, createable: false, updateable: false, defaultedOnCreate: true },
  { name: 'SystemModstamp', label: 'System Modstamp', type: 'datetime', nillable: false, createable: false, updateable: false, defaultedOnCreate: true },
];

const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const INDUSTRIES = ['Agriculture', 'Banking', 'Computer Software', 'Education', 'Healthcare', 'Manufacturing', 'Retail', 'Technology'];

function values(list: readonly string[]): SfPicklistValue[] {
  return list.map((value) => ({ value, label: value }));
}

/** Lead, Contact and Account with the standard fields leadsync maps, plus a `Leadsync_Id__c` external id. */
export const DEFAULT_SOBJECTS: readonly SfObjectDefinition[] = [
  {
    name: 'Lead',
    keyPrefix: '00Q',
    fields: [
      { name: 'FirstName', label: 'First Name', type: 'string', length: 40 },
      { name: 'LastName', label: 'Last Name', type: 'string', length: 80, nillable: false },
      { name: 'Company', label: 'Company', type: 'string', length: 255, nillable: false },
      { name: 'Email', label: 'Email', type: 'email', length: 80 },
      { name: 'Title', label: 'Title', type: 'string', length: 128 },
      { name: 'Phone', label: 'Phone', type: 'phone', length: 40 },
      { name: 'Website', label: 'Website', type: 'url', length: 255 },
      { name: 'Country', label: 'Country', type: 'string', length: 80 },
      { name: 'NumberOfEmployees', label: 'Employees', type: 'int' },
      { name: 'LeadSource', label: 'Lead Source', type: 'picklist', length: 255, restrictedPicklist: true, picklistValues: values(LEAD_SOURCES) },
      { name: 'Industry', label: 'Industry', type: 'picklist', length: 255, picklistValues: values(INDUSTRIES) },
      {
        name: 'Status', label: 'Status', type: 'picklist', length: 255, nillable: false, defaultedOnCreate: true, restrictedPicklist: true, defaultValue: 'Open - Not Contacted',
        picklistValues: [
          { value: 'Open - Not Contacted', label: 'Open - Not Contacted', defaultValue: true },
          { value: 'Working - Contacted', label: 'Working - Contacted' },
          { value: 'Closed - Converted', label: 'Closed - Converted' },
          { value: 'Closed - Not Converted', label: 'Closed - Not Converted' },
        ],
      },
      { name: 'Description', label: 'Description', type: 'textarea', length: 32000 },
      { name: 'Lead_Score__c', label: 'Lead Score', type: 'double' },
      { name: 'Seniority__c', label: 'Seniority', type: 'picklist', length: 255, restrictedPicklist: true, picklistValues: values(['Executive', 'Director', 'Manager', 'Individual Contributor']) },
      { name: 'Leadsync_Id__c', label: 'Leadsync Id', type: 'string', length: 80, externalId: true, unique: true },
      // External id without uniqueness: the field that can match several records (300 Multiple Choices).
      { name: 'Legacy_Id__c', label: 'Legacy Id', type: 'string', length: 80, externalId: true },
    ],
  },
  {
    name: 'Contact',
    keyPrefix: '003',
    fields: [
      { name: 'FirstName', label: 'First Name', type: 'string', length: 40 },
      { name: 'LastName', label: 'Last Name', type: 'string', length: 80, nillable: false },
      { name: 'Email', label: 'Email', type: 'email', length: 80 },
      { name: 'Title', label: 'Title', type: 'string', length: 128 },
      { name: 'Phone', label: 'Business Phone', type: 'phone', length: 40 },
      { name: 'LeadSource', label: 'Lead Source', type: 'picklist', length: 255, restrictedPicklist: true, picklistValues: values(LEAD_SOURCES) },
      { name: 'Leadsync_Id__c', label: 'Leadsync Id', type: 'string', length: 80, externalId: true, unique: true },
    ],
  },
  {
    name: 'Account',
    keyPrefix: '001',
    fields: [
      { name: 'Name', label: 'Account Name', type: 'string', length: 255, nillable: false },
      { name: 'Website', label: 'Website', type: 'url', length: 255 },
      { name: 'Industry', label: 'Industry', type: 'picklist', length: 255, restrictedPicklist: true, picklistValues: values(INDUSTRIES) },
      { name: 'NumberOfEmployees', label: 'Employees', type: 'int' },
      { name: 'Domain__c', label: 'Domain', type: 'string', length: 255, externalId: true, unique: true },
    ],
  },
];

/** A field with every flag resolved. */
export interface ResolvedField {
  readonly name: string;
  readonly label: string;
  readonly type: SfFieldType;
  readonly length: number;
  readonly nillable: boolean;
  readonly createable: boolean;
  readonly updateable: boolean;
  readonly defaultedOnCreate: boolean;
  readonly unique: boolean;
  readonly externalId: boolean;
  readonly restrictedPicklist: boolean;
  readonly picklistValues: readonly Required<SfPicklistValue>[];
  readonly defaultValue: string | number | boolean | undefined;
  readonly custom: boolean;
}

export interface ResolvedObject {
  readonly name: string;
  readonly label: string;
  readonly keyPrefix: string;
  readonly fields: readonly ResolvedField[];
  /** Fields by lower-cased name: Salesforce field names are case-insensitive. */
  readonly byLowerName: ReadonlyMap<string, ResolvedField>;
}

const TEXT_TYPES: ReadonlySet<SfFieldType> = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'id', 'reference']);

export function resolveObject(definition: SfObjectDefinition): ResolvedObject {
  if (!/^[a-zA-Z0-9]{3}$/.test(definition.keyPrefix)) throw new Error(`sObject ${definition.name}: keyPrefix must be 3 letters or digits`);
  const fields = [...SYSTEM_FIELDS, ...definition.fields].map((field): ResolvedField => ({
    name: field.name,
    label: field.label ?? field.name,
    type: field.type,
    length: field.length ?? (field.type === 'string' ? 255 : TEXT_TYPES.has(field.type) ? 255 : 0),
    nillable: field.nillable ?? true,
    createable: field.createable ?? true,
    updateable: field.updateable ?? true,
    defaultedOnCreate: field.defaultedOnCreate ?? field.type === 'boolean',
    unique: field.unique ?? false,
    externalId: field.externalId ?? false,
    restrictedPicklist: field.restrictedPicklist ?? false,
    picklistValues: (field.picklistValues ?? []).map((value) => ({
      value: value.value,
      label: value.label ?? value.value,
      active: value.active ?? true,
      defaultValue: value.defaultValue ?? false,
    })),
    defaultValue: field.defaultValue ?? (field.type === 'boolean' ? false : undefined),
    custom: field.name.endsWith('__c'),
  }));
  const byLowerName = new Map<string, ResolvedField>();
  for (const field of fields) {
    const key = field.name.toLowerCase();
    if (byLowerName.has(key)) throw new Error(`sObject ${definition.name}: field ${field.name} is declared twice`);
    byLowerName.set(key, field);
  }
  return { name: definition.name, label: definition.label ?? definition.name, keyPrefix: definition.keyPrefix, fields, byLowerName };
}

function soapType(type: SfFieldType): string {
  switch (type) {
    case 'id':
    case 'reference':
      return 'tns:ID';
    case 'double':
    case 'currency':
    case 'percent':
      return 'xsd:double';
    case 'int':
      return 'xsd:int';
    case 'boolean':
      return 'xsd:boolean';
    case 'date':
      return 'xsd:date';
    case 'datetime':
      return 'xsd:dateTime';
    default:
      return 'xsd:string';
  }
}

/** `GET /sobjects/{name}/describe` body. */
export function describeObject(object: ResolvedObject, apiPath: string): Record<string, unknown> {
  return {
    name: object.name,
    label: object.label,
    labelPlural: `${object.label}s`,
    keyPrefix: object.keyPrefix,
    custom: object.name.endsWith('__c'),
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    searchable: true,
    retrieveable: true,
    childRelationships: [],
    recordTypeInfos: [],
    urls: {
      describe: `${apiPath}/sobjects/${object.name}/describe`,
      sobject: `${apiPath}/sobjects/${object.name}`,
      rowTemplate: `${apiPath}/sobjects/${object.name}/{ID}`,
    },
    fields: object.fields.map((field) => ({
      name: field.name,
      label: field.label,
      type: field.type,
      length: field.length,
      byteLength: field.length * 3,
      digits: field.type === 'int' ? 9 : 0,
      precision: field.type === 'double' || field.type === 'currency' || field.type === 'percent' ? 18 : 0,
      scale: field.type === 'double' || field.type === 'currency' || field.type === 'percent' ? 2 : 0,
      nillable: field.nillable,
      createable: field.createable,
      updateable: field.updateable,
      defaultedOnCreate: field.defaultedOnCreate,
      unique: field.unique,
      externalId: field.externalId,
      idLookup: field.externalId || field.type === 'id' || field.name === 'Email',
      caseSensitive: false,
      custom: field.custom,
      calculated: false,
      filterable: true,
      sortable: field.type !== 'textarea' && field.type !== 'multipicklist',
      restrictedPicklist: field.restrictedPicklist,
      dependentPicklist: false,
      controllerName: null,
      defaultValue: field.defaultValue ?? null,
      picklistValues: field.picklistValues.map((value) => ({ active: value.active, defaultValue: value.defaultValue, label: value.label, validFor: null, value: value.value })),
      referenceTo: field.type === 'id' ? [] : [],
      relationshipName: null,
      soapType: soapType(field.type),
      htmlFormatted: false,
      nameField: field.name === 'Name' || field.name === 'LastName',
    })),
  };
}
