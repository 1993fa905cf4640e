import { describe, expect, it } from 'vitest';
import { compileSchema, findField, validateRecord } from '../../../src/core/crm-schema/field-validator.js';
import { contactObject, crmSchema } from './schema-fixtures.js';

describe('validateRecord', () => {
  it('validates every present value and lists absent required fields', () => {
    const result = validateRecord(contactObject, { email: 'Ada@Example.com', employees: '1200', segment: 'Enterprize', nickname: 'x' });
    expect(result.fields).toEqual({
      email: { ok: true, value: 'ada@example.com' },
      employees: { ok: true, value: 1200 },
      segment: { ok: false, code: 'CRM_PICKLIST_MISMATCH', message: 'Field "segment": the value is not an option of the picklist', suggestions: ['enterprise'] },
      nickname: { ok: false, code: 'CRM_FIELD_UNKNOWN', message: 'Field "nickname": the CRM object has no such field' },
    });
    expect(result.missingRequired).toEqual(['lastname']);
  });

  it('reports a present-but-empty required field once, in fields, not in missingRequired', () => {
    const result = validateRecord(contactObject, { email: 'ada@example.com', lastname: '  ' });
    expect(result.fields['lastname']).toMatchObject({ ok: false, code: 'CRM_REQUIRED_MISSING' });
    expect(result.missingRequired).toEqual([]);
  });

  it('treats undefined values as absent', () => {
    const result = validateRecord(contactObject, { email: undefined, lastname: 'Lovelace' });
    expect(Object.keys(result.fields)).toEqual(['lastname']);
    expect(result.missingRequired).toEqual(['email']);
  });

  it('never asks a create to fill a read-only required field', () => {
    expect(validateRecord(contactObject, {}).missingRequired).toEqual(['email', 'lastname']);
  });

  it('passes truncate through', () => {
    const long = 'L'.repeat(100);
    expect(validateRecord(contactObject, { lastname: long }).fields['lastname']).toMatchObject({ ok: false, code: 'CRM_VALUE_TOO_LONG' });
    expect(validateRecord(contactObject, { lastname: long }, { truncate: true }).fields['lastname']).toEqual({ ok: true, value: 'L'.repeat(80) });
  });

  it('looks field names up as data, not as prototype members', () => {
    const result = validateRecord(contactObject, { constructor: 'ok', toString: 'x' });
    const codes = Object.entries(result.fields).map(([name, validation]) => [name, validation.ok ? 'ok' : validation.code]);
    expect(codes).toEqual([
      ['constructor', 'ok'],
      ['toString', 'CRM_FIELD_UNKNOWN'],
    ]);
  });

  it('reads a "__proto__" key as a field name', () => {
    const values = JSON.parse('{"__proto__": "y"}') as Record<string, unknown>;
    const result = validateRecord(contactObject, values);
    expect(Object.keys(result.fields)).toEqual(['__proto__']);
    expect(result.fields['__proto__']).toMatchObject({ ok: false, code: 'CRM_FIELD_UNKNOWN' });
  });
});

describe('compileSchema', () => {
  it('compiles each schema once and exposes fields by name', () => {
    const compiled = compileSchema(crmSchema);
    expect(compileSchema(crmSchema)).toBe(compiled);
    const contacts = compiled.objects.get('contacts');
    expect(contacts?.fields.get('segment')?.picklist.activeByValueKey.get('mid market')).toBe('mid_market');
    expect(contacts?.requiredWritable).toEqual(['email', 'lastname']);
  });

  it('shares its compiled objects with validateRecord', () => {
    const compiled = compileSchema(crmSchema);
    const segment = compiled.objects.get('contacts')?.fields.get('segment');
    expect(segment?.schema).toBe(contactObject.fields['segment']);
  });

  it('findField looks names up as data', () => {
    expect(findField(contactObject, 'segment')).toBe(contactObject.fields['segment']);
    expect(findField(contactObject, 'toString')).toBeUndefined();
    expect(findField(contactObject, 'nope')).toBeUndefined();
  });
});
