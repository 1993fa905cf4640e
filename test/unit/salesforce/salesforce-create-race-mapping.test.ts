import { describe, expect, it } from 'vitest';
import { recordErrorFailure, type MappingContext } from '../../../src/adapters/salesforce/salesforce-error-mapping.js';

// DUPLICATE_VALUE on the External ID field an upsert matches by can only mean another request
// created the record between this upsert's lookup and its insert: retryable (decision 0032).
// On any other unique field it is a real clash and stays permanent.

const upsertByDomain: MappingContext = { object: undefined, dailyLimitPauseMs: 1000, concurrentLimitRetryMs: 50, externalIdField: 'Domain__c' };
const duplicate = (message: string, fields: readonly string[] = []): { code: string; message: string; fields: readonly string[] } => ({ code: 'DUPLICATE_VALUE', message, fields });

describe('Salesforce DUPLICATE_VALUE: a lost create race or a unique clash', () => {
  it.each([
    ['the upsert key, as Salesforce spells it', duplicate('duplicate value found: Domain__c duplicates value on record with id: 0015e00000AAAAAAA1'), 'CRM_CREATE_RACE', true],
    ['the upsert key, in another case', duplicate('duplicate value found: domain__c duplicates value on record with id: 0015e00000AAAAAAA1'), 'CRM_CREATE_RACE', true],
    ['the upsert key, in fields[]', duplicate('duplicate value found', ['Domain__c']), 'CRM_CREATE_RACE', true],
    ['another unique field', duplicate('duplicate value found: Tax_Id__c duplicates value on record with id: 0015e00000AAAAAAA1'), 'CRM_REJECTED', false],
    ['a field whose name starts like the key', duplicate('duplicate value found: Domain__cx duplicates value on record with id: 0015e00000AAAAAAA1'), 'CRM_REJECTED', false],
    ['no field named', duplicate('duplicate value found'), 'CRM_REJECTED', false],
  ])('names %s', (_case, error, code, retryable) => {
    expect(recordErrorFailure(error, upsertByDomain)).toMatchObject({ ok: false, code, retryable });
  });

  it('stays permanent where the key field is not known', () => {
    const { externalIdField: _key, ...unknownKey } = upsertByDomain;
    expect(recordErrorFailure(duplicate('duplicate value found: Domain__c duplicates value on record with id: 0015e00000AAAAAAA1'), unknownKey)).toMatchObject({ code: 'CRM_REJECTED', retryable: false });
  });
});
