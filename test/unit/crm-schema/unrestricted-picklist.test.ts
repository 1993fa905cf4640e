import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readSalesforceObject } from '../../../src/adapters/salesforce/salesforce-schema-reader.js';
import { rejectValue } from '../../../src/adapters/sandbox-crm/sandbox-crm-validator.js';
import { compileCrmSchema, compileMappingTable } from '../../../src/config/config-compiler.js';
import { crmSchemaDocument, mappingConfig } from '../../../src/config/config-schema.js';
import { pulledSchemaDocument } from '../../../src/config/pulled-schema.js';
import { checkMappings } from '../../../src/core/check/mapping-checker.js';
import type { CrmSchema } from '../../../src/core/crm-schema/crm-schema-types.js';
import { validateField } from '../../../src/core/crm-schema/field-validator.js';
import { defaultNormalizers } from '../../../src/core/normalize/normalizers.js';
import { prepareEvent } from '../../../src/core/plan/event-planner.js';
import type { PlanContext } from '../../../src/core/plan/event-plan-types.js';
import { field, option } from './schema-fixtures.js';

// A restricted picklist refuses values outside its options; an unrestricted one (Salesforce
// `restrictedPicklist: false`) stores any text. `restricted` defaults to true.

const INDUSTRY_OPTIONS = [option('Banking', 'Banking'), option('Computer Software', 'Computer Software'), option('Mining', 'Mining', false)];
const restrictedIndustry = field('picklist', { name: 'Industry', label: 'Industry', options: INDUSTRY_OPTIONS });
const explicitlyRestricted = field('picklist', { name: 'Industry', label: 'Industry', options: INDUSTRY_OPTIONS, restricted: true });
const openIndustry = field('picklist', { name: 'Industry', label: 'Industry', options: INDUSTRY_OPTIONS, restricted: false });
const openTags = field('multi_picklist', { name: 'Tags__c', label: 'Tags', options: [option('a', 'Alpha'), option('b', 'Beta')], restricted: false });

describe('unrestricted picklists in the validator', () => {
  it('refuses a value outside the options when the field is restricted, by default or explicitly', () => {
    for (const schema of [restrictedIndustry, explicitlyRestricted]) {
      expect(validateField(schema, 'Industry', 'Oil & Energy')).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH' });
      expect(validateField(schema, 'Industry', 'mining')).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH' });
    }
  });

  it('still matches listed options to their canonical value, without a warning', () => {
    expect(validateField(openIndustry, 'Industry', ' computer  software ')).toEqual({ ok: true, value: 'Computer Software' });
    expect(validateField(openIndustry, 'Industry', 'Banking')).toEqual({ ok: true, value: 'Banking' });
  });

  it('accepts a value outside the options as sent (trimmed), with a warning that names the field but not the value', () => {
    const result = validateField(openIndustry, 'Industry', '  Oil & Energy ');
    expect(result).toEqual({ ok: true, value: 'Oil & Energy', warning: 'Field "Industry": the value is not an option of the picklist; written as sent, since the picklist is unrestricted' });
    // Idempotent: the accepted value validates to itself.
    expect(validateField(openIndustry, 'Industry', 'Oil & Energy')).toMatchObject({ ok: true, value: 'Oil & Energy' });
  });

  it('accepts text matching only an inactive option, naming that option in the warning', () => {
    expect(validateField(openIndustry, 'Industry', 'mining')).toEqual({
      ok: true,
      value: 'mining',
      warning: 'Field "Industry": the value matches the inactive option "Mining"; written as sent, since the picklist is unrestricted',
    });
  });

  it('accepts every non-blank text, idempotently, and refuses the same text on a restricted field unless it is an option', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((text) => /\S/.test(text)), (text) => {
        const accepted = validateField(openIndustry, 'Industry', text);
        if (!accepted.ok) return false;
        const again = validateField(openIndustry, 'Industry', accepted.value);
        const restricted = validateField(restrictedIndustry, 'Industry', text);
        return again.ok && again.value === accepted.value && (restricted.ok ? restricted.value === accepted.value && accepted.warning === undefined : accepted.warning !== undefined);
      }),
    );
  });

  it('keeps the other checks: read-only, required, type', () => {
    expect(validateField({ ...openIndustry, readOnly: true }, 'Industry', 'Oil')).toMatchObject({ ok: false, code: 'CRM_FIELD_READ_ONLY' });
    expect(validateField({ ...openIndustry, required: true }, 'Industry', '  ')).toMatchObject({ ok: false, code: 'CRM_REQUIRED_MISSING' });
    expect(validateField(openIndustry, 'Industry', { name: 'Oil' })).toMatchObject({ ok: false, code: 'CRM_TYPE_MISMATCH' });
  });

  it('keeps listed elements canonical and unlisted ones as sent in a multi-picklist, warning on the first unlisted one', () => {
    expect(validateField(openTags, 'Tags__c', 'alpha;Gamma;b;Delta')).toEqual({
      ok: true,
      value: ['a', 'Gamma', 'b', 'Delta'],
      warning: 'Field "Tags__c": element 2 is not an option of the picklist; written as sent, since the picklist is unrestricted',
    });
    expect(validateField(openTags, 'Tags__c', ['Alpha', 'beta'])).toEqual({ ok: true, value: ['a', 'b'] });
    expect(validateField({ ...openTags, restricted: true }, 'Tags__c', 'alpha;Gamma')).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH', message: 'Field "Tags__c": element 2 is not an option of the picklist' });
  });
});

