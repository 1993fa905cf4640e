import { describe, expect, it } from 'vitest';
import { parseBulkError, recordErrorFailure, retryAfterMs } from '../../../src/adapters/salesforce/salesforce-error-mapping.js';
import { readSalesforceObject } from '../../../src/adapters/salesforce/salesforce-schema-reader.js';
import { csvCell, encodeValue, sameValue, soqlLiteral } from '../../../src/adapters/salesforce/salesforce-values.js';

const describeLead = {
  name: 'Lead',
  label: 'Lead',
  fields: [
    { name: 'Id', label: 'Lead ID', type: 'id', length: 18, nillable: false, createable: false, updateable: false, defaultedOnCreate: true },
    { name: 'LastName', label: 'Last Name', type: 'string', length: 80, nillable: false, createable: true, updateable: true, defaultedOnCreate: false },
    { name: 'HasOptedOut', label: 'Opted out', type: 'boolean', nillable: false, createable: true, updateable: true, defaultedOnCreate: true },
    { name: 'Tags__c', label: 'Tags', type: 'multipicklist', length: 4099, nillable: true, createable: true, updateable: true, picklistValues: [{ value: 'a', label: 'A', active: true }, { value: 'b', label: 'B', active: false }] },
    { name: 'Address', label: 'Address', type: 'address', nillable: true, createable: false, updateable: false },
    { name: 'Key__c', label: 'Key', type: 'string', length: 80, nillable: true, createable: true, updateable: true, externalId: true, unique: true },
    { name: 'Old__c', label: 'Old', type: 'string', length: 80, nillable: true, createable: true, updateable: true, externalId: true, unique: false },
  ],
};
const lead = readSalesforceObject('Lead', describeLead);
const context = { object: lead, dailyLimitPauseMs: 1000, concurrentLimitRetryMs: 50 };

describe('Salesforce describe → schema', () => {
  it('maps types, required, read-only, unique and options, and leaves compound fields out', () => {
    expect(lead.schema.fields).toEqual({
      Id: { name: 'Id', label: 'Lead ID', type: 'string', required: false, readOnly: true, unique: false },
      LastName: { name: 'LastName', label: 'Last Name', type: 'string', required: true, readOnly: false, unique: false, maxLength: 80 },
      HasOptedOut: { name: 'HasOptedOut', label: 'Opted out', type: 'bool', required: false, readOnly: false, unique: false },
      Tags__c: {
        name: 'Tags__c', label: 'Tags', type: 'multi_picklist', required: false, readOnly: false, unique: false,
        options: [{ value: 'a', label: 'A', active: true }, { value: 'b', label: 'B', active: false }],
      },
      Key__c: { name: 'Key__c', label: 'Key', type: 'string', required: false, readOnly: false, unique: true, maxLength: 80 },
      Old__c: { name: 'Old__c', label: 'Old', type: 'string', required: false, readOnly: false, unique: false, maxLength: 80 },
    });
    expect(lead.fields.get('address')).toMatchObject({ type: undefined, crm: undefined });
    expect(() => readSalesforceObject('Lead', { name: 'Lead' })).toThrow('describe of Lead has no fields[]');
  });
});

describe('Salesforce error mapping', () => {
  it.each([
    ['STRING_TOO_LONG', 'Last Name: data value too large: xxxx (max length=80)', 'CRM_VALUE_TOO_LONG', false],
    ['INVALID_EMAIL_ADDRESS', 'Email: invalid email address: ada@', 'CRM_TYPE_MISMATCH', false],
    ['REQUIRED_FIELD_MISSING', 'Required fields are missing: [LastName]', 'CRM_REQUIRED_MISSING', false],
    ['INVALID_FIELD_FOR_INSERT_UPDATE', 'Unable to create/update fields: Id.', 'CRM_FIELD_READ_ONLY', false],
    ['UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 'CRM_RECORD_LOCKED', true],
    ['DUPLICATE_EXTERNAL_ID', 'Old__c: more than one record found for external id field: [00Q1, 00Q2]', 'CRM_MULTIPLE_MATCHES', false],
    ['DUPLICATE_EXTERNAL_ID', 'Duplicate external id specified: ada@example.com', 'CRM_REJECTED', false],
    ['DUPLICATE_VALUE', 'duplicate value found: Key__c duplicates value on record with id: 00Q1', 'CRM_REJECTED', false],
    ['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Close date must be in the future', 'CRM_REJECTED', false],
    ['REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.', 'CRM_RATE_LIMITED', true],
    ['INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id', 'CRM_PERMISSION_DENIED', false],
  ] as const)('%s (%s) → %s', (code, message, expected, retryable) => {
    expect(recordErrorFailure({ code, message, fields: ['LastName'] }, context)).toMatchObject({ ok: false, code: expected, retryable });
  });

  it('keeps sent values out of messages, except picklist values', () => {
    expect(recordErrorFailure({ code: 'INVALID_EMAIL_ADDRESS', message: 'Email: invalid email address: ada@secret', fields: ['Email'] }, context).message).not.toContain('ada@secret');
    const picklist = recordErrorFailure({ code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: 'Tags: bad value for restricted picklist field: A;zzz', fields: ['Tags__c'] }, { ...context, body: new Map([['Tags__c', 'a;zzz']]) });
    expect(picklist).toMatchObject({ code: 'CRM_PICKLIST_MISMATCH', message: expect.stringContaining('"zzz"') as unknown });
    expect(picklist.message).toContain('valid options: "a"');
  });

  it('pauses the destination for the daily allocation only', () => {
    expect(recordErrorFailure({ code: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.', fields: [] }, context)).toEqual({
      ok: false, code: 'CRM_DAILY_LIMIT', retryable: true, retryAfterMs: 1000, pauseDestinationMs: 1000,
      message: "Salesforce REQUEST_LIMIT_EXCEEDED (TotalRequests): the org's rolling 24-hour API allocation is used up; pausing the destination",
    });
  });

  it('reads Bulk API sf__Error cells and Retry-After headers', () => {
    expect(parseBulkError('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName, Company]:LastName,Company --')).toEqual({
      code: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName, Company]', fields: ['LastName', 'Company'],
    });
    expect(parseBulkError('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--')).toEqual({ code: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] });
    expect(retryAfterMs(new Headers({ 'retry-after': '2.5' }))).toBe(2500);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe('Salesforce values', () => {
  const field = (name: string) => {
    const info = lead.fields.get(name.toLowerCase());
    if (info === undefined) throw new Error(`no ${name}`);
    return info;
  };
  it('encodes for JSON and CSV, and compares what was read back', () => {
    expect(encodeValue(field('Tags__c'), ['a', 'b'])).toBe('a;b');
    expect(encodeValue(field('HasOptedOut'), 'yes')).toMatchObject({ code: 'CRM_TYPE_MISMATCH' });
    expect(encodeValue(field('Address'), 'x')).toMatchObject({ code: 'CRM_FIELD_READ_ONLY' });
    expect([csvCell(undefined), csvCell(null), csvCell(''), csvCell(12), csvCell(false)]).toEqual(['', '#N/A', '#N/A', '12', 'false']);
    expect(sameValue(field('Tags__c'), 'b;a', 'a;b')).toBe(true);
    expect(sameValue(field('LastName'), null, null)).toBe(true);
    expect(sameValue(field('LastName'), 'x', { nested: true })).toBe(false);
  });

  it('escapes SOQL literals', () => {
    expect(soqlLiteral("O'Brien \\ \n")).toBe("'O\\'Brien \\\\ \\n'");
  });
});
