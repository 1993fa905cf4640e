import type { CrmFieldSchema, CrmObjectSchema, FieldType, PicklistOption } from '../../core/crm-schema/crm-schema-types.js';
import type { HubSpotPropertyDefinition } from './hubspot-wire.js';

/** Whether a property is HubSpot's contact email, which is unique by its own rule though `hasUniqueValue` is false. */
export function isContactEmail(objectType: string, property: string): boolean {
  return objectType === 'contacts' && property === 'email';
}

function fieldTypeOf(objectType: string, property: HubSpotPropertyDefinition): FieldType {
  switch (property.type) {
    case 'number':
      return 'number';
    case 'bool':
      return 'bool';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'enumeration':
      // Old-style yes/no properties are enumerations shown as a checkbox with options "true"/"false".
      if (property.fieldType === 'booleancheckbox') return 'bool';
      return property.fieldType === 'checkbox' ? 'multi_picklist' : 'picklist';
    default:
      if (isContactEmail(objectType, property.name)) return 'email';
      if (property.fieldType === 'phonenumber') return 'phone';
      return property.fieldType === 'textarea' || property.fieldType === 'html' ? 'text' : 'string';
  }
}

/**
 * One leadsync field from a HubSpot property:
 * - `readOnly` is `modificationMetadata.readOnlyValue` or `calculated`;
 * - `unique` is `hasUniqueValue`, plus the contact `email`;
 * - `required` is always false: HubSpot's API has no required properties
 *   (forms and pipelines do);
 * - hidden options become inactive options;
 * - a property with `externalOptions` (owners, pipeline stages) lists no
 *   options in the API, so the field has no `options` at all and leadsync
 *   cannot check its values before writing: HubSpot does, at write time.
 * - HubSpot has no per-property length, so `maxLength` is absent.
 */
export function fieldFromProperty(objectType: string, property: HubSpotPropertyDefinition): CrmFieldSchema {
  const type = fieldTypeOf(objectType, property);
  const listsOptions = (type === 'picklist' || type === 'multi_picklist') && property.externalOptions !== true && property.options.length > 0;
  const options: PicklistOption[] = [...property.options]
    .sort((a, b) => (a.displayOrder ?? 0) - (b.displayOrder ?? 0))
    .map((option) => ({ value: option.value, label: option.label, active: option.hidden !== true }));
  return {
    name: property.name,
    label: property.label,
    type,
    required: false,
    readOnly: property.modificationMetadata?.readOnlyValue === true || property.calculated === true,
    unique: property.hasUniqueValue === true || isContactEmail(objectType, property.name),
    ...(listsOptions ? { options } : {}),
  };
}

/** A leadsync object schema named `name` from the properties of the HubSpot object type `objectType`. */
export function objectFromProperties(name: string, objectType: string, properties: readonly HubSpotPropertyDefinition[]): CrmObjectSchema {
  const fields: Record<string, CrmFieldSchema> = {};
  for (const property of properties) {
    if (property.archived === true) continue;
    // defineProperty, not assignment: a property named "__proto__" must stay a field.
    Object.defineProperty(fields, property.name, { value: fieldFromProperty(objectType, property), enumerable: true, writable: true, configurable: true });
  }
  return { name, label: objectType.charAt(0).toUpperCase() + objectType.slice(1), fields };
}
