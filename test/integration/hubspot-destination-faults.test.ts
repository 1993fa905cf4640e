import { describe, expect, it, onTestFinished } from 'vitest';
import { HubSpotDestination, type HubSpotDestinationOptions } from '../../src/adapters/hubspot/hubspot-destination.js';
import { LeadsyncError } from '../../src/core/errors/error-codes.js';
import { startHubSpotEmulator, type HubSpotEmulator, type HubSpotEmulatorOptions } from '../emulators/hubspot/hubspot-emulator.js';
import { ManualClock } from '../support/manual-clock.js';

// Failures of whole HubSpot calls: auth, rate limits, the daily limit, 5xx bodies, timeouts, resets.

async function setUp(
  emulatorOptions: HubSpotEmulatorOptions = {},
  adapterOptions: Partial<HubSpotDestinationOptions> = {},
): Promise<{ emulator: HubSpotEmulator; hubspot: HubSpotDestination }> {
  const emulator = await startHubSpotEmulator(emulatorOptions);
  onTestFinished(() => emulator.close());
  const hubspot = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, timeoutMs: 5000, ...adapterOptions });
  // Discover the schema first, so the faults below hit record calls.
  await hubspot.describe();
  return { emulator, hubspot };
}

const ADA = { idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada' } };

describe('HubSpot destination: failures of whole calls', () => {
  it('maps a wrong token to a permanent CRM_AUTH, and describe() rejects with it', async () => {
    const emulator = await startHubSpotEmulator();
    onTestFinished(() => emulator.close());
    const hubspot = new HubSpotDestination({ baseUrl: emulator.url, token: 'pat-na1-wrong' });
    const error = await hubspot.describe().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(LeadsyncError);
    expect((error as LeadsyncError).code).toBe('CRM_AUTH');
    expect((error as LeadsyncError).message).toMatch(/401.*INVALID_AUTHENTICATION/);
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ ok: false, code: 'CRM_AUTH', retryable: false }]);
    expect(emulator.records('contacts')).toEqual([]);
  });

  it('refuses a token given with the Bearer prefix, which HubSpot would answer with a 401', () => {
    expect(() => new HubSpotDestination({ token: 'Bearer pat-na1-x' })).toThrow(/without the "Bearer " prefix/);
    expect(() => new HubSpotDestination({ token: ' ' })).toThrow(/token is empty/);
  });

  it('maps a 401 after a token is revoked and a 403 for a missing scope to permanent failures naming the cause', async () => {
    const { emulator, hubspot } = await setUp();
    emulator.injectFault({ kind: 'unauthorized', on: ['upsert'] });
    emulator.injectFault({ kind: 'missing_scopes', scopes: ['crm.objects.contacts.write'], on: ['upsert'] });
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ ok: false, code: 'CRM_AUTH', retryable: false }]);
    const [forbidden] = await hubspot.upsert('contacts', [ADA]);
    expect(forbidden).toMatchObject({ ok: false, code: 'CRM_PERMISSION_DENIED', retryable: false });
    expect(forbidden?.ok === false ? forbidden.message : '').toContain('crm.objects.contacts.write');
  });

  it('fails only the records of an object whose scope the app lacks', async () => {
    const emulator = await startHubSpotEmulator();
    onTestFinished(() => emulator.close());
    const hubspot = new HubSpotDestination({ baseUrl: emulator.url, token: emulator.token, objects: { companies: 'companies', contacts: 'contacts' } });
    // The first properties call is the companies one.
    emulator.injectFault({ kind: 'missing_scopes', scopes: ['crm.schemas.companies.read'], on: ['properties'] });
    const error = await hubspot.describe().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 'CRM_PERMISSION_DENIED', message: expect.stringContaining('discovery failed for companies') as unknown });
    expect((error as Error).message).toContain('crm.schemas.companies.read');
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ ok: true, created: true }]);
    expect(await hubspot.upsert('companies', [{ idField: 'leadsync_company_key', id: 'acme', properties: {} }])).toMatchObject([
      { ok: false, code: 'CRM_PERMISSION_DENIED', retryable: false },
    ]);
  });

  it('turns the real ten-secondly limit into CRM_RATE_LIMITED, waiting one window, and reports the headers it saw', async () => {
    const { emulator, hubspot } = await setUp({ rateLimit: { max: 4, intervalMs: 10_000 } });
    // describe() used two calls of the window: the contact and the company properties.
    expect(hubspot.rateLimitStatus()).toEqual({ max: 4, remaining: 2, intervalMs: 10_000, dailyRemaining: 999_998 });
    const inputs = ['a', 'b', 'c'].map((name) => ({ idField: 'email', id: `${name}@example.com`, properties: {} }));
    expect(await hubspot.upsert('contacts', [inputs[0]!])).toMatchObject([{ ok: true }]);
    expect(await hubspot.upsert('contacts', [inputs[1]!])).toMatchObject([{ ok: true }]);
    const limited = await hubspot.upsert('contacts', inputs);
    expect(limited).toEqual(
      inputs.map(() => ({
        ok: false,
        code: 'CRM_RATE_LIMITED',
        retryable: true,
        retryAfterMs: 10_000,
        message: 'HubSpot 429 TEN_SECONDLY_ROLLING: You have reached your ten_secondly_rolling limit.',
      })),
    );
    expect(hubspot.rateLimitStatus()).toMatchObject({ max: 4, remaining: 0 });
    expect(emulator.calls().byStatus['429']).toBe(1);
    expect(emulator.records('contacts')).toHaveLength(2);
  });

  it('honours Retry-After on a 429 and on a 5xx', async () => {
    const { emulator, hubspot } = await setUp();
    emulator.injectFault({ kind: 'rate_limit', policy: 'TEN_SECONDLY_ROLLING', retryAfterSeconds: 7 });
    emulator.injectFault({ kind: 'rate_limit', policy: 'SECONDLY' });
    emulator.injectFault({ kind: 'server_error', status: 503, body: 'json' });
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ code: 'CRM_RATE_LIMITED', retryAfterMs: 7000 }]);
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ code: 'CRM_RATE_LIMITED', retryAfterMs: 1000 }]);
    const [unavailable] = await hubspot.upsert('contacts', [ADA]);
    expect(unavailable).toMatchObject({ ok: false, code: 'CRM_UNAVAILABLE', retryable: true, message: 'HubSpot 503 (INTERNAL_ERROR: internal error)' });
    expect(unavailable).not.toHaveProperty('retryAfterMs');
  });

  it('tells a DAILY 429 apart: CRM_DAILY_LIMIT with a pause of the whole destination until midnight UTC', async () => {
    const clock = new ManualClock('2026-03-10T18:30:00.000Z');
    const { emulator, hubspot } = await setUp({ dailyLimit: { limit: 10 } }, { clock });
    emulator.setDailyLimit({ limit: 10, used: 10 });
    const results = await hubspot.upsert('contacts', [ADA, { ...ADA, id: 'bob@example.com' }]);
    const pause = 5.5 * 3_600_000;
    expect(results).toEqual([0, 1].map(() => ({
      ok: false,
      code: 'CRM_DAILY_LIMIT',
      retryable: true,
      retryAfterMs: pause,
      pauseDestinationMs: pause,
      message: "HubSpot 429 DAILY: the account's daily API limit is used up; pausing the destination until it resets (midnight)",
    })));
    expect(hubspot.rateLimitStatus()).toMatchObject({ dailyRemaining: 0 });
    // A ten-secondly 429 never asks for a pause.
    emulator.setDailyLimit({ limit: 1000 });
    emulator.injectFault({ kind: 'rate_limit', policy: 'TEN_SECONDLY_ROLLING' });
    const [limited] = await hubspot.read('contacts', [{ idField: 'email', id: 'ada@example.com' }]);
    expect(limited).toMatchObject({ code: 'CRM_RATE_LIMITED' });
    expect(limited).not.toHaveProperty('pauseDestinationMs');
  });

  it('survives HTML and empty 5xx bodies: a retryable CRM_UNAVAILABLE naming the status and the page', async () => {
    const { emulator, hubspot } = await setUp();
    emulator.injectFault({ kind: 'server_error', status: 524, body: 'html' });
    emulator.injectFault({ kind: 'server_error', status: 502, body: 'empty', on: ['read'] });
    expect(await hubspot.upsert('contacts', [ADA])).toEqual([
      { ok: false, code: 'CRM_UNAVAILABLE', retryable: true, message: 'HubSpot 524 (a non-JSON body (text/html: "api.hubapi.com | 524: A timeout occurred"))' },
    ]);
    expect(await hubspot.read('contacts', [{ idField: 'email', id: 'ada@example.com' }])).toEqual([
      { ok: false, code: 'CRM_UNAVAILABLE', retryable: true, message: 'HubSpot 502 (an empty body)' },
    ]);
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ ok: true, created: true }]);
  });

  it('gives up on a call that hangs after timeoutMs, as a retryable failure, and the next call goes through', async () => {
    const { emulator, hubspot } = await setUp({}, { timeoutMs: 300 });
    emulator.injectFault({ kind: 'hang' });
    const [timedOut] = await hubspot.upsert('contacts', [ADA]);
    expect(timedOut).toMatchObject({ ok: false, code: 'CRM_UNAVAILABLE', retryable: true });
    expect(timedOut?.ok === false ? timedOut.message : '').toContain('did not answer within 300 ms');
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ ok: true }]);
  });

  it('maps a reset connection to a retryable failure', async () => {
    const { emulator, hubspot } = await setUp();
    emulator.injectFault({ kind: 'reset', on: ['read'] });
    const [reset] = await hubspot.read('contacts', [{ idField: 'email', id: 'ada@example.com' }]);
    expect(reset).toMatchObject({ ok: false, code: 'CRM_UNAVAILABLE', retryable: true });
    expect(reset?.ok === false ? reset.message : '').toMatch(/^connection to HubSpot failed: /);
    expect(await hubspot.read('contacts', [{ idField: 'email', id: 'ada@example.com' }])).toEqual([{ ok: true, found: false }]);
  });

  it('adds latency without changing answers', async () => {
    const { emulator, hubspot } = await setUp({ latencyMs: 50 });
    const started = performance.now();
    expect(await hubspot.upsert('contacts', [ADA])).toMatchObject([{ ok: true }]);
    // A lower bound only: latency is a knob the emulator must honour, not a speed claim.
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    emulator.setLatency(0);
  });
});
