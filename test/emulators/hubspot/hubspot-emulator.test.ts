import { describe, expect, it, onTestFinished } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator, type HubSpotEmulatorOptions } from './hubspot-emulator.js';

// The emulator's wire behaviour, checked over real HTTP: auth, limits, batch semantics, admin knobs.

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function setUp(options: HubSpotEmulatorOptions = {}): Promise<{ emulator: HubSpotEmulator; call: (method: string, path: string, body?: unknown, token?: string) => Promise<Answer> }> {
  const emulator = await startHubSpotEmulator(options);
  onTestFinished(() => emulator.close());
  const call = async (method: string, path: string, body?: unknown, token = emulator.token): Promise<Answer> => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  return { emulator, call };
}

const upsertOne = (id: string, properties: Record<string, string>, trace?: string): Record<string, unknown> => ({
  idProperty: 'email',
  id,
  properties,
  ...(trace === undefined ? {} : { objectWriteTraceId: trace }),
});

describe('HubSpot emulator', () => {
  it('answers a missing or doubled Bearer token with the real 401 body and headers, and no rate-limit headers', async () => {
    const { call } = await setUp();
    for (const token of ['wrong', 'Bearer pat-na1-emulator']) {
      const answer = await call('GET', '/crm/v3/properties/contacts', undefined, token);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('x-hubspot-auth-failure')).toBe('401 Unauthorized');
      expect(answer.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
      expect(answer.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) as unknown });
      expect(String(answer.body['message'])).toMatch(/^Authentication credentials not found\./);
    }
  });

  it('sends the rate-limit headers, refuses over the rolling limit with TEN_SECONDLY_ROLLING, and over the daily one with DAILY', async () => {
    let now = Date.parse('2026-02-01T12:00:00Z');
    const { emulator, call } = await setUp({ rateLimit: { max: 2, intervalMs: 10_000 }, dailyLimit: { limit: 3 }, now: () => now });
    const first = await call('GET', '/crm/v3/properties/contacts');
    expect(Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('x-hubspot-ratelimit')))).toEqual({
      'x-hubspot-ratelimit-daily': '3',
      'x-hubspot-ratelimit-daily-remaining': '2',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': '2',
      'x-hubspot-ratelimit-remaining': '1',
    });
    await call('GET', '/crm/v3/properties/contacts');
    const refused = await call('GET', '/crm/v3/properties/contacts');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT', message: 'You have reached your ten_secondly_rolling limit.' });
    expect(refused.headers.get('retry-after')).toBeNull();
    now += 10_000;
    expect((await call('GET', '/crm/v3/properties/contacts')).status).toBe(200);
    now += 10_000;
    const daily = await call('GET', '/crm/v3/properties/contacts');
    expect(daily.status).toBe(429);
    expect(daily.body).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
    expect(daily.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('0');
    // The daily allowance comes back at midnight UTC.
    now = Date.parse('2026-02-02T00:00:01Z');
    expect((await call('GET', '/crm/v3/properties/contacts')).status).toBe(200);
    expect(emulator.calls().byStatus).toEqual({ '200': 4, '429': 2 });
  });

  it('fails a whole batch without objectWriteTraceIds on one invalid input, writing nothing', async () => {
    const { emulator, call } = await setUp();
    const answer = await call('POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [upsertOne('ada@example.com', { firstname: 'Ada' }), upsertOne('bob@example.com', { lifecyclestage: 'Lead' })],
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    const details = JSON.parse(String(answer.body['message']).replace('Property values were not valid: ', '')) as unknown;
    expect(details).toEqual([
      {
        isValid: false,
        error: 'INVALID_OPTION',
        name: 'lifecyclestage',
        message: 'Lead was not one of the allowed options: [subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other]',
        localizedErrorMessage: 'Lead was not one of the allowed options: [subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other]',
      },
    ]);
    expect(emulator.records('contacts')).toEqual([]);
  });

  it('answers 207 with per-input errors when every input has an objectWriteTraceId', async () => {
    const { call } = await setUp();
    const answer = await call('POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [upsertOne('ada@example.com', { firstname: 'Ada' }, 't1'), upsertOne('not an email', {}, 't2')],
    });
    expect(answer.status).toBe(207);
    expect(answer.body).toMatchObject({ status: 'COMPLETE', numErrors: 1, results: [{ new: true, objectWriteTraceId: 't1', archived: false }] });
    expect((answer.body['errors'] as unknown[])[0]).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      context: { objectWriteTraceId: ['t2'] },
      errors: [{ code: 'INVALID_EMAIL', in: 'email' }],
      links: {},
    });
  });

  it('refuses batches that are too large, repeat an id, or key on a non-unique property; and unknown objects and properties', async () => {
    const { call } = await setUp();
    const many = Array.from({ length: 101 }, (_, index) => upsertOne(`l${index}@example.com`, {}));
    expect(await call('POST', '/crm/v3/objects/contacts/batch/upsert', { inputs: many })).toMatchObject({ status: 400, body: { category: 'VALIDATION_ERROR' } });
    const twice = await call('POST', '/crm/v3/objects/contacts/batch/upsert', { inputs: [upsertOne('a@example.com', {}), upsertOne('A@example.com', {})] });
    expect(twice).toMatchObject({ status: 400, body: { message: 'Duplicate IDs found in batch input: [A@example.com]. IDs must be unique' } });
    const nonUnique = await call('POST', '/crm/v3/objects/contacts/batch/upsert', { inputs: [{ idProperty: 'firstname', id: 'Ada', properties: {} }] });
    expect(nonUnique.body['message']).toBe('Unable to perform update/upsert by non-unique 0-1 property firstname in portal ID 62515');
    const history = await call('POST', '/crm/v3/objects/contacts/batch/read', { inputs: many.slice(0, 51).map(() => ({ id: '1' })), properties: [], propertiesWithHistory: ['email'] });
    expect(String(history.body['message'])).toMatch(/^The maximum number of inputs supported in a batch request for property histories is 50/);
    expect(await call('GET', '/crm/v3/properties/deals')).toMatchObject({ status: 400, body: { message: 'Unable to infer object type from: deals' } });
    expect(await call('GET', '/crm/v3/properties/contacts/nope')).toMatchObject({ status: 404, body: { category: 'OBJECT_NOT_FOUND' } });
    expect(await call('GET', '/crm/v3/properties/contacts/email')).toMatchObject({ status: 200, body: { name: 'email', hasUniqueValue: false } });
  });

  it('serves its knobs under /__emulator: settings, faults, records, reset', async () => {
    const { emulator, call } = await setUp();
    const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${emulator.url}/__emulator${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await admin('PUT', '/settings', { rateLimit: { max: 190, intervalMs: 10_000 }, latencyMs: 0 })).toMatchObject({ status: 200, body: { rateLimit: { max: 190 } } });
    expect(await admin('PUT', '/settings', { rateLimit: { max: 0, intervalMs: 10_000 } })).toMatchObject({ status: 400, body: { error: expect.stringContaining('rateLimit.max') as unknown } });
    expect(await admin('POST', '/records/contacts', { records: [{ email: 'ada@example.com' }] })).toMatchObject({ body: { ids: ['1001'] } });
    expect(await admin('POST', '/faults', { kind: 'flood' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('fault kind must be one of') as unknown } });
    expect(await admin('POST', '/faults', { kind: 'server_error', body: 'html', status: 504 })).toMatchObject({ status: 200 });
    const html = await fetch(`${emulator.url}/crm/v3/properties/contacts`, { headers: { authorization: `Bearer ${emulator.token}` } });
    expect(html.status).toBe(504);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain('504: Gateway time-out');
    const read = await call('POST', '/crm/v3/objects/contacts/batch/read', { idProperty: 'email', inputs: [{ id: 'ADA@example.com' }], properties: ['email'], propertiesWithHistory: [] });
    expect(read).toMatchObject({ status: 200, body: { results: [{ id: '1001', properties: { email: 'ada@example.com', hs_object_id: '1001' } }] } });
    expect((await admin('GET', '/records/contacts')).body['results']).toHaveLength(1);
    await admin('POST', '/reset');
    expect((await admin('GET', '/records/contacts')).body['results']).toEqual([]);
    expect((await admin('GET', '/state')).body).toMatchObject({ pendingFaults: 0, calls: { total: 0 } });
  });
});
