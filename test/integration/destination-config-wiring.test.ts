import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfigDocument } from '../../src/config/config-loader.js';
import { rateLimitPolicyFor } from '../../src/config/rate-limit-defaults.js';
import { describeDestination } from '../../src/server/schema-discovery.js';
import { DEFAULT_CLIENT } from '../emulators/salesforce/salesforce-emulator-oauth.js';
import { startSalesforceEmulator } from '../emulators/salesforce/salesforce-emulator.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

function tempConfig(destination: string): string {
  const dir = tempDirForThisTest('leadsync-destination-');
  const file = join(dir, 'leadsync.yaml');
  writeFileSync(file, `version: 1\ndestination:\n${destination}\nsources:\n  webform: { preset: webform }\n`);
  return file;
}

describe('destination config → adapter', () => {
  it('builds the Salesforce adapter from config (client credentials from the environment) and describes the org', async () => {
    const emulator = await startSalesforceEmulator();
    onTestFinished(() => emulator.close());
    const file = tempConfig(`  kind: salesforce\n  instanceUrl: ${emulator.url}\n  auth: { flow: client_credentials, clientId: "\${SF_CLIENT_ID}", clientSecret: "\${SF_CLIENT_SECRET}" }`);
    const document = await loadConfigDocument(file, { env: { SF_CLIENT_ID: DEFAULT_CLIENT.clientId, SF_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret } });
    expect(document.secrets.has(DEFAULT_CLIENT.clientSecret)).toBe(true);
    const schema = await describeDestination(document);
    expect(Object.keys(schema.objects)).toEqual(expect.arrayContaining(['Lead', 'Contact', 'Account']));
    // Salesforce has no per-second limit: the default spreads the daily allocation over the day.
    expect(rateLimitPolicyFor(document.document.destination)).toMatchObject({ requests: 100_000, intervalMs: 86_400_000, realtimeReserve: 0.2 });
  });

  it('sets the HubSpot default limit by tier, and lets rateLimit override any part', async () => {
    const starter = await loadConfigDocument(tempConfig('  kind: hubspot\n  token: pat-x'));
    expect(rateLimitPolicyFor(starter.document.destination)).toMatchObject({ requests: 100, intervalMs: 10_000 });
    const pro = await loadConfigDocument(tempConfig('  kind: hubspot\n  token: pat-x\n  tier: enterprise\n  rateLimit: { realtimeReserve: 0.3 }'));
    expect(rateLimitPolicyFor(pro.document.destination)).toMatchObject({ requests: 190, intervalMs: 10_000, realtimeReserve: 0.3, burst: 0.02, headroom: 0.02, maxWaitMs: 10_000 });
    const sandbox = await loadConfigDocument(tempConfig('  kind: sandbox\n  schemaFile: x.yaml'));
    expect(rateLimitPolicyFor(sandbox.document.destination)).toBeUndefined();
  });
});
