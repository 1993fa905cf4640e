import freeMailList from 'email-providers/all.json' with { type: 'json' };
import { parse } from 'tldts';
import { PSL_OPTIONS, registrableDomain } from './domain-normalizer.js';
import { ResultCache } from './result-cache.js';
import { notNormalized, type EmailValue, type NormalizeResult, type NormalizerOverrides } from './normalizer-types.js';

/**
 * Email address -> `{ email, valid, freeMail, domain }` (NORMALIZATION.md "email").
 *
 * The address is trimmed and lower-cased; a "mailto:" prefix and a display
 * name ("Ann <ann@acme.com>") are removed; `+tags` and dots are kept.
 *
 * `valid` is true when the address is syntactically valid AND its domain has a
 * registrable domain under a public suffix. Syntax (a deliberate subset of RFC
 * 5321/5322, the forms CRMs accept): exactly one "@"; a local part of 1-64
 * characters from the RFC 5322 atext set and dots, not starting or ending with
 * a dot, no ".."; no quoted local parts, comments or IP-literal domains; a
 * domain of at most 253 characters with two or more labels of 1-63 letters,
 * digits or hyphens (internationalised letters allowed), no label starting or
 * ending with a hyphen; at most 254 characters in all. An invalid address is
 * still a result (`valid: false`), so callers can show it.
 *
 * `domain` is the registrable domain of the part after the "@"
 * ("ann@mail.acme.co.uk" -> "acme.co.uk"), or null when there is none.
 * `freeMail` is true when the host or its registrable domain is a consumer
 * mailbox provider: the email-providers list, FREE_MAIL_DOMAINS, any domain of
 * a FREE_MAIL_BRANDS brand under any public suffix ("yahoo.co.jp", "gmx.ch"),
 * and the config's extra domains; notFreeMail removes domains from all of these.
 */
export type EmailNormalizer = (value: string) => NormalizeResult<EmailValue>;

/** Consumer mailbox providers the email-providers list misses or that must never drop out of it. */
export const FREE_MAIL_DOMAINS: readonly string[] = [
  'gmail.com', 'googlemail.com', 'icloud.com', 'me.com', 'mac.com', 'proton.me', 'pm.me', 'protonmail.com', 'protonmail.ch',
  'qq.com', '163.com', '126.com', 'yeah.net', 'sina.com', 'sohu.com', 'mail.ru', 'inbox.ru', 'list.ru', 'bk.ru', 'ya.ru',
  'aol.com', 'tutanota.com', 'tutanota.de', 'tuta.io', 'tuta.com', 'fastmail.com', 'fastmail.fm', 'zohomail.com', 'hey.com',
  'web.de', 't-online.de', 'naver.com', 'daum.net', 'hanmail.net', 'rediffmail.com', 'mail.com', 'email.com', 'seznam.cz',
  'wp.pl', 'o2.pl', 'interia.pl', 'onet.pl', 'libero.it', 'virgilio.it', 'orange.fr', 'free.fr', 'laposte.net', 'sfr.fr',
  'wanadoo.fr', 'btinternet.com', 'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net', 'bigpond.com', 'uol.com.br',
  'bol.com.br', 'terra.com.br',
];

/** Brands whose domain is a consumer mailbox under every public suffix ("yahoo.*", "gmx.*", "yandex.*", …). */
export const FREE_MAIL_BRANDS: readonly string[] = [
  'gmail', 'googlemail', 'yahoo', 'ymail', 'rocketmail', 'outlook', 'hotmail', 'live', 'msn', 'windowslive', 'aol', 'gmx',
  'yandex', 'protonmail',
];

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const ASCII_HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN_LABEL = /^(?!-)[\p{L}\p{M}\p{N}-]{1,63}(?<!-)$/u;
const DISPLAY_NAME = /<([^<>]*)>\s*$/;
// tldts reads the host as a host name, not a URL: faster, and "a@b/c" is not stretched into a valid host.
const HOST_OPTIONS = { ...PSL_OPTIONS, extractHostname: false } as const;

/** What the part after the "@" gives, whatever the part before it. */
interface HostFacts {
  readonly domain: string | null;
  readonly freeMail: boolean;
}

// Longer hosts are not remembered, so the memo's memory stays bounded.
const REMEMBERED_HOST_LENGTH = 253;

function localPartValid(local: string): boolean {
  return local.length > 0 && local.length <= 64 && LOCAL_PART.test(local);
}

function hostValid(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (ASCII_HOST.test(host)) return true;
  // Internationalised domain names: letters of any script per label.
  const labels = host.split('.');
  return labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
}

function domainSet(domains: readonly string[]): Set<string> {
  return new Set(domains.map((domain) => domain.trim().toLowerCase()).filter((domain) => domain !== ''));
}

/** Creates the email normalizer with the config's free-mail changes compiled in. */
export function createEmailNormalizer(overrides: NormalizerOverrides['email'] = {}): EmailNormalizer {
  const freeDomains = domainSet([...(freeMailList as readonly string[]), ...FREE_MAIL_DOMAINS, ...(overrides.freeMailDomains ?? [])]);
  const notFree = domainSet(overrides.notFreeMail ?? []);
  const brands = new Set(FREE_MAIL_BRANDS);

  const isFreeMail = (host: string, domain: string, brand: string | null): boolean => {
    if (notFree.has(host) || notFree.has(domain)) return false;
    return freeDomains.has(host) || freeDomains.has(domain) || (brand !== null && brands.has(brand));
  };

  // What an address's host gives (its registrable domain, free-mail or not) depends on the host
  // alone, and hosts repeat far more than addresses do (every lead of an account, gmail.com):
  // a bounded memo spares the Public Suffix lookup for all but the first address of a host.
  const hosts = new ResultCache<HostFacts>();
  const hostFacts = (host: string): HostFacts => {
    let facts = hosts.get(host);
    if (facts === undefined) {
      const parsed = hostValid(host) ? parse(host, HOST_OPTIONS) : undefined;
      const domain = parsed ? registrableDomain(parsed) : null;
      facts = { domain, freeMail: domain !== null && isFreeMail(host, domain, parsed?.domainWithoutSuffix ?? null) };
      if (host.length <= REMEMBERED_HOST_LENGTH) hosts.set(host, facts);
    }
    return facts;
  };

  return (value: string): NormalizeResult<EmailValue> => {
    let email = value.trim().toLowerCase();
    const wrapped = email.includes('<') ? DISPLAY_NAME.exec(email) : null;
    if (wrapped) email = (wrapped[1] as string).trim();
    if (email.startsWith('mailto:')) email = email.slice('mailto:'.length).trim();
    if (email === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The email address is empty');

    const at = email.indexOf('@');
    if (at < 0 || at !== email.lastIndexOf('@')) return { ok: true, value: { email, valid: false, freeMail: false, domain: null } };
    const local = email.slice(0, at);
    // One trailing dot (a fully qualified host) goes; a slice rather than a regex replace.
    const host = email.endsWith('.') ? email.slice(at + 1, -1) : email.slice(at + 1);
    const { domain, freeMail } = hostFacts(host);
    const valid = domain !== null && email.length <= 254 && localPartValid(local);
    return { ok: true, value: { email, valid, freeMail, domain } };
  };
}