describe('unrestricted picklists in planning and checking', () => {
  const schema: CrmSchema = {
    version: 'test',
    objects: {
      Lead: {
        name: 'Lead',
        label: 'Lead',
        fields: {
          Key__c: field('string', { name: 'Key__c', label: 'Key', unique: true }),
          Industry: openIndustry,
          LeadSource: field('picklist', { name: 'LeadSource', label: 'Lead Source', options: [option('Web', 'Web'), option('Other', 'Other')] }),
        },
      },
    },
  };
  const mapping = compileMappingTable(
    'test',
    mappingConfig.parse({
      version: 3,
      identity: { leadId: 'id', updatedAt: 'at' },
      objects: {
        Lead: {
          match: 'Key__c',
          fields: [
            { to: 'Key__c', from: 'id' },
            { to: 'Industry', from: 'industry', values: { software: 'Computer Software', 'oil and gas': 'Oil & Energy' } },
            { to: 'LeadSource', from: 'source' },
          ],
        },
      },
    }),
  );
  const context: PlanContext = {
    source: 'crm-test',
    mapping,
    schema,
    normalize: (kind, value, normalizeContext) => defaultNormalizers.normalize(kind, value, normalizeContext),
    policies: { default: { policy: 'overwrite' }, fields: {} },
  };

  function proposals(payload: Record<string, unknown>): unknown[] {
    const prepared = prepareEvent({ id: 'L-1', at: '2026-11-20T10:00:00Z', ...payload }, context);
    if (!prepared.ok || prepared.objects[0]?.status !== 'ready') throw new Error('expected a ready Lead');
    return [...prepared.objects[0].proposals];
  }

  it('applies the value map first, then passes an unlisted value with the warning in the proposal reason', () => {
    const [mapped] = proposals({ industry: 'Software' });
    expect(mapped).toMatchObject({ field: 'Industry', value: 'Computer Software', reason: 'crm-test: industry' });
    const [unlisted] = proposals({ industry: 'Oil and Gas' });
    expect(unlisted).toMatchObject({ field: 'Industry', value: 'Oil & Energy', reason: 'crm-test: industry; Field "Industry": the value is not an option of the picklist; written as sent, since the picklist is unrestricted' });
    const [asSent] = proposals({ industry: 'Aerospace' });
    expect(asSent).toMatchObject({ field: 'Industry', value: 'Aerospace' });
  });

  it('still rejects an unlisted value of a restricted picklist on the same record', () => {
    const rejected = proposals({ industry: 'Aerospace', source: 'Billboard' })[1];
    expect(rejected).toMatchObject({ field: 'LeadSource', rejected: { code: 'CRM_PICKLIST_MISMATCH' } });
  });

  it('lets `check` accept a value map onto an unlisted value of an unrestricted picklist only', () => {
    const sources = [{ name: 'crm-test', mapping }];
    expect(checkMappings({ sources, schema, policies: {} })).toEqual([]);
    const restricted: CrmSchema = { ...schema, objects: { Lead: { ...schema.objects['Lead']!, fields: { ...schema.objects['Lead']!.fields, Industry: restrictedIndustry } } } };
    expect(checkMappings({ sources, schema: restricted, policies: {} }).map((finding) => finding.code)).toEqual(['CHECK_PICKLIST_OPTION_MISSING']);
  });
});

