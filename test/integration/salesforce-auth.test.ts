import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SalesforceDestination } from '../../src/adapters/salesforce/salesforce-destination.js';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceEmulatorOptions } from '../emulators/salesforce/salesforce-emulator.js';

async function emulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const started = await startSalesforceEmulator(options);
  onTestFinished(() => started.close());
  return started;
}

const ada = { idField: 'Leadsync_Id__c', id: 'L-1', properties: { LastName: 'Lovelace', Company: 'Analytical Engines' } };

function keyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
}

describe('Salesforce adapter: authentication', () => {
  it('gets a client-credentials token once, and on 401 INVALID_SESSION_ID refreshes it once and retries the call', async () => {
    const sf = await emulator();
    const crm = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'client_credentials', clientId: sf.clientId, clientSecret: sf.clientSecret } });
    expect(await crm.upsert('Lead', [ada])).toMatchObject([{ ok: true, created: true }]);
    expect(await crm.upsert('Lead', [{ ...ada, properties: { Title: 'CTO' } }])).toMatchObject([{ ok: true, created: false }]);
    expect(sf.requests().filter((request) => request.path === '/services/oauth2/token')).toHaveLength(1);

    sf.expireTokens();
    expect(await crm.upsert('Lead', [{ ...ada, properties: { Title: 'CEO' } }])).toMatchObject([{ ok: true, created: false }]);
    const calls = sf.requests().slice(-3).map((request) => `${request.method} ${request.path}`);
    expect(calls).toEqual([
      'PATCH /services/data/v60.0/sobjects/Lead/Leadsync_Id__c/L-1',
      'POST /services/oauth2/token',
      'PATCH /services/data/v60.0/sobjects/Lead/Leadsync_Id__c/L-1',
    ]);
    expect(sf.records('Lead')).toMatchObject([{ Title: 'CEO' }]);
  });

  it('refuses wrong client credentials as CRM_AUTH for every record, not retryable', async () => {
    const sf = await emulator();
    const crm = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'client_credentials', clientId: sf.clientId, clientSecret: 'wrong' } });
    const results = await crm.upsert('Lead', [ada, { ...ada, id: 'L-2' }]);
    expect(results).toMatchObject([
      { ok: false, code: 'CRM_AUTH', retryable: false },
      { ok: false, code: 'CRM_AUTH', retryable: false },
    ]);
    expect(results[0]?.ok === false ? results[0].message : '').toContain('invalid_client');
    await expect(crm.describe()).rejects.toMatchObject({ code: 'CRM_AUTH' });
  });

  it('signs an RS256 JWT-bearer assertion the emulator verifies against the certificate key', async () => {
    const keys = keyPair();
    const sf = await emulator({ clients: [{ clientId: 'jwt-app', jwtPublicKey: keys.publicKey, usernames: ['integration@acme.example'] }] });
    const crm = new SalesforceDestination({
      instanceUrl: sf.url,
      loginUrl: sf.loginUrl,
      auth: { kind: 'jwt_bearer', clientId: 'jwt-app', username: 'integration@acme.example', privateKey: keys.privateKey },
    });
    expect(await crm.upsert('Lead', [ada])).toMatchObject([{ ok: true, created: true }]);
    // A fresh assertion is signed for the refresh: JWT bearer gives no refresh token.
    sf.expireTokens();
    expect(await crm.read('Lead', [{ idField: 'Leadsync_Id__c', id: 'L-1' }])).toMatchObject([{ ok: true, found: true, properties: { LastName: 'Lovelace' } }]);
    expect(sf.requests().filter((request) => request.path === '/services/oauth2/token')).toHaveLength(2);
  });

  it('maps refused JWT grants: a key the app does not know, and a user who has not approved the app', async () => {
    const keys = keyPair();
    const sf = await emulator({ clients: [{ clientId: 'jwt-app', jwtPublicKey: keys.publicKey, usernames: ['integration@acme.example'] }] });
    const other = keyPair();
    const wrongKey = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'jwt_bearer', clientId: 'jwt-app', username: 'integration@acme.example', privateKey: other.privateKey } });
    const [signed] = await wrongKey.upsert('Lead', [ada]);
    expect(signed).toMatchObject({ ok: false, code: 'CRM_AUTH', retryable: false });
    expect(signed?.ok === false ? signed.message : '').toContain('invalid_grant (invalid assertion)');

    const wrongUser = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'jwt_bearer', clientId: 'jwt-app', username: 'someone@acme.example', privateKey: keys.privateKey } });
    const [user] = await wrongUser.upsert('Lead', [ada]);
    expect(user?.ok === false ? user.message : '').toContain("user hasn't approved this consumer");

    const notPem = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'jwt_bearer', clientId: 'jwt-app', username: 'integration@acme.example', privateKey: 'not a key' } });
    expect(await notPem.upsert('Lead', [ada])).toMatchObject([{ ok: false, code: 'CRM_AUTH', message: expect.stringContaining('PKCS#8') as unknown }]);
    expect(sf.records('Lead')).toEqual([]);
  });

  it('reports an unreachable token endpoint as retryable', async () => {
    const sf = await emulator();
    const url = sf.url;
    await sf.close();
    const crm = new SalesforceDestination({ instanceUrl: url, auth: { kind: 'client_credentials', clientId: 'x', clientSecret: 'y' }, timeoutMs: 2000 });
    expect(await crm.upsert('Lead', [ada])).toMatchObject([{ ok: false, code: 'CRM_UNAVAILABLE', retryable: true }]);
  });
});
