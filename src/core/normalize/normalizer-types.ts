import type { ErrorCode } from '../errors/error-codes.js';

/**
 * Shared types of the normalizers (NORMALIZATION.md is the contract). Closed
 * sets are `const` arrays with a derived union so the config schema, the CLI
 * and the picklist checks can list them.
 */

/** The kinds of normalizer, as named on the CLI and in mappings. */
export const NORMALIZER_KINDS = ['title', 'country', 'company', 'domain', 'email', 'phone', 'intent'] as const;
export type NormalizerKind = (typeof NORMALIZER_KINDS)[number];

/** Seniorities in rank order, highest first. */
export const SENIORITIES = [
  'owner',
  'founder',
  'c_suite',
  'partner',
  'vp',
  'head',
  'director',
  'manager',
  'senior',
  'entry',
  'intern',
] as const;
export type Seniority = (typeof SENIORITIES)[number];

/** Job functions of the default taxonomy. */
export const JOB_FUNCTIONS = [
  'executive',
  'sales',
  'marketing',
  'engineering',
  'product',
  'design',
  'it',
  'data',
  'security',
  'finance',
  'hr',
  'legal',
  'operations',
  'customer_success',
  'support',
  'education',
  'healthcare',
  'consulting',
  'other',
] as const;
export type JobFunction = (typeof JOB_FUNCTIONS)[number];

/** Sales regions a country belongs to. */
export const REGIONS = ['NA', 'LATAM', 'EMEA', 'APAC'] as const;
export type Region = (typeof REGIONS)[number];

/** Intent levels, lowest first. */
export const INTENT_LEVELS = ['low', 'medium', 'high'] as const;
export type IntentLevel = (typeof INTENT_LEVELS)[number];

/** The outcome of one normalizer call: a value, or a stable error code with a message naming the input. */
export type NormalizeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

// Output values are type aliases, not interfaces, so they are assignable to Record<string, unknown> (see Normalizers.normalize).

/** `title` output. */
export type TitleValue = {
  readonly function: JobFunction;
  readonly seniority: Seniority;
};

/** `country` output: ISO 3166-1 alpha-2 code and its region. */
export type CountryValue = {
  readonly country: string;
  readonly region: Region;
};

/** `company` output. */
export type CompanyValue = {
  readonly name: string;
};

/** `domain` output: the registrable domain, lower case. */
export type DomainValue = {
  readonly domain: string;
};

/** `email` output. An address that is not valid is still returned, with `valid: false`. */
export type EmailValue = {
  /** Trimmed, lower-cased address; `+tags` and dots kept. */
  readonly email: string;
  /** Syntactically valid and the domain is under a public suffix. */
  readonly valid: boolean;
  /** The domain belongs to a consumer mailbox provider. */
  readonly freeMail: boolean;
  /** Registrable domain of the address, or null when it has none. */
  readonly domain: string | null;
};

/** `phone` output. */
export type PhoneValue = {
  /** E.164, e.g. "+14155552671"; extensions are dropped. */
  readonly e164: string;
};

/** `intent` output. */
export type IntentValue = {
  /** 0..100, or null when the input was a level word. */
  readonly score: number | null;
  readonly level: IntentLevel;
};

/** Output type of each kind. */
export interface NormalizerValues {
  readonly title: TitleValue;
  readonly country: CountryValue;
  readonly company: CompanyValue;
  readonly domain: DomainValue;
  readonly email: EmailValue;
  readonly phone: PhoneValue;
  readonly intent: IntentValue;
}

/** What a normalizer may know about the lead beyond the value. */
export interface NormalizeContext {
  /** The lead's country: an ISO code or any country string the country normalizer reads. Used by `phone`. */
  readonly country?: string | undefined;
}

/**
 * Config overrides of the default tables; every part is optional. Keywords
 * and aliases are matched the way input is (any case, accents optional,
 * punctuation tolerated).
 */
export interface NormalizerOverrides {
  readonly title?:
    | {
        /** Extra keywords or phrases per function; they are checked before the defaults and win over them. */
        readonly functions?: { readonly [F in JobFunction]?: readonly string[] | undefined } | undefined;
        /** Extra keywords or phrases per seniority; they are checked before the defaults. */
        readonly seniorities?: { readonly [S in Seniority]?: readonly string[] | undefined } | undefined;
      }
    | undefined;
  readonly country?:
    | {
        /** Alias (any case, accents optional) to ISO 3166-1 alpha-2 code; wins over the built-in names. */
        readonly aliases?: Readonly<Record<string, string>> | undefined;
        /** ISO 3166-1 alpha-2 code to region, replacing the default region of that country. */
        readonly regions?: Readonly<Record<string, Region>> | undefined;
      }
    | undefined;
  readonly company?:
    | {
        /** Extra legal-entity suffixes stripped from the end of names. */
        readonly suffixes?: readonly string[] | undefined;
      }
    | undefined;
  readonly email?:
    | {
        /** Extra consumer mailbox domains. */
        readonly freeMailDomains?: readonly string[] | undefined;
        /** Domains never counted as free mail, even when a default list has them. */
        readonly notFreeMail?: readonly string[] | undefined;
      }
    | undefined;
  readonly intent?:
    | {
        /** Extra (or replacing) level words. */
        readonly words?: Readonly<Record<string, IntentLevel>> | undefined;
        /** Lowest score of each level. (Default: medium 40, high 70) */
        readonly thresholds?: { readonly medium?: number | undefined; readonly high?: number | undefined } | undefined;
      }
    | undefined;
}

/**
 * The compiled normalizers: one function per kind, plus dispatch by kind.
 * They are plain functions (no `this`), so they can be passed around alone.
 */
export interface Normalizers {
  readonly title: (value: string) => NormalizeResult<TitleValue>;
  readonly country: (value: string) => NormalizeResult<CountryValue>;
  readonly company: (value: string) => NormalizeResult<CompanyValue>;
  readonly domain: (value: string) => NormalizeResult<DomainValue>;
  readonly email: (value: string) => NormalizeResult<EmailValue>;
  readonly phone: (value: string, context?: NormalizeContext) => NormalizeResult<PhoneValue>;
  /** Accepts a number too, because intent scores often arrive as JSON numbers. */
  readonly intent: (value: string | number) => NormalizeResult<IntentValue>;
  /** Dispatch by kind; an unknown kind (from untyped input) is `NORMALIZE_KIND_UNKNOWN`. */
  readonly normalize: (kind: NormalizerKind, value: string, context?: NormalizeContext) => NormalizeResult<Record<string, unknown>>;
}

/** True when `kind` names a normalizer. */
export function isNormalizerKind(kind: string): kind is NormalizerKind {
  return (NORMALIZER_KINDS as readonly string[]).includes(kind);
}

/** A failed result; the message should name the input so a person can find it. */
export function notNormalized<T>(code: ErrorCode, message: string): NormalizeResult<T> {
  return { ok: false, code, message };
}
