import { describe, expect, it, onTestFinished } from 'vitest';
import { SalesforceDestination, type SalesforceDestinationOptions } from '../../src/adapters/salesforce/salesforce-destination.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../emulators/salesforce/salesforce-emulator.js';

async function setup(options: Partial<SalesforceDestinationOptions> = {}): Promise<{ sf: SalesforceEmulator; crm: SalesforceDestination }> {
  const sf = await startSalesforceEmulator({ bulkProcessingDelayMs: 30 });
  onTestFinished(() => sf.close());
  const crm = new SalesforceDestination({
    instanceUrl: sf.url,
    auth: { kind: 'client_credentials', clientId: sf.clientId, clientSecret: sf.clientSecret },
    bulkPollIntervalMs: 20,
    ...options,
  });
  return { sf, crm };
}

function calls(sf: SalesforceEmulator): string[] {
  return sf.requests().map((request) => `${request.method} ${request.path}`);
}

describe('Salesforce adapter: Bulk API 2.0', () => {
  it('runs an ingest job and answers per record from the successful and failed result CSVs', async () => {
    const { sf, crm } = await setup();
    sf.seed('Lead', { LastName: 'Existing', Company: 'Acme', Leadsync_Id__c: 'K-2', Title: 'Old' });
    const results = await crm.bulkUpsert('Lead', [
      { idField: 'Leadsync_Id__c', id: 'K-1', properties: { LastName: 'One, "quoted"', Company: 'Acme', LeadSource: 'Web', NumberOfEmployees: 10 } },
      { idField: 'Leadsync_Id__c', id: 'K-2', properties: { Title: null } },
      { idField: 'Leadsync_Id__c', id: 'K-3', properties: { LastName: 'Three', Company: 'Acme', LeadSource: 'Webinar' } },
      { idField: 'Leadsync_Id__c', id: 'K-4', properties: { Company: 'Acme' } },
      { idField: 'Leadsync_Id__c', id: 'K-5', properties: { LastName: 'Five', Company: 'Acme', Email: 'not-an-email' } },
    ]);
    expect(results.map((result) => (result.ok ? `ok created=${String(result.created)}` : `${result.code} retryable=${String(result.retryable)}`))).toEqual([
      'ok created=true',
      'ok created=false',
      'CRM_PICKLIST_MISMATCH retryable=false',
      'CRM_REQUIRED_MISSING retryable=false',
      'CRM_TYPE_MISMATCH retryable=false',
    ]);
    expect(results[2]?.ok === false ? results[2].message : '').toContain('nearest valid options: "Web"');
    const records = sf.records('Lead');
    expect(records.find((record) => record['Leadsync_Id__c'] === 'K-1')).toMatchObject({ LastName: 'One, "quoted"', NumberOfEmployees: 10 });
    // #N/A cleared the title; an empty cell would have left it.
    expect(records.find((record) => record['Leadsync_Id__c'] === 'K-2')).not.toHaveProperty('Title');
    expect(calls(sf).filter((call) => !call.includes('/describe') && !call.includes('oauth2'))).toEqual(
      expect.arrayContaining([
        'POST /services/data/v60.0/jobs/ingest',
        expect.stringMatching(/^PUT \/services\/data\/v60\.0\/jobs\/ingest\/750\w+\/batches$/) as unknown,
        expect.stringMatching(/^GET \/services\/data\/v60\.0\/jobs\/ingest\/750\w+\/failedResults$/) as unknown,
      ]),
    );
  });

  it('reports the unprocessed rows of a job that failed part-way as retryable', async () => {
    const { sf, crm } = await setup();
    sf.failNextBulkJobAfter(2);
    const inputs = Array.from({ length: 5 }, (_, index) => ({ idField: 'Leadsync_Id__c', id: `U-${index}`, properties: { LastName: `L${index}`, Company: 'Acme' } }));
    const results = await crm.bulkUpsert('Lead', inputs);
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual(['ok', 'ok', 'CRM_UNAVAILABLE', 'CRM_UNAVAILABLE', 'CRM_UNAVAILABLE']);
    expect(results[4]).toMatchObject({ retryable: true, message: expect.stringContaining('processing stopped after 2 records') as unknown });
    // Retrying the unprocessed ones writes them.
    expect((await crm.bulkUpsert('Lead', inputs.slice(2))).every((result) => result.ok)).toBe(true);
    expect(sf.records('Lead')).toHaveLength(5);
  });

  it('upsert switches to a Bulk API job from bulkThreshold records', async () => {
    const { sf, crm } = await setup({ bulkThreshold: 3 });
    const inputs = Array.from({ length: 3 }, (_, index) => ({ idField: 'Leadsync_Id__c', id: `T-${index}`, properties: { LastName: `L${index}`, Company: 'Acme' } }));
    expect(await crm.upsert('Lead', inputs.slice(0, 2))).toMatchObject([{ ok: true }, { ok: true }]);
    expect(calls(sf).some((call) => call.includes('/jobs/ingest'))).toBe(false);
    expect(await crm.upsert('Lead', inputs)).toMatchObject([{ ok: true, created: false }, { ok: true, created: false }, { ok: true, created: true }]);
    expect(calls(sf).filter((call) => call === 'POST /services/data/v60.0/jobs/ingest')).toHaveLength(1);
  });

  it('gives up on a job that does not finish in bulkTimeoutMs, aborting it, and reports its records retryable', async () => {
    const sf = await startSalesforceEmulator({ bulkProcessingDelayMs: 5000 });
    onTestFinished(() => sf.close());
    const crm = new SalesforceDestination({
      instanceUrl: sf.url,
      auth: { kind: 'client_credentials', clientId: sf.clientId, clientSecret: sf.clientSecret },
      bulkPollIntervalMs: 20,
      bulkTimeoutMs: 200,
    });
    const results = await crm.bulkUpsert('Lead', [{ idField: 'Leadsync_Id__c', id: 'S-1', properties: { LastName: 'Slow', Company: 'Acme' } }]);
    expect(results).toMatchObject([{ ok: false, code: 'CRM_UNAVAILABLE', retryable: true, message: expect.stringContaining('aborted') as unknown }]);
  });
});
