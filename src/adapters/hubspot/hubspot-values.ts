import type { CrmFieldSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';

/**
 * A leadsync value in HubSpot's wire form, where every property value is a
 * string: numbers in decimal, booleans "true"/"false", multi-select options
 * joined with ";", and "" to clear a property.
 */
export function encodeValue(value: FieldValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value.join(';');
}

export function encodeProperties(properties: Readonly<Record<string, FieldValue>>): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    Object.defineProperty(encoded, name, { value: encodeValue(value), enumerable: true, writable: true, configurable: true });
  }
  return encoded;
}

const EPOCH_MS = /^-?\d{1,15}$/;

/**
 * A HubSpot string value as leadsync holds it, by the field's type; undefined
 * for an empty value (HubSpot sends null or "" for properties without one).
 * Dates and date-times come back in the core's canonical forms ("YYYY-MM-DD",
 * ISO 8601 UTC with milliseconds), whether HubSpot sent ISO text or epoch ms.
 */
export function decodeValue(field: CrmFieldSchema | undefined, raw: string | null): FieldValue | undefined {
  if (raw === null || raw === '') return undefined;
  switch (field?.type) {
    case 'number': {
      const value = Number(raw);
      return Number.isFinite(value) ? value : raw;
    }
    case 'bool':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'multi_picklist':
      return raw.split(';').filter((part) => part !== '');
    case 'date': {
      const at = EPOCH_MS.test(raw) ? Number(raw) : Date.parse(raw.length === 10 ? `${raw}T00:00:00Z` : raw);
      return Number.isNaN(at) ? raw : new Date(at).toISOString().slice(0, 10);
    }
    case 'datetime': {
      const at = EPOCH_MS.test(raw) ? Number(raw) : Date.parse(raw);
      return Number.isNaN(at) ? raw : new Date(at).toISOString();
    }
    default:
      return raw;
  }
}
