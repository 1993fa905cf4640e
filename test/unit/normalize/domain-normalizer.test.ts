import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDomainNormalizer } from '../../../src/core/normalize/domain-normalizer.js';

const domain = createDomainNormalizer();

function domainOf(value: string): string | undefined {
  const result = domain(value);
  return result.ok ? result.value.domain : undefined;
}

describe('domain: what it reads', () => {
  it.each<[string, string]>([
    // URLs: scheme, userinfo, port, path, query, fragment, www all go
    ['https://www.initech.com/about?x=1#team', 'initech.com'],
    ['http://user:secret@shop.initech.com:8443/cart', 'initech.com'],
    ['HTTPS://WWW.INITECH.COM', 'initech.com'],
    ['//cdn.initech.com/app.js', 'initech.com'],
    ['ftp://files.initech.org', 'initech.org'],
    // no scheme
    ['initech.com/pricing', 'initech.com'],
    ['www.initech.com:8080', 'initech.com'],
    ['initech.io?ref=ad', 'initech.io'],
    // bare hosts, public suffix of several labels, trailing dot
    ['initech.com', 'initech.com'],
    ['eu.app.initech.com', 'initech.com'],
    ['shop.initech.co.uk', 'initech.co.uk'],
    ['www.initech.com.au', 'initech.com.au'],
    ['initech.com.', 'initech.com'],
    // the PSL private section counts
    ['initech.github.io', 'initech.github.io'],
    ['docs.initech.github.io', 'initech.github.io'],
    ['initech.herokuapp.com', 'initech.herokuapp.com'],
    // email addresses
    ['peter@mail.initech.co.uk', 'initech.co.uk'],
    ['mailto:peter@initech.com', 'initech.com'],
    ['  Peter@Initech.COM ', 'initech.com'],
    // internationalised names stay as written
    ['bücher.de', 'bücher.de'],
  ])('%s -> %s', (value, expected) => {
    expect(domainOf(value)).toBe(expected);
  });
});

describe('domain: errors', () => {
  it.each(['localhost', 'http://localhost:3000', 'foo.invalidtld', 'intranet.corp', '192.168.0.10', 'http://[::1]/', 'co.uk', 'github.io', 'initech', 'not a domain', 'peter@localhost'])(
    '%s has no registrable domain',
    (value) => {
      const result = domain(value);
      expect(!result.ok && result.code).toBe('NORMALIZE_DOMAIN_INVALID');
      expect(!result.ok && result.message).toContain(value.trim());
    },
  );

  it.each(['', '  '])('%j is empty', (value) => {
    const result = domain(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('domain: properties', () => {
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.webUrl(), fc.emailAddress(), fc.string()), (value) => {
        const first = domain(value);
        if (!first.ok) return;
        expect(domain(first.value.domain)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('a URL, its host and an address at that host give the same domain', () => {
    fc.assert(
      fc.property(fc.domain(), fc.constantFrom('', '/a/b?c=d', ':8080/x'), (host, rest) => {
        const fromHost = domainOf(host);
        expect(domainOf(`https://${host}${rest}`)).toBe(fromHost);
        expect(domainOf(`someone@${host}`)).toBe(fromHost);
        if (fromHost !== undefined) expect(host.toLowerCase().endsWith(fromHost)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
