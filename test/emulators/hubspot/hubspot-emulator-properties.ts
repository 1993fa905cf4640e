import type { CrmFieldSchema, CrmSchema } from '../../../src/core/crm-schema/crm-schema-types.js';

/** A property option as `GET /crm/v3/properties/{objectType}` sends it. */
export interface HubSpotPropertyOption {
  readonly label: string;
  readonly value: string;
  readonly description?: string;
  readonly displayOrder: number;
  readonly hidden: boolean;
}

export const HUBSPOT_PROPERTY_TYPES = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool'] as const;
export type HubSpotPropertyType = (typeof HUBSPOT_PROPERTY_TYPES)[number];

/** One property definition in the wire shape of the properties API (`Property` in the v3 spec). */
export interface HubSpotProperty {
  readonly name: string;
  readonly label: string;
  readonly type: HubSpotPropertyType;
  readonly fieldType: string;
  readonly groupName: string;
  readonly description: string;
  readonly options: readonly HubSpotPropertyOption[];
  readonly hasUniqueValue: boolean;
  readonly hidden: boolean;
  readonly formField: boolean;
  readonly displayOrder: number;
  readonly calculated: boolean;
  readonly externalOptions: boolean;
  readonly hubspotDefined: boolean;
  readonly archived: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly modificationMetadata: {
    readonly archivable: boolean;
    readonly readOnlyDefinition: boolean;
    readonly readOnlyOptions: boolean;
    readonly readOnlyValue: boolean;
  };
}

/**
 * A property as the emulator keeps it: the wire definition plus an
 * emulator-only `maxLength`, which the properties API never shows (HubSpot has
 * no per-property length in its API; its text limit is 65,536 characters).
 */
export interface EmulatedProperty {
  readonly definition: HubSpotProperty;
  readonly maxLength: number;
}

/** One object type (contacts, companies) the emulator serves. */
export interface EmulatedObjectType {
  /** Path segment: `contacts`, `companies`. */
  readonly name: string;
  /** Upper-case singular used in messages: `CONTACT`, `COMPANY`. */
  readonly singular: string;
  /** HubSpot's object type id: `0-1` contacts, `0-2` companies. */
  readonly typeId: string;
  readonly properties: readonly EmulatedProperty[];
}

/** HubSpot's limit on a text property value. */
export const HUBSPOT_TEXT_LIMIT = 65_536;
const DEFINED_AT = '2020-01-01T00:00:00.000Z';

/** The short form emulator objects are declared in; `property()` fills the rest. */
export interface PropertySpec {
  readonly name: string;
  readonly label?: string;
  readonly type: HubSpotPropertyType;
  readonly fieldType: string;
  readonly options?: readonly { readonly value: string; readonly label?: string; readonly hidden?: boolean }[];
  readonly hasUniqueValue?: boolean;
  readonly readOnlyValue?: boolean;
  readonly calculated?: boolean;
  readonly externalOptions?: boolean;
  readonly hubspotDefined?: boolean;
  readonly maxLength?: number;
}

export function property(spec: PropertySpec, displayOrder = -1): EmulatedProperty {
  return {
    maxLength: spec.maxLength ?? HUBSPOT_TEXT_LIMIT,
    definition: {
      name: spec.name,
      label: spec.label ?? spec.name,
      type: spec.type,
      fieldType: spec.fieldType,
      groupName: spec.hubspotDefined === false ? 'leadsync' : 'contactinformation',
      description: '',
      options: (spec.options ?? []).map((option, index) => ({
        label: option.label ?? option.value,
        value: option.value,
        displayOrder: index,
        hidden: option.hidden ?? false,
      })),
      hasUniqueValue: spec.hasUniqueValue ?? false,
      hidden: false,
      formField: spec.readOnlyValue !== true,
      displayOrder,
      calculated: spec.calculated ?? false,
      externalOptions: spec.externalOptions ?? false,
      hubspotDefined: spec.hubspotDefined ?? true,
      archived: false,
      createdAt: DEFINED_AT,
      updatedAt: DEFINED_AT,
      modificationMetadata: {
        archivable: spec.hubspotDefined === false,
        readOnlyDefinition: spec.hubspotDefined !== false,
        readOnlyOptions: false,
        readOnlyValue: spec.readOnlyValue ?? false,
      },
    },
  };
}

