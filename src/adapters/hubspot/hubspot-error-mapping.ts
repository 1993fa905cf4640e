import type { CrmFieldSchema, CrmObjectSchema } from '../../core/crm-schema/crm-schema-types.js';
import { buildPicklistIndex } from '../../core/crm-schema/picklist-index.js';
import { suggestOptions, type SuggestionCandidate } from '../../core/crm-schema/picklist-suggestions.js';
import { picklistKey } from '../../core/crm-schema/picklist-key.js';
import type { ErrorCode } from '../../core/errors/error-codes.js';
import type { CrmRecordFailure } from '../../ports/crm-destination.js';
import { asHubSpotError, type HubSpotError } from './hubspot-wire.js';

const DAY_MS = 86_400_000;
/** HubSpot's rolling window when a 429 does not say otherwise. */
const TEN_SECONDS_MS = 10_000;

function failure(code: ErrorCode, message: string, retryable: boolean, extra: { retryAfterMs?: number; pauseDestinationMs?: number } = {}): CrmRecordFailure {
  return { ok: false, code, message, retryable, ...extra };
}

// Emails are the PII most likely to appear in HubSpot's messages ("Email address … is invalid", duplicate ids).
const EMAIL_LIKE = /[^\s@"'[\],:]+@[^\s@"'[\],:]+/g;

/** A HubSpot message with email-like text masked, cut to a readable length. */
export function redactMessage(message: string): string {
  const masked = message.replace(EMAIL_LIKE, '<email>');
  return masked.length > 300 ? `${masked.slice(0, 297)}...` : masked;
}

/** Milliseconds until the next midnight UTC, when the emulator (and, by default, leadsync) expects the daily allowance back. */
export function msUntilNextUtcMidnight(now: Date): number {
  const ms = now.getTime();
  return DAY_MS - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(headers: Headers, now: Date): number | undefined {
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** A network failure or timeout: retryable, since an upsert by id property may be sent again safely. */
export function transportFailure(error: unknown, timeoutMs: number): CrmRecordFailure {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return failure('CRM_UNAVAILABLE', `HubSpot did not answer within ${timeoutMs} ms (request timed out; the write may or may not have been applied, and is safe to repeat)`, true);
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause !== undefined && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const detail = code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return failure('CRM_UNAVAILABLE', `connection to HubSpot failed: ${redactMessage(detail)}`, true);
}

export interface CallFailureInput {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body, if the body was JSON. */
  readonly body: unknown;
  /** The raw body text. */
  readonly text: string;
  readonly now: Date;
}

function htmlTitle(text: string): string | undefined {
  return /<title>([^<]{1,200})<\/title>/i.exec(text)?.[1]?.trim();
}

/** What a body that is not HubSpot JSON looked like, for the message. */
function describeOpaqueBody(input: CallFailureInput): string {
  const type = input.headers.get('content-type')?.split(';', 1)[0] ?? 'no content type';
  if (input.text.trim() === '') return 'an empty body';
  const title = htmlTitle(input.text);
  return title === undefined ? `a non-JSON body (${type})` : `a non-JSON body (${type}: "${title}")`;
}

/** Why a whole call failed, mapped to one failure that every record of the call shares. */
export function callFailure(input: CallFailureInput): CrmRecordFailure {
  const { status } = input;
  const error = asHubSpotError(input.body);
  const said = error?.message === undefined ? describeOpaqueBody(input) : `${error.category ?? 'error'}: ${redactMessage(error.message)}`;
  const retryAfter = retryAfterMs(input.headers, input.now);
  if (status === 429) return rateLimitFailure(error, input.headers, retryAfter, input.now);
  if (status >= 500 || (status >= 200 && status < 300)) {
    const what = status < 300 ? `HubSpot answered ${status} with ${describeOpaqueBody(input)}` : `HubSpot ${status} (${said})`;
    return failure('CRM_UNAVAILABLE', what, true, retryAfter === undefined ? {} : { retryAfterMs: retryAfter });
  }
  if (status === 401) return failure('CRM_AUTH', `HubSpot 401 (${said}); check the private-app token`, false);
  if (status === 403) {
    const scopes = (error?.errors ?? []).flatMap((entry) => scopesOf(entry.context));
    const need = scopes.length === 0 ? '' : `; the token needs the scope(s) ${scopes.join(', ')}`;
    return failure('CRM_PERMISSION_DENIED', `HubSpot 403 (${said})${need}`, false);
  }
  if (status === 408) return failure('CRM_UNAVAILABLE', `HubSpot 408 (${said})`, true);
  if (error?.message?.startsWith('Unable to infer object type') === true) return failure('CRM_OBJECT_UNKNOWN', `HubSpot ${status} (${said})`, false);
  return failure('CRM_REJECTED', `HubSpot ${status} (${said})`, false);
}

function scopesOf(context: unknown): string[] {
  if (typeof context !== 'object' || context === null) return [];
  return Object.values(context).flatMap((value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []));
}

function rateLimitFailure(error: HubSpotError | undefined, headers: Headers, retryAfter: number | undefined, now: Date): CrmRecordFailure {
  const policy = error?.policyName ?? 'unknown policy';
  if (policy === 'DAILY') {
    const pause = msUntilNextUtcMidnight(now);
    return failure('CRM_DAILY_LIMIT', 'HubSpot 429 DAILY: the account\'s daily API limit is used up; pausing the destination until it resets (midnight)', true, {
      retryAfterMs: Math.max(pause, retryAfter ?? 0),
      pauseDestinationMs: Math.max(pause, retryAfter ?? 0),
    });
  }
  const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? '');
  // Without Retry-After, waiting one whole window is the shortest wait that is sure to free a slot.
  const windowMs = policy === 'SECONDLY' ? 1000 : Number.isFinite(interval) && interval > 0 ? interval : TEN_SECONDS_MS;
  return failure('CRM_RATE_LIMITED', `HubSpot 429 ${policy}: ${redactMessage(error?.message ?? 'rate limit reached')}`, true, { retryAfterMs: retryAfter ?? windowMs });
}

/** One entry of the JSON array inside a VALIDATION_ERROR message. */
interface PropertyProblem {
  readonly error: string;
  readonly name: string;
  readonly message: string;
}

const DETAIL_PREFIX = 'Property values were not valid: ';

/** The property problems a VALIDATION_ERROR carries: the embedded JSON first, `errors[]` as a fallback. */
export function propertyProblems(error: HubSpotError): PropertyProblem[] {
  const message = error.message ?? '';
  const start = message.indexOf(DETAIL_PREFIX);
  if (start !== -1) {
    try {
      const parsed = JSON.parse(message.slice(start + DETAIL_PREFIX.length)) as unknown;
      if (Array.isArray(parsed)) {
        const problems = parsed
          .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
          .map((entry) => ({
            error: typeof entry['error'] === 'string' ? entry['error'] : 'UNKNOWN',
            name: typeof entry['name'] === 'string' ? entry['name'] : '?',
            message: typeof entry['message'] === 'string' ? entry['message'] : '',
          }));
        if (problems.length > 0) return problems;
      }
    } catch {
      // HubSpot truncates long messages; fall through to errors[], which carries the same codes when present.
    }
  }
  return (error.errors ?? [])
    .filter((entry) => entry.code !== undefined && entry.in !== undefined)
    .map((entry) => ({ error: entry.code ?? 'UNKNOWN', name: entry.in ?? '?', message: entry.message ?? '' }));
}

function codeFor(detail: string): ErrorCode {
  switch (detail) {
    case 'INVALID_OPTION':
      return 'CRM_PICKLIST_MISMATCH';
    case 'PROPERTY_DOESNT_EXIST':
      return 'CRM_FIELD_UNKNOWN';
    case 'READ_ONLY_VALUE':
      return 'CRM_FIELD_READ_ONLY';
    case 'INVALID_EMAIL':
    case 'LEADING_TRAILING_WHITESPACE':
      return 'CRM_TYPE_MISMATCH';
    default:
      if (detail.includes('LENGTH')) return 'CRM_VALUE_TOO_LONG';
      return detail.startsWith('INVALID_') ? 'CRM_TYPE_MISMATCH' : 'CRM_REJECTED';
  }
}

const ALLOWED_OPTIONS = /^(.*) was not one of the allowed options: \[(.*)\]$/s;

/** Candidates for suggestions: the field's active options, or the allowed list HubSpot quoted. */
function candidatesFor(field: CrmFieldSchema | undefined, quoted: readonly string[]): readonly SuggestionCandidate[] {
  if (field?.options !== undefined && field.options.length > 0) return buildPicklistIndex(field.options).candidates;
  return quoted.map((value) => ({ value, valueKey: picklistKey(value), labelKey: picklistKey(value) }));
}

function describeProblem(problem: PropertyProblem, object: CrmObjectSchema | undefined, sent: Readonly<Record<string, string>>): string {
  const field = `Field "${problem.name}"`;
  switch (problem.error) {
    case 'INVALID_OPTION': {
      const match = ALLOWED_OPTIONS.exec(problem.message);
      const quoted = match?.[2]?.split(', ').filter((value) => value !== '') ?? [];
      // The rejected element of a multi-select is the one HubSpot names; otherwise the value sent.
      const rejected = match?.[1] ?? sent[problem.name] ?? '';
      const fieldSchema = object === undefined || !Object.hasOwn(object.fields, problem.name) ? undefined : object.fields[problem.name];
      const nearest = suggestOptions(rejected, candidatesFor(fieldSchema, quoted));
      const hint = nearest.length > 0 ? `nearest valid options: ${nearest.join(', ')}` : `no option is near it; allowed options: ${quoted.slice(0, 10).join(', ') || 'see the property in HubSpot'}`;
      return `${field}: HubSpot INVALID_OPTION, the value is not one of the property's options (send the option value, not its label); ${hint}`;
    }
    case 'INVALID_EMAIL':
      return `${field}: HubSpot INVALID_EMAIL, not a valid email address`;
    case 'LEADING_TRAILING_WHITESPACE':
      return `${field}: HubSpot LEADING_TRAILING_WHITESPACE, the value has leading or trailing whitespace`;
    case 'PROPERTY_DOESNT_EXIST':
      return `${field}: HubSpot PROPERTY_DOESNT_EXIST, the object has no such property`;
    case 'READ_ONLY_VALUE':
      return `${field}: HubSpot READ_ONLY_VALUE, the property is read-only`;
    default:
      return `${field}: HubSpot ${problem.error}, ${redactMessage(problem.message)}`;
  }
}

/**
 * Maps the error HubSpot reported for one record (a 207 entry, or the 400 of
 * a one-input call) to a permanent failure whose message names each bad
 * property; for INVALID_OPTION it lists the nearest valid options.
 */
export function recordFailure(error: HubSpotError, object: CrmObjectSchema | undefined, sent: Readonly<Record<string, string>>): CrmRecordFailure {
  const category = error.category ?? 'error';
  if (category === 'VALIDATION_ERROR') {
    const problems = propertyProblems(error);
    const first = problems[0];
    if (first !== undefined) return failure(codeFor(first.error), problems.map((problem) => describeProblem(problem, object, sent)).join('; '), false);
  }
  if (category === 'CONFLICT') {
    const existing = /Existing ID: (\d+)/.exec(error.message ?? '')?.[1];
    return failure('CRM_REJECTED', `HubSpot CONFLICT: another record already holds a unique value of this record${existing === undefined ? '' : ` (existing record ${existing})`}`, false);
  }
  return failure('CRM_REJECTED', `HubSpot ${category}: ${redactMessage(error.message ?? 'no message')}`, false);
}
