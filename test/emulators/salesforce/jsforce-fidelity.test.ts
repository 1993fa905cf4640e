/**
 * Keeps the Salesforce emulator honest: the official SDK, jsforce, is
 * pointed at it and must handle every answer (success and error shapes)
 * without errors of its own.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { Connection } from 'jsforce';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceEmulatorOptions } from './salesforce-emulator.js';

async function emulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const sf = await startSalesforceEmulator({ bulkProcessingDelayMs: 20, ...options });
  onTestFinished(() => sf.close());
  return sf;
}

function connect(sf: SalesforceEmulator): Connection {
  return new Connection({ instanceUrl: sf.url, accessToken: sf.issueToken(), version: '60.0' });
}

async function caught(promise: PromiseLike<unknown>): Promise<{ errorCode?: string; name?: string; message?: string; data?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { errorCode?: string };
  }
  throw new Error('expected the call to fail');
}

describe('jsforce 3 against the Salesforce emulator', () => {
  it('logs in with the client-credentials flow and takes instance URL and ids from the token answer', async () => {
    const sf = await emulator();
    const conn = new Connection({ oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret }, version: '60.0' });
    const user = await conn.authorize({ grant_type: 'client_credentials' });
    expect(conn.instanceUrl).toBe(sf.url);
    expect(user).toMatchObject({ organizationId: '00D5e0000000001EAA', id: '0055e000000001AAA' });
    expect((await conn.sobject('Lead').describe()).name).toBe('Lead');

    const refused = new Connection({ oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: 'wrong' }, version: '60.0' });
    expect(await caught(refused.authorize({ grant_type: 'client_credentials' }))).toMatchObject({ name: 'invalid_client' });
  });

  it('logs in with a JWT-bearer assertion', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const sf = await emulator({ clients: [{ clientId: 'jwt-app', jwtPublicKey: keys.publicKey }] });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('jwt-app')
      .setSubject(sf.username)
      .setAudience('https://login.salesforce.com')
      .setExpirationTime('3m')
      .sign(await importPKCS8(keys.privateKey, 'RS256'));
    const conn = new Connection({ oauth2: { loginUrl: sf.loginUrl, clientId: 'jwt-app' }, version: '60.0' });
    await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
    expect(conn.accessToken).toMatch(/^00D/);
    expect((await conn.query('SELECT Id FROM Lead')).totalSize).toBe(0);
  });

  it('describes an sObject in the shape jsforce types', async () => {
    const sf = await emulator();
    const describe = await connect(sf).sobject('Lead').describe();
    const leadSource = describe.fields.find((field) => field.name === 'LeadSource');
    expect(leadSource).toMatchObject({ type: 'picklist', restrictedPicklist: true, nillable: true, updateable: true, createable: true, soapType: 'xsd:string' });
    expect((leadSource?.picklistValues as { value: string }[] | undefined)?.map((option) => option.value)).toContain('Web');
    expect(describe.fields.find((field) => field.name === 'Leadsync_Id__c')).toMatchObject({ externalId: true, unique: true, length: 80 });
  });

  it('upserts one record by external id: created, updated, and the error shapes jsforce turns into errors', async () => {
    const sf = await emulator();
    const conn = connect(sf);
    const leads = conn.sobject('Lead');
    expect(await leads.upsert({ Leadsync_Id__c: 'J-1', LastName: 'Lovelace', Company: 'Acme' }, 'Leadsync_Id__c')).toMatchObject({ success: true, created: true, errors: [] });
    expect(await leads.upsert({ Leadsync_Id__c: 'J-1', Title: 'CTO' }, 'Leadsync_Id__c')).toMatchObject({ success: true, created: false });
    expect(await conn.request('/sobjects/Lead/Leadsync_Id__c/J-1')).toMatchObject({ attributes: { type: 'Lead' }, LastName: 'Lovelace', Title: 'CTO', FirstName: null });

    expect(await caught(leads.upsert({ Leadsync_Id__c: 'J-2', LastName: 'Bob', Company: 'Acme', LeadSource: 'Nope' }, 'Leadsync_Id__c'))).toMatchObject({
      errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      message: 'Lead Source: bad value for restricted picklist field: Nope',
    });
    sf.seed('Lead', { LastName: 'A', Company: 'Acme', Legacy_Id__c: 'X' });
    sf.seed('Lead', { LastName: 'B', Company: 'Acme', Legacy_Id__c: 'X' });
    expect(await caught(leads.upsert({ Legacy_Id__c: 'X', Title: 'CEO' }, 'Legacy_Id__c'))).toMatchObject({ errorCode: 'MULTIPLE_CHOICES' });
    expect(await caught(leads.upsert({ Nope__c: 'x', Title: 'CEO' }, 'Nope__c'))).toMatchObject({ errorCode: 'NOT_FOUND' });

    sf.setApiLimit({ used: 15_000 });
    expect(await caught(leads.upsert({ Leadsync_Id__c: 'J-1', Title: 'CEO' }, 'Leadsync_Id__c'))).toMatchObject({ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' });
    expect(conn.limitInfo.apiUsage).toEqual({ used: 15_000, limit: 15_000 });
  });

  it('upserts a collection with allOrNone false and passes per-record statusCode errors through', async () => {
    const sf = await emulator();
    const results = await connect(sf)
      .sobject('Lead')
      .upsert(
        [
          { Leadsync_Id__c: 'C-1', LastName: 'Lovelace', Company: 'Acme', LeadSource: 'Web' },
          { Leadsync_Id__c: 'C-2', LastName: 'Bob', Company: 'Acme', LeadSource: 'Nope' },
          { Leadsync_Id__c: 'C-3', Company: 'Acme' },
        ],
        'Leadsync_Id__c',
        { allOrNone: false },
      );
    expect(results).toEqual([
      { id: expect.stringMatching(/^00Q\w{15}$/) as unknown, success: true, errors: [], created: true },
      { success: false, errors: [{ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: 'Lead Source: bad value for restricted picklist field: Nope', fields: ['LeadSource'] }] },
      { success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] }] },
    ]);
    const rolledBack = await connect(sf)
      .sobject('Lead')
      .upsert([{ Leadsync_Id__c: 'C-4', LastName: 'Ok', Company: 'Acme' }, { Leadsync_Id__c: 'C-5', Company: 'Acme' }], 'Leadsync_Id__c', { allOrNone: true });
    expect(rolledBack).toMatchObject([{ success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' }] }, { success: false }]);
    expect(sf.records('Lead').map((record) => record['Leadsync_Id__c'])).toEqual(['C-1']);

    const many = Array.from({ length: 201 }, (_, index) => ({ Leadsync_Id__c: `M-${index}`, LastName: 'Many', Company: 'Acme' }));
    expect(await caught(connect(sf).sobject('Lead').upsert(many, 'Leadsync_Id__c'))).toMatchObject({ errorCode: 'EXCEEDED_ID_LIMIT' });
    const split = await connect(sf).sobject('Lead').upsert(many, 'Leadsync_Id__c', { allowRecursive: true });
    expect(split.filter((result) => result.success)).toHaveLength(201);
  });

  it('queries by external id, retries a GET after an HTML 503, and reports an expired session', async () => {
    const sf = await emulator();
    const conn = connect(sf);
    await conn.sobject('Lead').upsert([{ Leadsync_Id__c: 'Q-1', LastName: "O'Brien", Company: 'Acme' }, { Leadsync_Id__c: 'Q-2', LastName: 'Two', Company: 'Acme' }], 'Leadsync_Id__c');
    sf.injectFault({ kind: 'server_error', status: 503, body: 'html' });
    const result = await conn.query<{ Id: string; LastName: string }>("SELECT Id, LastName FROM Lead WHERE Leadsync_Id__c IN ('q-1', 'Q-2')");
    expect(result.totalSize).toBe(2);
    expect(result.records.map((record) => record.LastName)).toEqual(["O'Brien", 'Two']);
    expect(sf.requests().filter((request) => request.path.endsWith('/query'))).toHaveLength(2);

    // jsforce reports a non-JSON error body as ERROR_HTTP_<status> (PATCH is not retried).
    sf.injectFault({ kind: 'server_error', status: 502, body: 'html', method: 'PATCH' });
    expect(await caught(conn.sobject('Lead').upsert({ Leadsync_Id__c: 'Q-1', Title: 'x' }, 'Leadsync_Id__c'))).toMatchObject({ errorCode: 'ERROR_HTTP_502' });

    sf.expireTokens();
    expect(await caught(conn.query('SELECT Id FROM Lead'))).toMatchObject({ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' });
  });

  it('loads through Bulk API 2.0 and reads the successful, failed and unprocessed results', async () => {
    const sf = await emulator();
    const conn = connect(sf);
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Lead',
      operation: 'upsert',
      externalIdFieldName: 'Leadsync_Id__c',
      input: [
        { Leadsync_Id__c: 'K-1', LastName: 'One', Company: 'Acme', LeadSource: 'Web' },
        { Leadsync_Id__c: 'K-2', LastName: 'Two', Company: 'Acme', LeadSource: 'Nope' },
      ],
      pollInterval: 20,
      pollTimeout: 10_000,
    });
    expect(results.successfulResults).toMatchObject([{ sf__Id: expect.stringMatching(/^00Q/) as unknown, sf__Created: 'true', Leadsync_Id__c: 'K-1' }]);
    expect(results.failedResults).toMatchObject([
      { sf__Id: '', sf__Error: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Lead Source: bad value for restricted picklist field: Nope:LeadSource --', Leadsync_Id__c: 'K-2' },
    ]);
    expect(results.unprocessedRecords).toEqual([]);

    sf.failNextBulkJobAfter(0);
    const failed = await caught(
      conn.bulk2.loadAndWaitForResults({ object: 'Lead', operation: 'upsert', externalIdFieldName: 'Leadsync_Id__c', input: [{ Leadsync_Id__c: 'K-3', LastName: 'Three', Company: 'Acme' }], pollInterval: 20 }),
    );
    expect(failed.message).toContain('Ingest job failed to complete due to: InternalServerError');
  });
});