/** Properties every HubSpot object has: the record id and its timestamps, all read-only. */
function builtInProperties(): EmulatedProperty[] {
  return [
    property({ name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', readOnlyValue: true }),
    property({ name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', readOnlyValue: true }),
    property({ name: 'lastmodifieddate', label: 'Last Modified Date', type: 'datetime', fieldType: 'date', readOnlyValue: true }),
  ];
}

const KNOWN_OBJECTS: Readonly<Record<string, { singular: string; typeId: string }>> = {
  contacts: { singular: 'CONTACT', typeId: '0-1' },
  companies: { singular: 'COMPANY', typeId: '0-2' },
  deals: { singular: 'DEAL', typeId: '0-3' },
  tickets: { singular: 'TICKET', typeId: '0-5' },
};

/** Builds an object type, adding the built-in read-only properties it does not declare. */
export function objectType(name: string, properties: readonly EmulatedProperty[]): EmulatedObjectType {
  const known = KNOWN_OBJECTS[name] ?? { singular: name.toUpperCase(), typeId: `2-${name.length}` };
  const declared = new Set(properties.map((entry) => entry.definition.name));
  const all = [...properties, ...builtInProperties().filter((entry) => !declared.has(entry.definition.name))];
  return { name, ...known, properties: all.map((entry, index) => (entry.definition.displayOrder === -1 ? withOrder(entry, index) : entry)) };
}

function withOrder(entry: EmulatedProperty, displayOrder: number): EmulatedProperty {
  return { ...entry, definition: { ...entry.definition, displayOrder } };
}

function specFromField(objectName: string, field: CrmFieldSchema): PropertySpec {
  const base = {
    name: field.name,
    label: field.label,
    // HubSpot's contact email is not `hasUniqueValue`; it is unique by a rule of its own.
    hasUniqueValue: field.unique && !(objectName === 'contacts' && field.name === 'email'),
    readOnlyValue: field.readOnly,
    hubspotDefined: false,
    ...(field.maxLength === undefined ? {} : { maxLength: field.maxLength }),
  };
  const options = field.options?.map((option) => ({ value: option.value, label: option.label, hidden: !option.active }));
  switch (field.type) {
    case 'string':
    case 'email':
    case 'url':
      return { ...base, type: 'string', fieldType: 'text' };
    case 'text':
      return { ...base, type: 'string', fieldType: 'textarea' };
    case 'phone':
      return { ...base, type: 'string', fieldType: 'phonenumber' };
    case 'number':
      return { ...base, type: 'number', fieldType: 'number' };
    case 'bool':
      return { ...base, type: 'bool', fieldType: 'booleancheckbox', options: [{ value: 'true', label: 'Yes' }, { value: 'false', label: 'No' }] };
    case 'date':
      return { ...base, type: 'date', fieldType: 'date' };
    case 'datetime':
      return { ...base, type: 'datetime', fieldType: 'date' };
    case 'picklist':
      // A picklist declared without options stands for an externalOptions property (owners, pipeline stages).
      return options === undefined || options.length === 0
        ? { ...base, type: 'enumeration', fieldType: 'select', externalOptions: true }
        : { ...base, type: 'enumeration', fieldType: 'select', options };
    case 'multi_picklist':
      return { ...base, type: 'enumeration', fieldType: 'checkbox', ...(options === undefined ? {} : { options }) };
  }
}

/**
 * HubSpot object types holding the fields of a leadsync CRM schema, so one
 * declared schema can seed both the sandbox and the emulator. `objectNames`
 * maps schema object names to HubSpot object types (`contact` → `contacts`);
 * unmapped objects keep their name.
 */
export function objectsFromCrmSchema(schema: CrmSchema, objectNames: Readonly<Record<string, string>> = {}): EmulatedObjectType[] {
  return Object.values(schema.objects).map((object) => {
    const name = objectNames[object.name] ?? object.name;
    return objectType(
      name,
      Object.values(object.fields).map((field) => property(specFromField(name, field))),
    );
  });
}

/** A small default portal: HubSpot's usual contact and company properties. */
export function defaultHubSpotObjects(): EmulatedObjectType[] {
  return [
    objectType('contacts', [
      property({ name: 'email', label: 'Email', type: 'string', fieldType: 'text' }),
      property({ name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text' }),
      property({ name: 'lastname', label: 'Last Name', type: 'string', fieldType: 'text' }),
      property({ name: 'jobtitle', label: 'Job Title', type: 'string', fieldType: 'text' }),
      property({ name: 'company', label: 'Company Name', type: 'string', fieldType: 'text' }),
      property({ name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber' }),
      property({
        name: 'lifecyclestage',
        label: 'Lifecycle Stage',
        type: 'enumeration',
        fieldType: 'radio',
        options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'].map((value) => ({ value })),
      }),
      property({ name: 'hubspot_owner_id', label: 'Contact owner', type: 'enumeration', fieldType: 'select', externalOptions: true }),
      property({ name: 'hs_additional_emails', label: 'Additional email addresses', type: 'enumeration', fieldType: 'checkbox', readOnlyValue: true }),
    ]),
    objectType('companies', [
      property({ name: 'domain', label: 'Company Domain Name', type: 'string', fieldType: 'text' }),
      property({ name: 'name', label: 'Name', type: 'string', fieldType: 'text' }),
      property({ name: 'numberofemployees', label: 'Number of Employees', type: 'number', fieldType: 'number' }),
      property({ name: 'leadsync_company_key', label: 'leadsync company key', type: 'string', fieldType: 'text', hasUniqueValue: true, hubspotDefined: false }),
    ]),
  ];
}
