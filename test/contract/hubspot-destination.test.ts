import { describe, onTestFinished } from 'vitest';
import { HubSpotDestination } from '../../src/adapters/hubspot/hubspot-destination.js';
import { objectsFromCrmSchema, startHubSpotEmulator } from '../emulators/hubspot/hubspot-emulator.js';
import { CONTRACT_CRM_SCHEMA, crmDestinationContract, type CrmUnderTest } from './crm-destination.contract.js';

/** The HubSpot adapter against a fresh emulator whose properties are the contract schema's fields. */
async function makeHubSpotCrm(): Promise<CrmUnderTest> {
  const emulator = await startHubSpotEmulator({ objects: objectsFromCrmSchema(CONTRACT_CRM_SCHEMA, { contact: 'contacts' }) });
  onTestFinished(() => emulator.close());
  const destination = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, objects: { contact: 'contacts' }, timeoutMs: 5000 });
  return {
    destination,
    injectFault: (fault) => {
      // Aimed at record calls only: like the sandbox, schema discovery is never faulted.
      const on = ['read', 'upsert'] as const;
      switch (fault.kind) {
        case 'transient':
          emulator.injectFault({ kind: 'server_error', status: 503, body: 'json', times: fault.times, on });
          break;
        case 'rate_limited':
          emulator.injectFault({
            kind: 'rate_limit',
            policy: 'TEN_SECONDLY_ROLLING',
            times: fault.times,
            on,
            ...(fault.retryAfterMs === undefined ? {} : { retryAfterSeconds: fault.retryAfterMs / 1000 }),
          });
          break;
        case 'permanent':
          emulator.injectFault({ kind: 'bad_request', times: fault.times, on });
          break;
      }
    },
  };
}

describe('HubSpot destination (emulator)', () => {
  crmDestinationContract(makeHubSpotCrm);
});
