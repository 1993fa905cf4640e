import { describe, expect, it } from 'vitest';
import {
  callFailure,
  msUntilNextUtcMidnight,
  propertyProblems,
  recordFailure,
  redactMessage,
  retryAfterMs,
} from '../../../src/adapters/hubspot/hubspot-error-mapping.js';
import { decodeValue, encodeValue } from '../../../src/adapters/hubspot/hubspot-values.js';
import type { CrmFieldSchema } from '../../../src/core/crm-schema/crm-schema-types.js';

// The pure parts of the HubSpot adapter: headers, bodies and values, without a server.

const NOW = new Date('2026-05-05T20:00:00.000Z');

describe('HubSpot error mapping', () => {
  it.each([
    ['7', 7000],
    ['0', 0],
    ['1.5', 1500],
    ['Tue, 05 May 2026 20:00:30 GMT', 30_000],
    ['Tue, 05 May 2026 19:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
  ])('reads Retry-After %j as %j ms', (header, expected) => {
    expect(retryAfterMs(new Headers({ 'retry-after': header }), NOW)).toBe(expected);
  });

  it('counts the time to the next midnight UTC', () => {
    expect(msUntilNextUtcMidnight(NOW)).toBe(4 * 3_600_000);
    expect(msUntilNextUtcMidnight(new Date('2026-05-05T00:00:00.000Z'))).toBe(86_400_000);
  });

  it('masks emails in quoted messages and cuts long ones', () => {
    expect(redactMessage('Duplicate IDs found in batch input: [ada@example.com, bob@x.io]')).toBe('Duplicate IDs found in batch input: [<email>, <email>]');
    expect(redactMessage('x'.repeat(400))).toHaveLength(300);
  });

  it.each([
    [400, '{"status":"error","message":"Unable to infer object type from: deals","category":"VALIDATION_ERROR"}', 'CRM_OBJECT_UNKNOWN', false],
    [404, '<html></html>', 'CRM_REJECTED', false],
    [408, '', 'CRM_UNAVAILABLE', true],
    [500, 'upstream connect error or disconnect/reset before headers', 'CRM_UNAVAILABLE', true],
    [200, '<html>maintenance</html>', 'CRM_UNAVAILABLE', true],
    [403, '{"category":"MISSING_SCOPES","message":"no","errors":[{"message":"x","context":{"requiredGranularScopes":["crm.schemas.contacts.read"]}}]}', 'CRM_PERMISSION_DENIED', false],
  ])('maps a whole-call %i to the right code', (status, text, code, retryable) => {
    const body = text.startsWith('{') ? (JSON.parse(text) as unknown) : undefined;
    const failure = callFailure({ status, headers: new Headers(), body, text, now: NOW });
    expect(failure).toMatchObject({ ok: false, code, retryable });
    if (status === 403) expect(failure.message).toContain('crm.schemas.contacts.read');
  });

  it('reads property problems from errors[] when the message is cut short', () => {
    const error = {
      category: 'VALIDATION_ERROR',
      message: 'Property values were not valid: [{"isValid":false,"message":"x was not one of the allo',
      errors: [{ message: 'x was not one of the allowed options: [a, b]', code: 'INVALID_OPTION', in: 'stage' }],
    };
    expect(propertyProblems(error)).toEqual([{ error: 'INVALID_OPTION', name: 'stage', message: 'x was not one of the allowed options: [a, b]' }]);
    // No schema: the suggestions come from the options HubSpot quoted.
    expect(recordFailure({ ...error, errors: [{ message: 'Bee was not one of the allowed options: [alpha, beta]', code: 'INVALID_OPTION', in: 'stage' }] }, undefined, {}))
      .toMatchObject({ code: 'CRM_PICKLIST_MISMATCH', message: expect.stringContaining('nearest valid options: beta') as unknown });
  });

  it('maps unknown detail codes by family', () => {
    const failureFor = (code: string): string =>
      recordFailure({ category: 'VALIDATION_ERROR', message: `Property values were not valid: [{"isValid":false,"message":"m","error":"${code}","name":"p"}]` }, undefined, {}).code;
    expect(failureFor('INVALID_INTEGER')).toBe('CRM_TYPE_MISMATCH');
    expect(failureFor('STRING_LENGTH_EXCEEDED')).toBe('CRM_VALUE_TOO_LONG');
    expect(failureFor('SOMETHING_NEW')).toBe('CRM_REJECTED');
  });
});

describe('HubSpot values', () => {
  const field = (type: CrmFieldSchema['type']): CrmFieldSchema => ({ name: 'f', label: 'f', type, required: false, readOnly: false, unique: false });

  it('encodes every leadsync value as HubSpot text', () => {
    expect([encodeValue('a'), encodeValue(2.5), encodeValue(false), encodeValue(['x', 'y']), encodeValue(null)]).toEqual(['a', '2.5', 'false', 'x;y', '']);
  });

  it.each([
    ['number', '250', 250],
    ['number', 'n/a', 'n/a'],
    ['bool', 'true', true],
    ['multi_picklist', 'a;;b', ['a', 'b']],
    ['date', '1767312000000', '2026-01-02'],
    ['date', '2026-01-02', '2026-01-02'],
    ['datetime', '1767323045000', '2026-01-02T03:04:05.000Z'],
    ['datetime', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
    ['string', '', undefined],
  ] as const)('decodes a %s %j as %j', (type, raw, expected) => {
    expect(decodeValue(field(type), raw)).toEqual(expected);
  });
});
