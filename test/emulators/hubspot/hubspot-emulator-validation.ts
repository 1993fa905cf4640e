import type { EmulatedObjectType, EmulatedProperty } from './hubspot-emulator-properties.js';

/**
 * One entry of the JSON array HubSpot embeds in a VALIDATION_ERROR message
 * ("Property values were not valid: [...]"). Detail codes INVALID_OPTION,
 * INVALID_EMAIL, LEADING_TRAILING_WHITESPACE, PROPERTY_DOESNT_EXIST and
 * READ_ONLY_VALUE are documented or widely quoted; INVALID_FLOAT,
 * INVALID_BOOLEAN, INVALID_DATE, INVALID_DATETIME and MAX_LENGTH_EXCEEDED are
 * this emulator's names for rejections whose real code is unverified.
 */
export interface PropertyValidationDetail {
  readonly isValid: false;
  readonly message: string;
  readonly error: string;
  readonly name: string;
  readonly localizedErrorMessage: string;
}

function detail(name: string, error: string, message: string): PropertyValidationDetail {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

// HubSpot wants RFC 2822 addresses with a real TLD; this is the shape check, not the IANA list.
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const EPOCH_MS = /^-?\d{1,15}$/;
const DAY_MS = 86_400_000;

/** Whether a property holds the contact email, which HubSpot checks and keeps unique by its own rules. */
export function isContactEmail(object: EmulatedObjectType, name: string): boolean {
  return object.name === 'contacts' && name === 'email';
}

/** HubSpot stores emails in lower case, so lookups by email ignore case. */
export function canonicalValue(object: EmulatedObjectType, name: string, value: string): string {
  return isContactEmail(object, name) ? value.toLowerCase() : value;
}

/** The reason one property value is refused, or undefined. An empty string clears a property and is always accepted. */
export function validatePropertyValue(object: EmulatedObjectType, property: EmulatedProperty, value: string): PropertyValidationDetail | undefined {
  const { definition } = property;
  const name = definition.name;
  if (value === '') return undefined;
  if (definition.type !== 'string' && value !== value.trim()) {
    return detail(name, 'LEADING_TRAILING_WHITESPACE', `${value} has leading or trailing whitespace, which is not allowed for property ${name}`);
  }
  switch (definition.type) {
    case 'enumeration': {
      if (definition.externalOptions) return undefined;
      // Hidden options are not offered for writing (conservative; HubSpot's handling of hidden options on write is unverified).
      const allowed = definition.options.filter((option) => !option.hidden).map((option) => option.value);
      const values = definition.fieldType === 'checkbox' ? value.split(';').filter((part) => part !== '') : [value];
      const bad = values.find((part) => !allowed.includes(part));
      return bad === undefined ? undefined : detail(name, 'INVALID_OPTION', `${bad} was not one of the allowed options: [${allowed.join(', ')}]`);
    }
    case 'number':
      return NUMBER.test(value) && Number.isFinite(Number(value)) ? undefined : detail(name, 'INVALID_FLOAT', `${value} is not a valid number`);
    case 'bool':
      return value === 'true' || value === 'false' ? undefined : detail(name, 'INVALID_BOOLEAN', `${value} is not a valid boolean (true or false)`);
    case 'date':
      if (DATE_ONLY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return undefined;
      if (EPOCH_MS.test(value) && Number(value) % DAY_MS === 0) return undefined;
      return detail(name, 'INVALID_DATE', `${value} is not a valid date: send YYYY-MM-DD or epoch milliseconds at midnight UTC`);
    case 'datetime':
      return EPOCH_MS.test(value) || !Number.isNaN(Date.parse(value)) ? undefined : detail(name, 'INVALID_DATETIME', `${value} is not a valid datetime`);
    case 'string':
      if (isContactEmail(object, name) && !EMAIL.test(value)) return detail(name, 'INVALID_EMAIL', `Email address ${value} is invalid`);
      if (value.length > property.maxLength) {
        return detail(name, 'MAX_LENGTH_EXCEEDED', `${name} has ${value.length} characters; at most ${property.maxLength} are allowed`);
      }
      return undefined;
  }
}

/** Every reason the properties of one input are refused, in input order. */
export function validateProperties(
  object: EmulatedObjectType,
  propertiesByName: ReadonlyMap<string, EmulatedProperty>,
  values: Readonly<Record<string, string>>,
): PropertyValidationDetail[] {
  const details: PropertyValidationDetail[] = [];
  for (const [name, value] of Object.entries(values)) {
    const property = propertiesByName.get(name);
    if (property === undefined) {
      details.push(detail(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
      continue;
    }
    if (property.definition.modificationMetadata.readOnlyValue || property.definition.calculated) {
      details.push(detail(name, 'READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`));
      continue;
    }
    const problem = validatePropertyValue(object, property, value);
    if (problem !== undefined) details.push(problem);
  }
  return details;
}

/** The VALIDATION_ERROR message HubSpot sends: the detail array as JSON inside a string. */
export function validationMessage(details: readonly PropertyValidationDetail[]): string {
  return `Property values were not valid: ${JSON.stringify(details)}`;
}
