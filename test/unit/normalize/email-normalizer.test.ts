import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDomainNormalizer } from '../../../src/core/normalize/domain-normalizer.js';
import { createEmailNormalizer, FREE_MAIL_DOMAINS } from '../../../src/core/normalize/email-normalizer.js';
import type { EmailValue } from '../../../src/core/normalize/normalizer-types.js';

const email = createEmailNormalizer();

function emailOf(value: string): EmailValue | undefined {
  const result = email(value);
  return result.ok ? result.value : undefined;
}

describe('email: normal form', () => {
  it.each<[string, EmailValue]>([
    ['  Peter.Gibbons+CRM@Initech.COM ', { email: 'peter.gibbons+crm@initech.com', valid: true, freeMail: false, domain: 'initech.com' }],
    ['p.gibbons@mail.initech.co.uk', { email: 'p.gibbons@mail.initech.co.uk', valid: true, freeMail: false, domain: 'initech.co.uk' }],
    ['peter@initech.github.io', { email: 'peter@initech.github.io', valid: true, freeMail: false, domain: 'initech.github.io' }],
    ["o'brien_x-y@initech.io", { email: "o'brien_x-y@initech.io", valid: true, freeMail: false, domain: 'initech.io' }],
    ['Peter Gibbons <Peter@Initech.com>', { email: 'peter@initech.com', valid: true, freeMail: false, domain: 'initech.com' }],
    ['MAILTO:peter@initech.com', { email: 'peter@initech.com', valid: true, freeMail: false, domain: 'initech.com' }],
    ['peter@bücher.de', { email: 'peter@bücher.de', valid: true, freeMail: false, domain: 'bücher.de' }],
  ])('%j', (value, expected) => {
    expect(email(value)).toEqual({ ok: true, value: expected });
  });
});

describe('email: validity', () => {
  it.each<[string, string | null]>([
    ['peter..gibbons@initech.com', 'initech.com'],
    ['.peter@initech.com', 'initech.com'],
    ['peter.@initech.com', 'initech.com'],
    ['"peter gibbons"@initech.com', 'initech.com'],
    ['peter gibbons@initech.com', 'initech.com'],
    [`${'p'.repeat(65)}@initech.com`, 'initech.com'],
    ['@initech.com', 'initech.com'],
    ['peter@', null],
    ['peter', null],
    ['peter@@initech.com', null],
    ['peter@bill@initech.com', null],
    ['peter@localhost', null],
    ['peter@initech', null],
    ['peter@initech.invalidtld', null],
    ['peter@co.uk', null],
    ['peter@-initech.com', null],
    ['peter@initech-.com', null],
    ['peter@initech..com', null],
    ['peter@[192.168.0.1]', null],
    ['peter@192.168.0.1', null],
    ['peter@init_ech.com', null],
  ])('%j is not valid (domain %j) but still a result', (value, domain) => {
    const result = email(value);
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.valid).toBe(false);
    expect(result.ok && result.value.domain).toBe(domain);
    expect(result.ok && result.value.email).toBe(value.trim().toLowerCase());
  });

  it.each(['', '   ', 'mailto:'])('%j is empty', (value) => {
    const result = email(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('email: free mail', () => {
  it.each([
    'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.co.jp', 'yahoo.com.br', 'yahoo.fr', 'ymail.com',
    'outlook.com', 'outlook.de', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'live.com', 'live.co.uk', 'msn.com',
    'icloud.com', 'me.com', 'mac.com', 'proton.me', 'protonmail.com', 'pm.me', 'gmx.de', 'gmx.net', 'gmx.ch', 'gmx.at',
    'yandex.ru', 'yandex.com', 'yandex.com.tr', 'qq.com', '163.com', '126.com', 'mail.ru', 'aol.com', 'aol.co.uk', 'web.de',
  ])('%s is free mail', (host) => {
    expect(emailOf(`someone@${host}`)?.freeMail).toBe(true);
  });

  it.each(['initech.com', 'google.com', 'microsoft.com', 'apple.com', 'yahooinc.com', 'mygmail.com', 'gmail.initech.com', 'initech.github.io'])(
    '%s is not free mail',
    (host) => {
      expect(emailOf(`someone@${host}`)?.freeMail).toBe(false);
    },
  );

  it('counts a sub-domain of a free-mail domain as free mail', () => {
    expect(emailOf('someone@mail.yahoo.com')?.freeMail).toBe(true);
  });

  it('applies config additions and exclusions', () => {
    const custom = createEmailNormalizer({ freeMailDomains: ['Initech-Mail.com'], notFreeMail: ['gmx.de', 'icloud.com'] });
    expect(custom('a@initech-mail.com')).toEqual({ ok: true, value: { email: 'a@initech-mail.com', valid: true, freeMail: true, domain: 'initech-mail.com' } });
    expect(custom('a@gmx.de')).toMatchObject({ value: { freeMail: false } });
    expect(custom('a@icloud.com')).toMatchObject({ value: { freeMail: false } });
    expect(custom('a@gmx.net')).toMatchObject({ value: { freeMail: true } });
  });
});

describe('email: properties', () => {
  const domain = createDomainNormalizer();
  const addresses = fc.oneof(fc.emailAddress(), fc.string(), fc.tuple(fc.emailAddress(), fc.constantFrom(' ', 'X', '..')).map(([a, b]) => `${b}${a.toUpperCase()}`));

  it('is idempotent', () => {
    fc.assert(
      fc.property(addresses, (value) => {
        const first = email(value);
        if (!first.ok) return;
        expect(email(first.value.email)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('valid addresses have a domain, the one the domain normalizer gives for their host', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (value) => {
        const result = emailOf(value);
        if (!result?.valid) return;
        const host = result.email.slice(result.email.lastIndexOf('@') + 1);
        expect(result.domain).not.toBeNull();
        expect(domain(host)).toEqual({ ok: true, value: { domain: result.domain } });
      }),
      { numRuns: 500 },
    );
  });

  it('free mail implies a domain', () => {
    // fc.emailAddress() never picks a mailbox provider's host: these do, so the property is exercised.
    const freeMailHosts = fc.constantFrom(...FREE_MAIL_DOMAINS, 'yahoo.co.jp', 'gmx.ch', 'outlook.de', 'hotmail.co.uk');
    const freeMailAddresses = fc.tuple(fc.emailAddress(), freeMailHosts).map(([address, host]) => ({ host, address: `${address.slice(0, address.lastIndexOf('@'))}@${host}` }));
    fc.assert(
      fc.property(freeMailAddresses, ({ host, address }) => {
        expect(emailOf(address)).toMatchObject({ freeMail: true, domain: host });
      }),
    );
    fc.assert(
      fc.property(addresses, (value) => {
        const result = emailOf(value);
        if (result?.freeMail) expect(result.domain).not.toBeNull();
      }),
    );
  });
});
