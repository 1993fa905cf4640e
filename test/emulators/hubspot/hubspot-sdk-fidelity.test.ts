import { Client } from '@hubspot/api-client';
import * as contactModels from '@hubspot/api-client/lib/codegen/crm/contacts/models/all.js';
import * as propertyModels from '@hubspot/api-client/lib/codegen/crm/properties/models/all.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator } from './hubspot-emulator.js';

// The official SDK (@hubspot/api-client v13) pointed at the emulator with `basePath`: every response must
// parse into the SDK's typed models, and the raw bodies must hold no field those models do not know.

interface ModelClass {
  getAttributeTypeMap(): { name: string; baseName: string; type: string }[];
}

/** Keys of `data` (recursively) that the SDK model `type` has no attribute for: fields the real API would not send. */
function unknownKeys(data: unknown, type: string, models: Readonly<Record<string, unknown>>, path = '$'): string[] {
  if (data === null || data === undefined) return [];
  if (type.startsWith('Array<')) {
    if (!Array.isArray(data)) return [`${path}: expected an array`];
    return data.flatMap((item, index) => unknownKeys(item, type.slice('Array<'.length, -1), models, `${path}[${index}]`));
  }
  const map = /^\{ \[key: string\]: (.*); \}$/.exec(type);
  if (map?.[1] !== undefined) {
    const valueType = map[1];
    return Object.entries(data as Record<string, unknown>).flatMap(([key, value]) => unknownKeys(value, valueType, models, `${path}.${key}`));
  }
  const model = models[type] as ModelClass | undefined;
  if (model === undefined || typeof model.getAttributeTypeMap !== 'function') return [];
  if (typeof data !== 'object' || Array.isArray(data)) return [`${path}: expected an object for ${type}`];
  const attributes = model.getAttributeTypeMap();
  const known = new Set(attributes.map((attribute) => attribute.baseName));
  const record = data as Record<string, unknown>;
  return [
    ...Object.keys(record).filter((key) => !known.has(key)).map((key) => `${path}.${key}`),
    ...attributes.flatMap((attribute) => unknownKeys(record[attribute.baseName], attribute.type, models, `${path}.${attribute.baseName}`)),
  ];
}

async function setUp(): Promise<{ emulator: HubSpotEmulator; client: Client; raw: (path: string, body?: unknown) => Promise<{ status: number; body: unknown }> }> {
  const emulator = await startHubSpotEmulator();
  onTestFinished(() => emulator.close());
  // One attempt: retries would hide what the emulator answered.
  const client = new Client({ accessToken: emulator.token, basePath: emulator.url, numberOfApiCallRetries: 1 });
  const raw = async (path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${emulator.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) };
  };
  return { emulator, client, raw };
}

async function rejection(promise: Promise<unknown>): Promise<{ code: number; body: unknown }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeDefined();
  return error as { code: number; body: unknown };
}

