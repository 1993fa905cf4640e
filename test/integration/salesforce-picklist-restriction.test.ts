import { describe, expect, it, onTestFinished } from 'vitest';
import { SalesforceDestination } from '../../src/adapters/salesforce/salesforce-destination.js';
import { validateField } from '../../src/core/crm-schema/field-validator.js';
import { startSalesforceEmulator } from '../emulators/salesforce/salesforce-emulator.js';

// leadsync's validation of a picklist value, from the schema `describe` gives, agrees with
// what the Salesforce emulator does on write: a restricted picklist refuses a value outside its
// list (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST), an unrestricted one stores it.

const MATCH: Readonly<Record<string, string>> = { Lead: 'Leadsync_Id__c', Contact: 'Leadsync_Id__c', Account: 'Domain__c' };
const BASE: Readonly<Record<string, Record<string, string>>> = {
  Lead: { LastName: 'Lovelace', Company: 'Acme' },
  Contact: { LastName: 'Lovelace' },
  Account: { Name: 'Acme' },
};

describe('restricted and unrestricted picklists: leadsync and the Salesforce emulator agree', () => {
  it('accepts listed values everywhere and unlisted values exactly where the picklist is unrestricted', async () => {
    const sf = await startSalesforceEmulator();
    onTestFinished(() => sf.close());
    const crm = new SalesforceDestination({ instanceUrl: sf.url, auth: { kind: 'client_credentials', clientId: sf.clientId, clientSecret: sf.clientSecret } });
    const schema = await crm.describe();

    const verdicts: string[] = [];
    let serial = 0;
    for (const [objectName, object] of Object.entries(schema.objects)) {
      for (const field of Object.values(object.fields)) {
        if (field.type !== 'picklist' || field.readOnly) continue;
        const listed = field.options?.find((option) => option.active)?.value;
        if (listed === undefined) throw new Error(`${objectName}.${field.name} has no active option`);
        for (const value of [listed, 'Not A Listed Value']) {
          serial += 1;
          const ours = validateField(field, field.name, value);
          const [theirs] = await crm.upsert(objectName, [{ idField: MATCH[objectName] ?? '', id: `K-${serial}`, properties: { ...BASE[objectName], [field.name]: ours.ok ? ours.value : value } }]);
          expect(theirs?.ok, `${objectName}.${field.name} = "${value}": leadsync ${ours.ok ? 'accepts' : 'refuses'}, the emulator does not agree`).toBe(ours.ok);
          if (theirs?.ok === false) expect(theirs.code).toBe('CRM_PICKLIST_MISMATCH');
          verdicts.push(`${objectName}.${field.name} ${value === listed ? 'listed' : 'unlisted'}: ${ours.ok ? 'ok' : 'refused'}`);
        }
      }
    }
    // The emulator's Lead.Industry is its one unrestricted picklist.
    expect(verdicts.filter((verdict) => verdict.includes('unlisted: ok'))).toEqual(['Lead.Industry unlisted: ok']);
    expect(verdicts.filter((verdict) => verdict.includes('listed: ok') && !verdict.includes('unlisted')).length).toBeGreaterThanOrEqual(6);
    expect(sf.records('Lead').some((record) => record['Industry'] === 'Not A Listed Value')).toBe(true);
  });
});
