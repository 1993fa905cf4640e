import { describe, expect, it, onTestFinished } from 'vitest';
import { HubSpotDestination } from '../../src/adapters/hubspot/hubspot-destination.js';
import { startHubSpotEmulator, type HubSpotEmulator } from '../emulators/hubspot/hubspot-emulator.js';
import { objectType, property } from '../emulators/hubspot/hubspot-emulator-properties.js';

// Record-level behaviour of the HubSpot adapter: schema discovery, per-record outcomes, error mapping, chunking.

const PORTAL = [
  objectType('contacts', [
    property({ name: 'email', label: 'Email', type: 'string', fieldType: 'text' }),
    property({ name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text' }),
    property({ name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber' }),
    property({ name: 'numberofemployees', label: 'Employees', type: 'number', fieldType: 'number' }),
    property({ name: 'demo_requested', label: 'Demo requested', type: 'bool', fieldType: 'booleancheckbox' }),
    property({ name: 'first_touch', label: 'First touch', type: 'date', fieldType: 'date' }),
    property({ name: 'last_seen', label: 'Last seen', type: 'datetime', fieldType: 'date' }),
    property({ name: 'notes', label: 'Notes', type: 'string', fieldType: 'textarea' }),
    property({
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      options: [
        { value: 'subscriber', label: 'Subscriber' },
        { value: 'lead', label: 'Lead' },
        { value: 'marketingqualifiedlead', label: 'Marketing Qualified Lead' },
        { value: 'customer', label: 'Customer' },
        { value: 'evangelist', label: 'Evangelist', hidden: true },
      ],
    }),
    property({
      name: 'tech_stack',
      label: 'Technologies',
      type: 'enumeration',
      fieldType: 'checkbox',
      options: ['salesforce', 'hubspot', 'snowflake', 'segment'].map((value) => ({ value })),
    }),
    property({ name: 'hubspot_owner_id', label: 'Contact owner', type: 'enumeration', fieldType: 'select', externalOptions: true }),
    property({ name: 'external_id', label: 'External id', type: 'string', fieldType: 'text', hasUniqueValue: true, hubspotDefined: false }),
    property({ name: 'score', label: 'Score', type: 'number', fieldType: 'calculation_equation', calculated: true }),
  ]),
];

async function setUp(): Promise<{ emulator: HubSpotEmulator; hubspot: HubSpotDestination }> {
  const emulator = await startHubSpotEmulator({ objects: PORTAL });
  onTestFinished(() => emulator.close());
  return { emulator, hubspot: new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, objects: { contacts: 'contacts' } }) };
}

const messageOf = (result: unknown): string => (typeof result === 'object' && result !== null && 'message' in result ? String(result.message) : '');

describe('HubSpot destination: records', () => {
  it('describes the portal: types, options, read-only, unique, externalOptions', async () => {
    const { hubspot } = await setUp();
    const schema = await hubspot.describe();
    expect(schema.version).toMatch(/^hubspot-[0-9a-f]{12}$/);
    expect((await hubspot.describe()).version).toBe(schema.version);
    const fields = schema.objects['contacts']?.fields ?? {};
    expect(Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.type]))).toEqual({
      email: 'email',
      firstname: 'string',
      phone: 'phone',
      numberofemployees: 'number',
      demo_requested: 'bool',
      first_touch: 'date',
      last_seen: 'datetime',
      notes: 'text',
      lifecyclestage: 'picklist',
      tech_stack: 'multi_picklist',
      hubspot_owner_id: 'picklist',
      external_id: 'string',
      score: 'number',
      hs_object_id: 'number',
      createdate: 'datetime',
      lastmodifieddate: 'datetime',
    });
    expect(fields['email']).toMatchObject({ unique: true, readOnly: false, required: false });
    expect(fields['external_id']).toMatchObject({ unique: true });
    expect(fields['firstname']).toMatchObject({ unique: false });
    expect(fields['score']).toMatchObject({ readOnly: true });
    expect(fields['createdate']).toMatchObject({ readOnly: true });
    expect(fields['lifecyclestage']?.options?.at(-1)).toEqual({ value: 'evangelist', label: 'Evangelist', active: false });
    // Owners come from elsewhere: no options listed, so none are claimed.
    expect(fields['hubspot_owner_id']).not.toHaveProperty('options');
  });

  it('writes the valid records of a batch and fails only the invalid ones (207), each with its own reason', async () => {
    const { emulator, hubspot } = await setUp();
    const results = await hubspot.upsert('contacts', [
      { idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', lifecyclestage: 'lead', tech_stack: ['hubspot', 'segment'] } },
      { idField: 'email', id: 'bob@example.com', properties: { lifecyclestage: 'custmer' } },
      { idField: 'email', id: 'cy@example.com', properties: { lifecyclestage: ' lead' } },
      { idField: 'email', id: 'dee@example.com', properties: { tech_stack: ['hubspot', 'snowflak'] } },
      { idField: 'email', id: 'eve@example.com', properties: { score: 10, nickname: 'E' } },
      { idField: 'email', id: 'fay@example.com', properties: { hubspot_owner_id: '1234', numberofemployees: 40 } },
    ]);
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual([
      'ok',
      'CRM_PICKLIST_MISMATCH',
      'CRM_TYPE_MISMATCH',
      'CRM_PICKLIST_MISMATCH',
      'CRM_FIELD_READ_ONLY',
      'ok',
    ]);
    expect(results.every((result) => result.ok || !result.retryable)).toBe(true);
    expect(messageOf(results[1])).toBe(
      'Field "lifecyclestage": HubSpot INVALID_OPTION, the value is not one of the property\'s options (send the option value, not its label); nearest valid options: customer',
    );
    expect(messageOf(results[2])).toContain('LEADING_TRAILING_WHITESPACE');
    expect(messageOf(results[3])).toContain('nearest valid options: snowflake');
    // Both problems of the record are named; the code is the first one's.
    expect(messageOf(results[4])).toBe(
      'Field "score": HubSpot READ_ONLY_VALUE, the property is read-only; Field "nickname": HubSpot PROPERTY_DOESNT_EXIST, the object has no such property',
    );
    expect(emulator.records('contacts').map((record) => record.properties['email']).sort()).toEqual(['ada@example.com', 'fay@example.com']);
    expect(emulator.calls().byEndpoint).toEqual({ properties: 1, read: 0, upsert: 1 });
    expect(emulator.calls().byStatus['207']).toBe(1);
  });

  it('keeps raw emails out of failure messages', async () => {
    const { hubspot } = await setUp();
    const [invalid] = await hubspot.upsert('contacts', [{ idField: 'email', id: 'ada@example', properties: {} }]);
    expect(invalid).toEqual({ ok: false, code: 'CRM_TYPE_MISMATCH', retryable: false, message: 'Field "email": HubSpot INVALID_EMAIL, not a valid email address' });
  });

  it('falls back to one call per input when HubSpot fails a whole batch for one bad input (no per-input errors)', async () => {
    const emulator = await startHubSpotEmulator({ objects: PORTAL });
    onTestFinished(() => emulator.close());
    // A HubSpot that ignores objectWriteTraceId answers the batch with one 400; the adapter must still fail only the bad input.
    const withoutTraceIds: typeof fetch = (url, init) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { inputs?: Record<string, unknown>[] }) : undefined;
      if (body?.inputs !== undefined) for (const input of body.inputs) delete input['objectWriteTraceId'];
      return fetch(url, body === undefined ? init : { ...init, body: JSON.stringify(body) });
    };
    const hubspot = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, objects: { contacts: 'contacts' }, fetch: withoutTraceIds });
    const results = await hubspot.upsert('contacts', [
      { idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada' } },
      { idField: 'email', id: 'bob@example.com', properties: { lifecyclestage: 'Lead ' } },
      { idField: 'email', id: 'cy@example.com', properties: { firstname: 'Cy' } },
    ]);
    expect(results).toMatchObject([{ ok: true, created: true }, { ok: false, code: 'CRM_TYPE_MISMATCH', retryable: false }, { ok: true, created: true }]);
    expect(emulator.calls().byStatus).toEqual({ '200': 3, '400': 2 });
  });

  it('refuses a second record with the same unique value (CONFLICT), permanently', async () => {
    const { hubspot } = await setUp();
    await hubspot.upsert('contacts', [{ idField: 'email', id: 'ada@example.com', properties: { external_id: 'X-1' } }]);
    const results = await hubspot.upsert('contacts', [
      { idField: 'email', id: 'grace@example.com', properties: { external_id: 'X-1' } },
      { idField: 'external_id', id: 'X-1', properties: { firstname: 'Ada' } },
    ]);
    expect(results[0]).toMatchObject({ ok: false, code: 'CRM_REJECTED', retryable: false });
    expect(messageOf(results[0])).toMatch(/^HubSpot CONFLICT: another record already holds a unique value of this record \(existing record \d+\)$/);
    expect(results[1]).toMatchObject({ ok: true, created: false });
  });

  it('reads values back in leadsync types, by email in any case and by a unique property', async () => {
    const { hubspot } = await setUp();
    const [written] = await hubspot.upsert('contacts', [
      {
        idField: 'email',
        id: 'Ada@Example.com',
        properties: {
          numberofemployees: 250,
          demo_requested: true,
          tech_stack: ['hubspot', 'segment'],
          first_touch: '2026-01-02',
          last_seen: '2026-01-02T03:04:05.000Z',
          external_id: 'X-9',
          firstname: '',
        },
      },
    ]);
    const reads = await hubspot.read('contacts', [
      { idField: 'email', id: 'ada@example.com' },
      { idField: 'external_id', id: 'X-9' },
      { idField: 'email', id: 'nobody@example.com' },
      { idField: 'firstname', id: 'Ada' },
      { idField: 'favourite', id: 'x' },
    ]);
    const expected = {
      ok: true,
      found: true,
      recordId: written?.ok === true ? written.recordId : 'missing',
      properties: {
        email: 'ada@example.com',
        numberofemployees: 250,
        demo_requested: true,
        tech_stack: ['hubspot', 'segment'],
        first_touch: '2026-01-02',
        last_seen: '2026-01-02T03:04:05.000Z',
        external_id: 'X-9',
      },
    };
    expect(reads[0]).toMatchObject(expected);
    expect(reads[0]?.ok === true && reads[0].found ? Object.keys(reads[0].properties) : []).not.toContain('firstname');
    expect(reads[1]).toMatchObject(expected);
    expect(reads[2]).toEqual({ ok: true, found: false });
    expect(reads[3]).toMatchObject({ ok: false, code: 'CRM_REJECTED', retryable: false });
    expect(reads[4]).toMatchObject({ ok: false, code: 'CRM_FIELD_UNKNOWN' });
  });

  it('splits large calls into batches of 100 and keeps results in input order', async () => {
    const { emulator, hubspot } = await setUp();
    const inputs = Array.from({ length: 250 }, (_, index) => ({ idField: 'email', id: `lead${index}@example.com`, properties: { numberofemployees: index } }));
    const written = await hubspot.upsert('contacts', inputs);
    expect(written.every((result) => result.ok && result.created)).toBe(true);
    expect(new Set(written.map((result) => (result.ok ? result.recordId : ''))).size).toBe(250);
    const reads = await hubspot.read('contacts', inputs.map(({ idField, id }) => ({ idField, id })));
    expect(reads.map((read) => (read.ok && read.found ? read.properties['numberofemployees'] : null))).toEqual(inputs.map((_, index) => index));
    expect(emulator.calls().byEndpoint).toEqual({ properties: 1, read: 3, upsert: 3 });
  });
});