describe('HubSpot emulator vs the official SDK', () => {
  it('properties: coreApi.getAll parses into Property models', async () => {
    const { client, raw } = await setUp();
    const properties = await client.crm.properties.coreApi.getAll('contacts');
    expect(properties).toBeInstanceOf(propertyModels.CollectionResponsePropertyNoPaging);
    const lifecycle = properties.results.find((entry) => entry.name === 'lifecyclestage');
    expect(lifecycle).toBeInstanceOf(propertyModels.Property);
    expect(lifecycle?.options[0]).toBeInstanceOf(propertyModels.Option);
    expect(lifecycle?.modificationMetadata).toBeInstanceOf(propertyModels.PropertyModificationMetadata);
    expect(lifecycle?.createdAt).toBeInstanceOf(Date);
    expect(properties.results.find((entry) => entry.name === 'hubspot_owner_id')).toMatchObject({ externalOptions: true, options: [] });
    const wire = await raw('/crm/v3/properties/contacts');
    expect(unknownKeys(wire.body, 'CollectionResponsePropertyNoPaging', propertyModels)).toEqual([]);
  });

  it('batch upsert: 200 and 207 bodies parse, with `new` as `_new` and per-input errors', async () => {
    const { client, raw } = await setUp();
    const created = await client.crm.contacts.batchApi.upsert({
      inputs: [{ idProperty: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', lifecyclestage: 'lead' }, objectWriteTraceId: '0' }],
    });
    expect(created).toBeInstanceOf(contactModels.BatchResponseSimplePublicUpsertObject);
    expect(created.results[0]).toBeInstanceOf(contactModels.SimplePublicUpsertObject);
    expect(created.results[0]).toMatchObject({ _new: true, objectWriteTraceId: '0', properties: { email: 'ada@example.com', firstname: 'Ada' } });
    expect(Number.isNaN(created.results[0]?.createdAt.getTime())).toBe(false);

    const partial = await client.crm.contacts.batchApi.upsert({
      inputs: [
        { idProperty: 'email', id: 'ada@example.com', properties: { jobtitle: 'CTO' }, objectWriteTraceId: 'a' },
        { idProperty: 'email', id: 'bob@example.com', properties: { lifecyclestage: 'Lead' }, objectWriteTraceId: 'b' },
      ],
    });
    expect(partial).toBeInstanceOf(contactModels.BatchResponseSimplePublicUpsertObjectWithErrors);
    if (!(partial instanceof contactModels.BatchResponseSimplePublicUpsertObjectWithErrors)) throw new Error('expected a 207 model');
    expect(partial.numErrors).toBe(1);
    expect(partial.results[0]).toMatchObject({ _new: false });
    expect(partial.errors?.[0]).toBeInstanceOf(contactModels.StandardError);
    expect(partial.errors?.[0]).toMatchObject({ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['b'] } });
    expect(partial.errors?.[0]?.errors[0]).toBeInstanceOf(contactModels.ErrorDetail);
    expect(partial.errors?.[0]?.errors[0]).toMatchObject({ code: 'INVALID_OPTION', _in: 'lifecyclestage' });

    const wire = await raw('/crm/v3/objects/contacts/batch/upsert', {
      inputs: [
        { idProperty: 'email', id: 'cy@example.com', properties: { firstname: 'Cy' }, objectWriteTraceId: 'c' },
        { idProperty: 'email', id: 'dee@example.com', properties: { nickname: 'D' }, objectWriteTraceId: 'd' },
      ],
    });
    expect(wire.status).toBe(207);
    expect(unknownKeys(wire.body, 'BatchResponseSimplePublicUpsertObjectWithErrors', contactModels)).toEqual([]);
  });

  it('batch read: 200 and 207 (OBJECT_NOT_FOUND with context.ids) parse', async () => {
    const { client, emulator, raw } = await setUp();
    emulator.seed('contacts', [{ email: 'ada@example.com', firstname: 'Ada' }]);
    const read = await client.crm.contacts.batchApi.read({
      idProperty: 'email',
      inputs: [{ id: 'ada@example.com' }, { id: 'nobody@example.com' }],
      properties: ['email', 'firstname', 'jobtitle'],
      propertiesWithHistory: [],
    });
    expect(read).toBeInstanceOf(contactModels.BatchResponseSimplePublicObjectWithErrors);
    if (!(read instanceof contactModels.BatchResponseSimplePublicObjectWithErrors)) throw new Error('expected a 207 model');
    expect(read.results[0]).toBeInstanceOf(contactModels.SimplePublicObject);
    expect(read.results[0]?.properties).toMatchObject({ email: 'ada@example.com', firstname: 'Ada', jobtitle: null });
    expect(read.errors?.[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['nobody@example.com'] } });

    const found = await client.crm.contacts.batchApi.read({ idProperty: 'email', inputs: [{ id: 'ada@example.com' }], properties: ['email'], propertiesWithHistory: [] });
    expect(found).toBeInstanceOf(contactModels.BatchResponseSimplePublicObject);
    const wire = await raw('/crm/v3/objects/contacts/batch/read', { idProperty: 'email', inputs: [{ id: 'ada@example.com' }, { id: 'x@example.com' }], properties: ['email'], propertiesWithHistory: [] });
    expect(unknownKeys(wire.body, 'BatchResponseSimplePublicObjectWithErrors', contactModels)).toEqual([]);
  });

  it('error paths: 400, 401 and 429 surface as ApiException carrying the JSON error body', async () => {
    const { client, emulator, raw } = await setUp();
    const invalid = await rejection(
      client.crm.contacts.batchApi.upsert({ inputs: [{ idProperty: 'firstname', id: 'Ada', properties: {} }] }),
    );
    expect(invalid.code).toBe(400);
    // The SDK hands error bodies over as parsed JSON (its "Error" type maps to no model), so every field survives.
    expect(invalid.body).toMatchObject({ category: 'VALIDATION_ERROR', message: expect.stringContaining('non-unique 0-1 property firstname') as unknown });

    const wrongToken = new Client({ accessToken: 'pat-na1-wrong', basePath: emulator.url, numberOfApiCallRetries: 1 });
    const unauthorized = await rejection(wrongToken.crm.properties.coreApi.getAll('contacts'));
    expect(unauthorized.code).toBe(401);
    expect(unauthorized.body).toMatchObject({ category: 'INVALID_AUTHENTICATION' });

    emulator.injectFault({ kind: 'rate_limit', policy: 'DAILY', on: ['read'] });
    const limited = await rejection(client.crm.contacts.batchApi.read({ inputs: [{ id: '1' }], properties: [], propertiesWithHistory: [] }));
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ message: 'You have reached your daily limit.', policyName: 'DAILY' });
    // On the wire the 429 names its policy, which the SDK's retry decorator keys on.
    emulator.injectFault({ kind: 'rate_limit', policy: 'TEN_SECONDLY_ROLLING', on: ['read'] });
    expect(await raw('/crm/v3/objects/contacts/batch/read', { inputs: [], properties: [], propertiesWithHistory: [] })).toMatchObject({
      status: 429,
      body: { policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT', message: 'You have reached your ten_secondly_rolling limit.' },
    });
  });
});