describe('the restricted flag in schema files, describe and the sandbox CRM', () => {
  const document = {
    version: 'v1',
    objects: {
      Lead: {
        fields: {
          Industry: { type: 'picklist', options: ['Banking', 'Computer Software'], restricted: false },
          LeadSource: { type: 'picklist', options: ['Web', 'Other'] },
          Status: { type: 'picklist', options: ['Open'], restricted: true },
        },
      },
    },
  };

  it('reads restricted: false from a schema file and leaves restricted picklists without the key', () => {
    const fields = compileCrmSchema(crmSchemaDocument.parse(document)).objects['Lead']?.fields;
    expect(fields?.['Industry']?.restricted).toBe(false);
    expect(fields?.['LeadSource']).not.toHaveProperty('restricted');
    expect(fields?.['Status']).not.toHaveProperty('restricted');
  });

  it('refuses the flag on a field that is not a picklist', () => {
    const result = crmSchemaDocument.safeParse({ version: 'v1', objects: { Lead: { fields: { Name: { type: 'string', restricted: false } } } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['objects', 'Lead', 'fields', 'Name', 'restricted'] });
  });

  it('writes restricted: false in a pulled schema, which loads back to the same schema', () => {
    const schema = compileCrmSchema(crmSchemaDocument.parse(document));
    const pulled = pulledSchemaDocument(schema, 'salesforce', new Date('2026-11-27T00:00:00Z'));
    const raw = parse(pulled.yaml) as { objects: { Lead: { fields: Record<string, Record<string, unknown>> } } };
    expect(raw.objects.Lead.fields['Industry']).toMatchObject({ restricted: false });
    expect(raw.objects.Lead.fields['LeadSource']).not.toHaveProperty('restricted');
    expect(compileCrmSchema(crmSchemaDocument.parse(raw)).objects).toEqual(schema.objects);
  });

  it('reads Salesforce describe: restrictedPicklist false → restricted: false; true or absent → restricted', () => {
    const picklist = (name: string, restrictedPicklist?: boolean): Record<string, unknown> => ({
      name, type: 'picklist', createable: true, updateable: true, nillable: true, picklistValues: [{ value: 'A', label: 'A', active: true }], ...(restrictedPicklist === undefined ? {} : { restrictedPicklist }),
    });
    const lead = readSalesforceObject('Lead', { name: 'Lead', fields: [picklist('Open__c', false), picklist('Closed__c', true), picklist('Unsaid__c'), { name: 'Name', type: 'string', restrictedPicklist: false }] });
    expect(lead.schema.fields['Open__c']?.restricted).toBe(false);
    expect(lead.schema.fields['Closed__c']).not.toHaveProperty('restricted');
    expect(lead.schema.fields['Unsaid__c']).not.toHaveProperty('restricted');
    expect(lead.schema.fields['Name']).not.toHaveProperty('restricted');
  });

  it('has the sandbox CRM store any text in an unrestricted picklist and only options in a restricted one', () => {
    expect(rejectValue(openIndustry, 'Oil & Energy')).toBeUndefined();
    expect(rejectValue(openTags, ['a', 'Gamma'])).toBeUndefined();
    expect(rejectValue(restrictedIndustry, 'Oil & Energy')).toMatchObject({ code: 'CRM_PICKLIST_MISMATCH' });
  });
});
