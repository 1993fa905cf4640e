import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/server/logger.js';
import { LogCapture } from '../../support/log-capture.js';

function setup() {
  const capture = new LogCapture();
  return { capture, logger: createLogger({ destination: capture, level: 'debug' }) };
}

describe('logger PII redaction', () => {
  it('masks emails and phone numbers in every string of nested objects and arrays', () => {
    const { capture, logger } = setup();
    logger.info(
      {
        lead: { email: 'ada.lovelace@acme-analytics.co.uk', contact: { phones: ['+44 20 7946 0958', '(415) 555-0100'], note: 'call 415.555.0100 or mail bob@example.org' } },
        leadKey: 'contacts:ada.lovelace@acme-analytics.co.uk',
        count: 4155550100,
      },
      'processing',
    );
    expect(capture.lines[0]).toMatchObject({
      lead: { email: 'a***@acme-analytics.co.uk', contact: { phones: ['[phone]', '[phone]'], note: 'call [phone] or mail b***@example.org' } },
      leadKey: 'contacts:a***@acme-analytics.co.uk',
      // Numbers are values, not text someone typed: left alone.
      count: 4155550100,
      msg: 'processing',
    });
  });

  it('masks the message and its format arguments', () => {
    const { capture, logger } = setup();
    logger.warn('lead %s has phone %s', 'ada@example.com', '+1 415 555 0100');
    logger.info({ n: 1 }, 'mail carl@example.com');
    expect(capture.lines.map((line) => line['msg'])).toEqual(['lead a***@example.com has phone [phone]', 'mail c***@example.com']);
  });

  it('masks error messages, stacks and causes, whether the error is logged alone, as err, or nested', () => {
    const { capture, logger } = setup();
    const error = new Error('upsert failed for ada@example.com', { cause: new TypeError('phone +49 30 1234567 is invalid') });
    logger.error(error);
    logger.error({ err: error }, 'worker error');
    logger.error({ job: { id: '9', failure: new RangeError('bad value carl@example.com') } }, 'job failed');

    const [alone, asErr, nested] = capture.lines;
    expect(alone).toMatchObject({
      msg: 'upsert failed for a***@example.com',
      err: { type: 'Error', message: 'upsert failed for a***@example.com: phone [phone] is invalid' },
    });
    expect(String((alone?.['err'] as { stack: string }).stack)).toMatch(/^Error: upsert failed for a\*\*\*@example\.com\n/);
    expect(String((alone?.['err'] as { stack: string }).stack)).toContain('caused by: TypeError: phone [phone] is invalid');
    expect(asErr).toMatchObject({ msg: 'worker error', err: { type: 'Error', message: 'upsert failed for a***@example.com: phone [phone] is invalid' } });
    expect(nested).toMatchObject({ job: { id: '9', failure: { type: 'RangeError', message: 'bad value c***@example.com' } } });
    expect(capture.text()).not.toMatch(/ada@|carl@|1234567/);
  });

  it('keeps an error’s own fields, masked', () => {
    const { capture, logger } = setup();
    const error = Object.assign(new Error('rejected'), { code: 'CRM_REJECTED', detail: { field: 'email', value: 'dan@example.com' } });
    logger.error({ err: error }, 'crm said no');
    expect(capture.lines[0]).toMatchObject({ err: { code: 'CRM_REJECTED', detail: { field: 'email', value: 'd***@example.com' } } });
  });

  it('replaces secret headers wherever a headers object is logged', () => {
    const { capture, logger } = setup();
    const headers = { authorization: 'Bearer abc', cookie: 'session=1', 'webhook-signature': 'v1,xyz', 'x-hubspot-signature-v3': 'sig', 'content-type': 'application/json' };
    logger.info({ headers, req: { method: 'POST', headers }, err: { response: { headers } } }, 'request');
    const line = capture.lines[0] ?? {};
    const redacted = { authorization: '[redacted]', cookie: '[redacted]', 'webhook-signature': '[redacted]', 'x-hubspot-signature-v3': '[redacted]', 'content-type': 'application/json' };
    expect(line).toMatchObject({ headers: redacted, req: { method: 'POST', headers: redacted }, err: { response: { headers: redacted } } });
    expect(capture.text()).not.toMatch(/Bearer abc|session=1|v1,xyz/);
  });

  it('masks child-logger bindings', () => {
    const { capture, logger } = setup();
    logger.child({ leadKey: 'contacts:erin@example.com' }).child({ phone: '+1 212 555 0199' }).info('hello');
    expect(capture.lines[0]).toMatchObject({ leadKey: 'contacts:e***@example.com', phone: '[phone]', msg: 'hello' });
  });

  it('leaves ids, hashes, timestamps and addresses that are not personal data alone', () => {
    const { capture, logger } = setup();
    const fields = {
      eventId: '1234',
      uuid: '123e4567-e89b-12d3-a456-426614174000',
      payloadHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      at: '2026-01-01T00:00:00.000Z',
      local: '2026-01-01 12:00:00',
      when: new Date('2026-01-01T00:00:00.000Z'),
      idempotencyKey: '7:webform|6:lead-1|24:2026-01-01T00:00:00.000Z',
      peer: '192.168.100.200:5432',
      ratio: '3.14159265',
    };
    logger.info(fields, 'ids');
    expect(capture.lines[0]).toMatchObject({ ...fields, when: '2026-01-01T00:00:00.000Z' });
  });

  it('survives cycles and very deep objects', () => {
    const { capture, logger } = setup();
    const cyclic: Record<string, unknown> = { email: 'fay@example.com' };
    cyclic['self'] = cyclic;
    let deep: Record<string, unknown> = { email: 'gus@example.com' };
    for (let level = 0; level < 20; level += 1) deep = { deep };
    logger.info({ cyclic, deep }, 'odd shapes');
    expect(capture.lines[0]).toMatchObject({ cyclic: { email: 'f***@example.com', self: '[Circular]' } });
    expect(capture.text()).not.toContain('gus@');
  });

  it('writes nothing below its level', () => {
    const capture = new LogCapture();
    createLogger({ destination: capture, level: 'warn' }).info({ a: 1 }, 'quiet');
    expect(capture.lines).toEqual([]);
  });
});
