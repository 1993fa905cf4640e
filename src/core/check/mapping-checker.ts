import type { CrmFieldSchema, CrmSchema, FieldType } from '../crm-schema/crm-schema-types.js';
import { validateField } from '../crm-schema/field-validator.js';
import { picklistKey } from '../crm-schema/picklist-key.js';
import { suggestOptions } from '../crm-schema/picklist-suggestions.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { foldKey } from '../mapping/fold-key.js';
import { DEFAULT_PICK } from '../mapping/lead-mapper.js';
import type { FieldMapping, MappingTable } from '../mapping/mapping-types.js';
import type { FieldPolicy } from '../merge/plan-types.js';
import { INTENT_LEVELS, JOB_FUNCTIONS, REGIONS, SENIORITIES } from '../normalize/normalizer-types.js';

/** One problem `leadsync check` found, placed by source, object and field. */
export interface CheckFinding {
  readonly code: ErrorCode;
  /** "webform → contacts.lead_source", or "policies → contacts.owner". */
  readonly where: string;
  readonly message: string;
  readonly suggestions?: readonly string[];
}

export interface CheckInput {
  readonly sources: readonly { readonly name: string; readonly mapping: MappingTable }[];
  readonly schema: CrmSchema;
  readonly policies: Readonly<Record<string, FieldPolicy>>;
}

// Field types each normalizer output can be written to.
const OUTPUT_TYPES: Readonly<Record<string, readonly FieldType[]>> = {
  'title.function': ['picklist', 'string', 'text'],
  'title.seniority': ['picklist', 'string', 'text'],
  'country.country': ['picklist', 'string', 'text'],
  'country.region': ['picklist', 'string', 'text'],
  'company.name': ['string', 'text'],
  'domain.domain': ['string', 'text', 'url'],
  'email.email': ['email', 'string', 'text'],
  'email.domain': ['string', 'text', 'url'],
  'email.freeMail': ['bool', 'string'],
  'email.valid': ['bool', 'string'],
  'phone.e164': ['phone', 'string', 'text'],
  'intent.score': ['number', 'string', 'text'],
  'intent.level': ['picklist', 'string', 'text'],
};

// Normalizer outputs drawn from a closed set: every member must land on a picklist option.
const CLOSED_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  'title.function': JOB_FUNCTIONS,
  'title.seniority': SENIORITIES,
  'country.region': REGIONS,
  'intent.level': INTENT_LEVELS,
};

/**
 * Checks every mapping against the CRM schema before anything is written:
 * unknown or read-only fields, picklist maps pointing at options that do not
 * exist, normalizer outputs that cannot fit the field, closed-set outputs with
 * no option to land on, defaults the CRM would refuse, required fields no
 * mapping fills, and policies on fields that do not exist.
 */
export function checkMappings(input: CheckInput): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const { name, mapping } of input.sources) {
    for (const objectMapping of mapping.objects) {
      const object = input.schema.objects[objectMapping.object];
      const where = (field: string): string => `${name} → ${objectMapping.object}.${field}`;
      if (!object) {
        findings.push({ code: 'CRM_OBJECT_UNKNOWN', where: `${name} → ${objectMapping.object}`, message: `the CRM schema has no object "${objectMapping.object}"` });
        continue;
      }
      for (const field of objectMapping.fields) {
        const schemaField = object.fields[field.to];
        if (!schemaField) {
          findings.push({ code: 'CRM_FIELD_UNKNOWN', where: where(field.to), message: `the ${objectMapping.object} object has no field "${field.to}"`, suggestions: nearestNames(field.to, Object.keys(object.fields)) });
          continue;
        }
        if (schemaField.readOnly) {
          findings.push({ code: 'CRM_FIELD_READ_ONLY', where: where(field.to), message: `"${field.to}" is read-only in the CRM` });
          continue;
        }
        findings.push(...checkField(field, schemaField, where(field.to)));
      }
      if (objectMapping.match && object.fields[objectMapping.match] && !object.fields[objectMapping.match]?.unique) {
        findings.push({ code: 'CHECK_MATCH_NOT_UNIQUE', where: where(objectMapping.match), message: `records are matched on "${objectMapping.match}", which the CRM does not mark unique` });
      }
      const fed = new Set(objectMapping.fields.map((field) => field.to));
      for (const required of Object.values(object.fields)) {
        if (required.required && !required.readOnly && !fed.has(required.name)) {
          findings.push({ code: 'CHECK_REQUIRED_UNMAPPED', where: where(required.name), message: `"${required.name}" is required in the CRM but the ${name} mapping never fills it, so new records would be refused` });
        }
      }
    }
  }
  for (const key of Object.keys(input.policies)) {
    const [objectName = '', fieldName = ''] = key.split('.');
    const object = input.schema.objects[objectName];
    if (!object) findings.push({ code: 'CRM_OBJECT_UNKNOWN', where: `policies → ${key}`, message: `the CRM schema has no object "${objectName}"` });
    else if (!object.fields[fieldName]) {
      findings.push({ code: 'CRM_FIELD_UNKNOWN', where: `policies → ${key}`, message: `the ${objectName} object has no field "${fieldName}"`, suggestions: nearestNames(fieldName, Object.keys(object.fields)) });
    }
  }
  return findings;
}

function checkField(field: FieldMapping, schemaField: CrmFieldSchema, where: string): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const output = field.normalize ? `${field.normalize}.${field.pick ?? DEFAULT_PICK[field.normalize]}` : undefined;
  if (output && !OUTPUT_TYPES[output]?.includes(schemaField.type)) {
    findings.push({ code: 'CHECK_NORMALIZER_TYPE_MISMATCH', where, message: `the ${output} output cannot be written to a ${schemaField.type} field` });
  }
  const isPicklist = schemaField.type === 'picklist' || schemaField.type === 'multi_picklist';
  if (isPicklist && field.values) {
    for (const [synonym, option] of field.values) {
      const result = validateField(schemaField, schemaField.name, option);
      if (!result.ok) {
        findings.push({
          code: 'CHECK_PICKLIST_OPTION_MISSING',
          where,
          message: `the value map sends "${synonym}" to "${option}", which is not an active option of ${schemaField.name}`,
          ...(result.suggestions ? { suggestions: result.suggestions } : {}),
        });
      }
    }
  }
  const closed = output ? CLOSED_OUTPUTS[output] : undefined;
  if (isPicklist && closed) {
    const uncovered = closed.filter((value) => !validateField(schemaField, schemaField.name, field.values?.get(foldKey(value)) ?? value).ok);
    if (uncovered.length > 0) {
      findings.push({ code: 'CHECK_PICKLIST_UNCOVERED', where, message: `the ${output} output can be ${uncovered.map((v) => `"${v}"`).join(', ')}, which ${uncovered.length === 1 ? 'matches' : 'match'} no option of ${schemaField.name} and no value map entry` });
    }
  }
  if (field.default !== undefined && field.default !== null) {
    const result = validateField(schemaField, schemaField.name, field.values?.get(foldKey(String(field.default))) ?? field.default);
    if (!result.ok) {
      findings.push({ code: result.code, where, message: `the default ${JSON.stringify(field.default)}: ${result.message}`, ...(result.suggestions ? { suggestions: result.suggestions } : {}) });
    }
  }
  return findings;
}

// Field-name suggestions for typos, scored like picklist suggestions.
function nearestNames(name: string, candidates: readonly string[]): string[] {
  return suggestOptions(
    name,
    candidates.map((candidate) => ({ value: candidate, valueKey: picklistKey(candidate), labelKey: picklistKey(candidate) })),
  );
}
