import { describe, expect, it } from 'vitest';
import { LeadsyncError } from '../../../src/core/errors/error-codes.js';
import { NORMALIZER_KINDS, isNormalizerKind, type NormalizerKind } from '../../../src/core/normalize/normalizer-types.js';
import { createNormalizers, defaultNormalizers } from '../../../src/core/normalize/normalizers.js';
import { ResultCache } from '../../../src/core/normalize/result-cache.js';

describe('normalizer registry', () => {
  const samples: Record<NormalizerKind, [string, Record<string, unknown>]> = {
    title: ['VP, Sales', { function: 'sales', seniority: 'vp' }],
    country: ['Deutschland', { country: 'DE', region: 'EMEA' }],
    company: ['ACME & SONS LTD', { name: 'Acme & Sons' }],
    domain: ['https://www.initech.co.uk/x', { domain: 'initech.co.uk' }],
    email: ['Peter@Gmail.com', { email: 'peter@gmail.com', valid: true, freeMail: true, domain: 'gmail.com' }],
    phone: ['+1 212 555 0147', { e164: '+12125550147' }],
    intent: ['0.42', { score: 42, level: 'medium' }],
  };

  it.each(NORMALIZER_KINDS)('dispatches %s by kind, with the output keys of the contract', (kind) => {
    const [input, expected] = samples[kind];
    expect(defaultNormalizers.normalize(kind, input)).toEqual({ ok: true, value: expected });
    const direct = defaultNormalizers[kind] as (value: string) => unknown;
    expect(direct(input)).toEqual({ ok: true, value: expected });
  });

  it('passes the context to phone', () => {
    expect(defaultNormalizers.normalize('phone', '(212) 555-0147', { country: 'US' })).toEqual({ ok: true, value: { e164: '+12125550147' } });
    expect(defaultNormalizers.normalize('phone', '(212) 555-0147')).toMatchObject({ ok: false, code: 'NORMALIZE_PHONE_COUNTRY_REQUIRED' });
  });

  it('reports an unknown kind from untyped input instead of throwing', () => {
    const result = defaultNormalizers.normalize('salary' as NormalizerKind, '100k');
    expect(result).toMatchObject({ ok: false, code: 'NORMALIZE_KIND_UNKNOWN' });
    expect(!result.ok && result.message).toContain('salary');
    expect(isNormalizerKind('salary')).toBe(false);
    expect(NORMALIZER_KINDS.every(isNormalizerKind)).toBe(true);
  });

  it('compiles the config overrides into every normalizer', () => {
    const custom = createNormalizers({
      title: { functions: { sales: ['growth'] } },
      country: { aliases: { Bavaria: 'DE' }, regions: { DE: 'APAC' } },
      company: { suffixes: ['Group'] },
      email: { freeMailDomains: ['initech.com'] },
      intent: { thresholds: { medium: 10, high: 20 }, words: { lukewarm: 'medium' } },
    });
    expect(custom.title('Head of Growth')).toEqual({ ok: true, value: { function: 'sales', seniority: 'head' } });
    expect(custom.country('Bavaria')).toEqual({ ok: true, value: { country: 'DE', region: 'APAC' } });
    expect(custom.company('Initech Group')).toEqual({ ok: true, value: { name: 'Initech' } });
    expect(custom.email('a@initech.com')).toMatchObject({ value: { freeMail: true } });
    expect(custom.intent('15')).toEqual({ ok: true, value: { score: 15, level: 'medium' } });
    expect(custom.intent('lukewarm')).toEqual({ ok: true, value: { score: null, level: 'medium' } });
    // the phone normalizer reads the context country with the same tables
    expect(custom.phone('089 12345678', { country: 'Bavaria' })).toEqual({ ok: true, value: { e164: '+498912345678' } });
    // defaults are untouched
    expect(defaultNormalizers.title('Head of Growth')).toEqual({ ok: true, value: { function: 'marketing', seniority: 'head' } });
  });

  it('refuses invalid overrides with CONFIG_INVALID', () => {
    const attempt = (): unknown => createNormalizers({ country: { aliases: { Atlantis: 'QQ' } } });
    expect(attempt).toThrow(LeadsyncError);
    try {
      attempt();
    } catch (error) {
      expect(error instanceof LeadsyncError && error.code).toBe('CONFIG_INVALID');
    }
  });

  it('accepts explicit undefined parts, as a parsed config has them', () => {
    expect(() => createNormalizers({ title: undefined, country: { aliases: undefined }, intent: { thresholds: { medium: undefined } } })).not.toThrow();
  });
});

describe('ResultCache', () => {
  it('returns what was stored and keeps at most two generations', () => {
    const cache = new ResultCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    // "c" starts a new generation; "b" is then found in the old one and promoted
    cache.set('c', 3);
    expect(cache.get('b')).toBe(2);
    cache.set('d', 4);
    cache.set('e', 5);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('e')).toBe(5);
    expect(cache.get('missing')).toBeUndefined();
  });
});
