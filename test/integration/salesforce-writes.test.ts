import { describe, expect, it, onTestFinished } from 'vitest';
import { SalesforceDestination, type SalesforceDestinationOptions } from '../../src/adapters/salesforce/salesforce-destination.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../emulators/salesforce/salesforce-emulator.js';

async function setup(options: Partial<SalesforceDestinationOptions> = {}): Promise<{ sf: SalesforceEmulator; crm: SalesforceDestination }> {
  const sf = await startSalesforceEmulator();
  onTestFinished(() => sf.close());
  const crm = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'client_credentials', clientId: sf.clientId, clientSecret: sf.clientSecret }, ...options });
  return { sf, crm };
}

function lead(id: string, properties: Record<string, string | number | null> = {}): { idField: string; id: string; properties: Record<string, string | number | null> } {
  return { idField: 'Leadsync_Id__c', id, properties: { LastName: `Last ${id}`, Company: 'Acme', ...properties } };
}

function calls(sf: SalesforceEmulator): string[] {
  return sf.requests().map((request) => `${request.method} ${request.path}`);
}

describe('Salesforce adapter: describe', () => {
  it('turns describe into our schema: required, read-only, unique external ids, lengths, picklist options', async () => {
    const { crm } = await setup();
    const schema = await crm.describe();
    expect(Object.keys(schema.objects)).toEqual(['Lead', 'Contact', 'Account']);
    expect(schema.version).toMatch(/^salesforce-v60\.0-[0-9a-f]{12}$/);
    const fields = schema.objects['Lead']?.fields ?? {};
    expect(fields['LastName']).toMatchObject({ type: 'string', required: true, readOnly: false, maxLength: 80 });
    // Defaulted on create: not required although not nillable.
    expect(fields['Status']).toMatchObject({ type: 'picklist', required: false });
    expect(fields['LeadSource']?.options?.map((option) => option.value)).toEqual(['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']);
    expect(fields['Leadsync_Id__c']).toMatchObject({ unique: true });
    expect(fields['Legacy_Id__c']).toMatchObject({ unique: false });
    expect(fields['CreatedDate']).toMatchObject({ type: 'datetime', readOnly: true });
    expect(fields['NumberOfEmployees']).toMatchObject({ type: 'number' });
    expect(fields['Description']).toMatchObject({ type: 'text', maxLength: 32000 });
    expect(await crm.describe()).toEqual(schema);
  });
});

