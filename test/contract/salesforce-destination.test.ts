import { describe, onTestFinished } from 'vitest';
import type { CrmFieldSchema, CrmSchema } from '../../src/core/crm-schema/crm-schema-types.js';
import { SalesforceDestination } from '../../src/adapters/salesforce/salesforce-destination.js';
import { startSalesforceEmulator, type SfFieldDefinition, type SfObjectDefinition } from '../emulators/salesforce/salesforce-emulator.js';
import { CONTRACT_CRM_SCHEMA, crmDestinationContract, type CrmUnderTest } from './crm-destination.contract.js';

const SF_TYPES: Record<CrmFieldSchema['type'], SfFieldDefinition['type']> = {
  string: 'string',
  text: 'textarea',
  number: 'double',
  bool: 'boolean',
  date: 'date',
  datetime: 'datetime',
  picklist: 'picklist',
  multi_picklist: 'multipicklist',
  email: 'email',
  phone: 'phone',
  url: 'url',
};

/**
 * The contract schema as Salesforce sObjects: unique fields become unique
 * External ID fields, picklists are restricted, read-only fields are neither
 * createable nor updateable, required fields are not nillable.
 */
export function contractSObjects(schema: CrmSchema): SfObjectDefinition[] {
  return Object.values(schema.objects).map((object, index) => ({
    name: object.name,
    label: object.label,
    keyPrefix: `a0${index}`,
    fields: Object.values(object.fields).map((field): SfFieldDefinition => ({
      name: field.name,
      label: field.label,
      type: SF_TYPES[field.type],
      ...(field.maxLength === undefined ? {} : { length: field.maxLength }),
      nillable: !field.required,
      createable: !field.readOnly,
      updateable: !field.readOnly,
      unique: field.unique,
      externalId: field.unique,
      restrictedPicklist: field.options !== undefined,
      ...(field.options === undefined ? {} : { picklistValues: field.options.map((option) => ({ value: option.value, label: option.label, active: option.active })) }),
    })),
  }));
}

async function makeSalesforceCrm(): Promise<CrmUnderTest> {
  const emulator = await startSalesforceEmulator({ objects: contractSObjects(CONTRACT_CRM_SCHEMA) });
  onTestFinished(() => emulator.close());
  const destination = new SalesforceDestination({
    instanceUrl: emulator.url,
    auth: { kind: 'client_credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
    objects: Object.keys(CONTRACT_CRM_SCHEMA.objects),
    timeoutMs: 5000,
  });
  return {
    destination,
    injectFault: (fault) => {
      switch (fault.kind) {
        case 'transient':
          emulator.injectFault({ kind: 'server_error', status: 503, times: fault.times });
          return;
        case 'rate_limited':
          // Salesforce itself signals limits with 403; a 429 with Retry-After comes from a gateway in front of it.
          emulator.injectFault({ kind: 'http_429', retryAfterSeconds: (fault.retryAfterMs ?? 1000) / 1000, times: fault.times });
          return;
        case 'permanent':
          emulator.injectFault({ kind: 'reject', times: fault.times });
          return;
      }
    },
  };
}

describe('Salesforce destination against the Salesforce emulator', () => {
  crmDestinationContract(makeSalesforceCrm);
});