describe('Salesforce adapter: writes', () => {
  it('sends one record as a PATCH by external id and several as one sObject Collections request with per-record results', async () => {
    const { sf, crm } = await setup();
    expect(await crm.upsert('Lead', [lead('L-1')])).toMatchObject([{ ok: true, created: true }]);
    const results = await crm.upsert('Lead', [lead('L-1', { Title: 'CTO' }), lead('L-2', { LeadSource: 'Web' }), lead('L-3', { LeadSource: 'Nope' }), lead('L-4', { LastName: null })]);
    expect(results.map((result) => (result.ok ? `ok created=${String(result.created)}` : result.code))).toEqual([
      'ok created=false',
      'ok created=true',
      'CRM_PICKLIST_MISMATCH',
      'CRM_REQUIRED_MISSING',
    ]);
    expect(calls(sf).filter((call) => call.startsWith('PATCH'))).toEqual([
      'PATCH /services/data/v60.0/sobjects/Lead/Leadsync_Id__c/L-1',
      'PATCH /services/data/v60.0/composite/sobjects/Lead/Leadsync_Id__c',
    ]);
    expect(sf.records('Lead').map((record) => record['Leadsync_Id__c'])).toEqual(['L-1', 'L-2']);
  });

  it('splits more than 200 records into collections of 200', async () => {
    const { sf, crm } = await setup();
    const inputs = Array.from({ length: 450 }, (_, index) => lead(`B-${index}`));
    const results = await crm.upsert('Lead', inputs);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(calls(sf).filter((call) => call.includes('/composite/'))).toHaveLength(3);
    expect(sf.records('Lead')).toHaveLength(450);
  });

  it('names the nearest valid options when a restricted picklist refuses a value', async () => {
    const { crm } = await setup();
    const [result] = await crm.upsert('Lead', [lead('L-1', { LeadSource: 'web site' })]);
    expect(result).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH', retryable: false });
    expect(result?.ok === false ? result.message : '').toContain('LeadSource: "web site" is not an active value');
    expect(result?.ok === false ? result.message : '').toContain('nearest valid options: "Web"');
  });

  it('maps UNABLE_TO_LOCK_ROW to a retryable CRM_RECORD_LOCKED, in a single write and inside a collection', async () => {
    const { sf, crm } = await setup();
    sf.lockRows(1);
    expect(await crm.upsert('Lead', [lead('L-1')])).toMatchObject([{ ok: false, code: 'CRM_RECORD_LOCKED', retryable: true }]);
    sf.lockRows(1);
    expect(await crm.upsert('Lead', [lead('L-1'), lead('L-2')])).toMatchObject([{ ok: false, code: 'CRM_RECORD_LOCKED', retryable: true }, { ok: true }]);
    expect(await crm.upsert('Lead', [lead('L-1')])).toMatchObject([{ ok: true, created: true }]);
  });

  it('turns 300 Multiple Choices into CRM_MULTIPLE_MATCHES naming the records, for writes and reads', async () => {
    const { sf, crm } = await setup();
    const first = sf.seed('Lead', { LastName: 'One', Company: 'Acme', Legacy_Id__c: 'OLD-1' });
    const second = sf.seed('Lead', { LastName: 'Two', Company: 'Acme', Legacy_Id__c: 'old-1' });
    const [single] = await crm.upsert('Lead', [{ idField: 'Legacy_Id__c', id: 'OLD-1', properties: { Title: 'CTO' } }]);
    expect(single).toMatchObject({ ok: false, code: 'CRM_MULTIPLE_MATCHES', retryable: false });
    expect(single?.ok === false ? single.message : '').toContain(`${first}, ${second}`);
    const batch = await crm.upsert('Lead', [
      { idField: 'Legacy_Id__c', id: 'OLD-1', properties: { Title: 'CTO' } },
      { idField: 'Legacy_Id__c', id: 'OLD-2', properties: { LastName: 'Three', Company: 'Acme' } },
    ]);
    expect(batch).toMatchObject([{ ok: false, code: 'CRM_MULTIPLE_MATCHES' }, { ok: true, created: true }]);
    expect(await crm.read('Lead', [{ idField: 'Legacy_Id__c', id: 'OLD-1' }])).toMatchObject([{ ok: false, code: 'CRM_MULTIPLE_MATCHES' }]);
  });

  it('pauses the destination on 403 REQUEST_LIMIT_EXCEEDED for the daily allocation, and reports usage from Sforce-Limit-Info', async () => {
    const { sf, crm } = await setup({ dailyLimitPauseMs: 600_000 });
    expect(crm.rateLimitStatus()).toBeUndefined();
    await crm.upsert('Lead', [lead('L-1')]);
    expect(crm.rateLimitStatus()).toEqual({ remaining: 15_000 - 2, max: 15_000, intervalMs: 86_400_000, dailyRemaining: 15_000 - 2 });

    sf.setApiLimit({ max: 100, used: 100 });
    const results = await crm.upsert('Lead', [lead('L-2'), lead('L-3')]);
    expect(results).toMatchObject([
      { ok: false, code: 'CRM_DAILY_LIMIT', retryable: true, pauseDestinationMs: 600_000 },
      { ok: false, code: 'CRM_DAILY_LIMIT', retryable: true, pauseDestinationMs: 600_000 },
    ]);
    expect(crm.rateLimitStatus()).toMatchObject({ remaining: 0, max: 100 });
  });

  it('treats the concurrent-request 403 as a short, retryable rate limit without pausing', async () => {
    const { sf, crm } = await setup();
    sf.injectFault({ kind: 'concurrent_limit' });
    const [result] = await crm.upsert('Lead', [lead('L-1')]);
    expect(result).toMatchObject({ ok: false, code: 'CRM_RATE_LIMITED', retryable: true, retryAfterMs: 5000 });
    expect(result).not.toHaveProperty('pauseDestinationMs');
  });

  it('reads a 5xx with an HTML body as retryable, naming the page title, and a JSON 500 by its error code', async () => {
    const { sf, crm } = await setup();
    await crm.describe();
    sf.injectFault({ kind: 'server_error', status: 502, body: 'html' });
    expect(await crm.upsert('Lead', [lead('L-1'), lead('L-2')])).toEqual([
      { ok: false, code: 'CRM_UNAVAILABLE', message: 'Salesforce 502 (Service Unavailable)', retryable: true },
      { ok: false, code: 'CRM_UNAVAILABLE', message: 'Salesforce 502 (Service Unavailable)', retryable: true },
    ]);
    sf.injectFault({ kind: 'server_error', status: 500 });
    const [json] = await crm.read('Lead', [{ idField: 'Leadsync_Id__c', id: 'L-1' }]);
    expect(json).toMatchObject({ ok: false, code: 'CRM_UNAVAILABLE', retryable: true, message: expect.stringContaining('UNKNOWN_EXCEPTION') as unknown });
  });

  it('re-reads after a write timed out: values present count as written, absent ones stay retryable', async () => {
    const { sf, crm } = await setup({ timeoutMs: 400 });
    await crm.describe();
    sf.injectFault({ kind: 'hang', afterWrite: true, method: 'PATCH' });
    expect(await crm.upsert('Lead', [lead('L-1', { Title: 'CTO', NumberOfEmployees: 250 })])).toMatchObject([{ ok: true, created: true }]);
    expect(calls(sf).slice(-2)).toEqual(['PATCH /services/data/v60.0/sobjects/Lead/Leadsync_Id__c/L-1', 'GET /services/data/v60.0/query']);

    sf.injectFault({ kind: 'hang', method: 'PATCH' });
    const [lost] = await crm.upsert('Lead', [lead('L-1', { Title: 'CEO' })]);
    expect(lost).toMatchObject({ ok: false, code: 'CRM_UNAVAILABLE', retryable: true, message: expect.stringContaining('did not land') as unknown });
    expect(sf.records('Lead')).toMatchObject([{ Title: 'CTO' }]);

    sf.injectFault({ kind: 'reset', afterWrite: true, method: 'PATCH' });
    const batch = await crm.upsert('Lead', [lead('L-1', { Title: 'CEO' }), lead('L-2')]);
    expect(batch).toMatchObject([{ ok: true, created: false }, { ok: true, created: true }]);
  });

  it('refuses before sending what would fail a whole collection: unknown fields, wrong JSON types, non-external-id keys, repeated keys', async () => {
    const { sf, crm } = await setup();
    const results = await crm.upsert('Lead', [
      lead('L-1', { Favourite__c: 'blue' }),
      lead('L-2', { NumberOfEmployees: 'many' }),
      { idField: 'Email', id: 'ada@example.com', properties: {} },
      lead('L-3'),
      lead('l-3'),
      lead('L-4'),
    ]);
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual(['CRM_FIELD_UNKNOWN', 'CRM_TYPE_MISMATCH', 'CRM_REJECTED', 'ok', 'CRM_REJECTED', 'ok']);
    expect(await crm.upsert('Deal', [lead('L-9')])).toMatchObject([{ ok: false, code: 'CRM_OBJECT_UNKNOWN' }]);
    expect(sf.records('Lead')).toHaveLength(2);
  });

  it('sends each record alone when Salesforce refuses a whole collection with 400, so innocent records are written', async () => {
    const { sf, crm } = await setup();
    await crm.describe();
    sf.injectFault({ kind: 'reject', errorCode: 'JSON_PARSER_ERROR', message: 'Cannot deserialize instance of double', method: 'PATCH' });
    expect(await crm.upsert('Lead', [lead('L-1'), lead('L-2')])).toMatchObject([{ ok: true }, { ok: true }]);
    expect(calls(sf).filter((call) => call.startsWith('PATCH'))).toEqual([
      'PATCH /services/data/v60.0/composite/sobjects/Lead/Leadsync_Id__c',
      'PATCH /services/data/v60.0/sobjects/Lead/Leadsync_Id__c/L-1',
      'PATCH /services/data/v60.0/sobjects/Lead/Leadsync_Id__c/L-2',
    ]);
  });

  it('reads by external id in batches, with multi-picklists as lists and updatedAt from SystemModstamp', async () => {
    const { sf, crm } = await setup();
    await crm.upsert('Lead', [lead('L-1', { Title: "O'Brien \\ CTO", NumberOfEmployees: 12 })]);
    const reads = await crm.read('Lead', [
      { idField: 'Leadsync_Id__c', id: 'L-1' },
      { idField: 'Leadsync_Id__c', id: 'missing' },
      { idField: 'Nope__c', id: 'x' },
    ]);
    expect(reads[0]).toMatchObject({ ok: true, found: true, properties: { Title: "O'Brien \\ CTO", NumberOfEmployees: 12, Status: 'Open - Not Contacted', Leadsync_Id__c: 'L-1' } });
    expect(reads[0]?.ok === true && reads[0].found ? Object.keys(reads[0].properties) : []).not.toContain('FirstName');
    expect(reads[0]?.ok === true && reads[0].found ? reads[0].updatedAt : '').toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(reads.slice(1)).toMatchObject([{ ok: true, found: false }, { ok: false, code: 'CRM_FIELD_UNKNOWN' }]);
    expect(calls(sf).filter((call) => call.endsWith('/query'))).toHaveLength(1);
  });

  it('reads many keys in queries of at most 200 values, matching ids case-insensitively, and by Id', async () => {
    const { sf, crm } = await setup();
    const ids = Array.from({ length: 450 }, (_, index) => `R-${index}`);
    await crm.upsert('Lead', ids.map((id) => lead(id)));
    const queriesBefore = calls(sf).filter((call) => call.endsWith('/query')).length;
    const reads = await crm.read('Lead', ids.map((id) => ({ idField: 'Leadsync_Id__c', id: id.toLowerCase() })));
    expect(reads.every((read) => read.ok && read.found)).toBe(true);
    expect(reads.map((read) => (read.ok && read.found ? read.properties['Leadsync_Id__c'] : ''))).toEqual(ids);
    expect(calls(sf).filter((call) => call.endsWith('/query')).length - queriesBefore).toBe(3);
    const first = reads[0]?.ok === true && reads[0].found ? reads[0].recordId : '';
    expect(await crm.read('Lead', [{ idField: 'Id', id: first }])).toMatchObject([{ ok: true, found: true, recordId: first }]);
  });
});
