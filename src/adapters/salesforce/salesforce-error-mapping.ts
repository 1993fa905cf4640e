import { buildPicklistIndex } from '../../core/crm-schema/picklist-index.js';
import { suggestOptions } from '../../core/crm-schema/picklist-suggestions.js';
import type { ErrorCode } from '../../core/errors/error-codes.js';
import type { CrmRecordFailure } from '../../ports/crm-destination.js';
import type { SalesforceCall } from './salesforce-http-client.js';
import type { SalesforceObjectInfo } from './salesforce-schema-reader.js';
import type { SalesforceValue } from './salesforce-values.js';

/** One Salesforce error: top-level (`errorCode`), per record in collections (`statusCode`) or from a Bulk CSV (`sf__Error`). */
export interface SalesforceError {
  readonly code: string;
  readonly message: string;
  readonly fields: readonly string[];
}

export interface MappingContext {
  readonly object: SalesforceObjectInfo | undefined;
  /** The record's body, to name the rejected picklist value without parsing it out of the message. */
  readonly body?: ReadonlyMap<string, SalesforceValue>;
  /** The External ID field the write upserts by, to tell a lost create race from a clash on another unique field. */
  readonly externalIdField?: string;
  /** How long a daily-limit 403 pauses the destination. */
  readonly dailyLimitPauseMs: number;
  /** Wait suggested after a concurrent-limit 403, which carries no Retry-After. */
  readonly concurrentLimitRetryMs: number;
}

function failure(code: ErrorCode, message: string, retryable: boolean, extra: { retryAfterMs?: number; pauseDestinationMs?: number } = {}): CrmRecordFailure {
  return { ok: false, code, message, retryable, ...extra };
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Errors in a body: the top-level array, or a collection result's `errors`. */
export function parseErrors(json: unknown): SalesforceError[] {
  if (!Array.isArray(json)) return [];
  return json
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map((entry) => ({
      code: asString(entry['errorCode']) || asString(entry['statusCode']) || 'UNKNOWN',
      message: asString(entry['message']),
      fields: Array.isArray(entry['fields']) ? entry['fields'].filter((field): field is string => typeof field === 'string') : [],
    }));
}

/** `sf__Error` of a Bulk API 2.0 failed row: `CODE:message:fields --`. */
export function parseBulkError(text: string): SalesforceError {
  const trimmed = text.replace(/\s*--\s*$/, '');
  const first = trimmed.indexOf(':');
  if (first < 0) return { code: trimmed || 'UNKNOWN', message: '', fields: [] };
  const code = trimmed.slice(0, first);
  const rest = trimmed.slice(first + 1);
  const last = rest.lastIndexOf(':');
  const fields = last < 0 ? '' : rest.slice(last + 1);
  const message = last < 0 ? rest : rest.slice(0, last);
  return { code, message, fields: fields.split(',').map((field) => field.trim()).filter((field) => field !== '') };
}

/** Retry-After in milliseconds: delta seconds (decimals accepted) or an HTTP date. */
export function retryAfterMs(headers: Headers): number | undefined {
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function picklistFailure(error: SalesforceError, context: MappingContext): CrmRecordFailure {
  const fieldName = error.fields[0] ?? '';
  const field = context.object?.fields.get(fieldName.toLowerCase());
  const sent = field === undefined ? undefined : context.body?.get(field.name);
  const value = typeof sent === 'string' ? sent : (/restricted picklist field: (.*)$/.exec(error.message)?.[1] ?? '');
  const options = field?.crm?.options ?? [];
  // A multi-picklist is rejected for one of its parts; suggest for each part not an active option.
  const active = new Set(options.filter((option) => option.active).map((option) => option.value));
  const rejectedValue = field?.type === 'multi_picklist' ? (value.split(';').find((part) => !active.has(part)) ?? value) : value;
  const suggestions = suggestOptions(rejectedValue, buildPicklistIndex(options).candidates);
  const hint =
    suggestions.length > 0
      ? `nearest valid options: ${suggestions.map((option) => `"${option}"`).join(', ')}`
      : `valid options: ${[...active].slice(0, 10).map((option) => `"${option}"`).join(', ') || 'none described'}`;
  return failure('CRM_PICKLIST_MISMATCH', `${fieldName}: "${rejectedValue}" is not an active value of the restricted picklist (Salesforce INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST); ${hint}`, false);
}

/**
 * Our failure for one Salesforce error code. Messages name fields and codes
 * but not the values sent (they can be personal data), except picklist values.
 */
export function recordErrorFailure(error: SalesforceError, context: MappingContext): CrmRecordFailure {
  const fields = error.fields.length > 0 ? error.fields.join(', ') : 'record';
  switch (error.code) {
    case 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST':
    case 'BAD_VALUE_FOR_RESTRICTED_PICKLIST':
      return picklistFailure(error, context);
    case 'STRING_TOO_LONG': {
      const max = /max length=(\d+)/.exec(error.message)?.[1];
      return failure('CRM_VALUE_TOO_LONG', `${fields}: value too long for Salesforce${max === undefined ? '' : ` (max length=${max})`} (STRING_TOO_LONG)`, false);
    }
    case 'INVALID_EMAIL_ADDRESS':
      return failure('CRM_TYPE_MISMATCH', `${fields}: Salesforce says the value is not a valid email address (INVALID_EMAIL_ADDRESS)`, false);
    case 'INVALID_TYPE_ON_FIELD_IN_RECORD':
    case 'JSON_PARSER_ERROR':
    case 'NUMBER_OUTSIDE_VALID_RANGE':
    case 'INVALID_TYPE_FOR_OPERATION':
      return failure('CRM_TYPE_MISMATCH', `${fields}: the value does not fit the Salesforce field type (${error.code})`, false);
    case 'REQUIRED_FIELD_MISSING':
      return failure('CRM_REQUIRED_MISSING', `Salesforce REQUIRED_FIELD_MISSING: ${error.message}`, false);
    case 'INVALID_FIELD_FOR_INSERT_UPDATE':
      return failure('CRM_FIELD_READ_ONLY', `${fields}: not writable by the integration user (not createable/updateable, or hidden by field-level security) (INVALID_FIELD_FOR_INSERT_UPDATE)`, false);
    case 'INVALID_FIELD':
      return failure('CRM_FIELD_UNKNOWN', `Salesforce INVALID_FIELD: ${error.message}`, false);
    case 'UNABLE_TO_LOCK_ROW':
      return failure('CRM_RECORD_LOCKED', `Salesforce UNABLE_TO_LOCK_ROW: ${error.message}`, true);
    case 'DUPLICATE_EXTERNAL_ID':
      return /more than one record/i.test(error.message)
        ? failure('CRM_MULTIPLE_MATCHES', `Salesforce DUPLICATE_EXTERNAL_ID: ${error.message}`, false)
        : failure('CRM_REJECTED', `${fields}: the same external id appears twice in one request (DUPLICATE_EXTERNAL_ID)`, false);
    case 'DUPLICATE_VALUE':
      // An upsert matches on its external id, so a clash on that very field means another request
      // created the record between this upsert's lookup and its insert (decision 0032): a retry updates it.
      if (isOwnKeyClash(error, context)) {
        return failure('CRM_CREATE_RACE', `Salesforce DUPLICATE_VALUE on ${context.externalIdField ?? 'the external id'}: another request created this record at the same moment; retrying updates it`, true);
      }
      return failure('CRM_REJECTED', `Salesforce ${error.code}: ${error.message}`, false);
    case 'DUPLICATES_DETECTED':
      return failure('CRM_REJECTED', `Salesforce ${error.code}: ${error.message}`, false);
    case 'ALL_OR_NONE_OPERATION_ROLLED_BACK':
      return failure('CRM_UNAVAILABLE', 'Salesforce rolled this record back because another record of the request failed', true);
    case 'INVALID_SESSION_ID':
      return failure('CRM_AUTH', 'Salesforce INVALID_SESSION_ID even with a fresh token', false);
    case 'INSUFFICIENT_ACCESS':
    case 'INSUFFICIENT_ACCESS_OR_READONLY':
    case 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY':
    case 'API_DISABLED_FOR_ORG':
    case 'API_CURRENTLY_DISABLED':
      return failure('CRM_PERMISSION_DENIED', `Salesforce ${error.code}: ${error.message}`, false);
    case 'REQUEST_LIMIT_EXCEEDED':
      return /TotalRequests/i.test(error.message)
        ? failure('CRM_DAILY_LIMIT', "Salesforce REQUEST_LIMIT_EXCEEDED (TotalRequests): the org's rolling 24-hour API allocation is used up; pausing the destination", true, {
            retryAfterMs: context.dailyLimitPauseMs,
            pauseDestinationMs: context.dailyLimitPauseMs,
          })
        : failure('CRM_RATE_LIMITED', `Salesforce REQUEST_LIMIT_EXCEEDED: ${error.message || 'concurrent request limit'}`, true, { retryAfterMs: context.concurrentLimitRetryMs });
    case 'SERVER_UNAVAILABLE':
    case 'UNKNOWN_EXCEPTION':
      return failure('CRM_UNAVAILABLE', `Salesforce ${error.code}: ${error.message.slice(0, 200)}`, true);
    default:
      return failure('CRM_REJECTED', `Salesforce ${error.code}: ${error.message.slice(0, 300)}`, false);
  }
}

/** Whether a DUPLICATE_VALUE names the External ID field the write upserts by ("duplicate value found: <field> duplicates value on record with id: …"). */
function isOwnKeyClash(error: SalesforceError, context: MappingContext): boolean {
  const key = context.externalIdField?.toLowerCase();
  if (key === undefined) return false;
  const named = /duplicate value found: (\S+) duplicates value/i.exec(error.message)?.[1];
  return named?.toLowerCase() === key || error.fields.some((field) => field.toLowerCase() === key);
}

function htmlTitle(text: string): string | undefined {
  return /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
}

/**
 * Our failure for a call that did not answer 2xx: transport problems, auth,
 * limits, 300 Multiple Choices, and error arrays — or a 5xx whose body is an
 * HTML page rather than JSON.
 */
export function callFailure(call: SalesforceCall, context: MappingContext & { notFound?: ErrorCode }): CrmRecordFailure {
  switch (call.kind) {
    case 'timeout':
      return failure('CRM_UNAVAILABLE', `Salesforce did not answer within ${call.timeoutMs} ms`, true);
    case 'network':
      return failure('CRM_UNAVAILABLE', `Salesforce connection failed (${call.message})`, true);
    case 'auth':
      return call.error.transient ? failure('CRM_UNAVAILABLE', call.error.message, true) : failure('CRM_AUTH', call.error.message, false);
    case 'response':
      break;
  }
  const { status, json, text, headers } = call;
  const errors = parseErrors(json);
  const first = errors[0];
  if (status === 300) {
    const ids = Array.isArray(json) ? json.map((url) => String(url).split('/').pop() ?? '').filter((id) => id !== '') : [];
    return failure('CRM_MULTIPLE_MATCHES', `Salesforce 300 Multiple Choices: the external id matches ${ids.length} records${ids.length > 0 ? ` (${ids.join(', ')})` : ''}`, false);
  }
  if (status >= 200 && status < 300) {
    // A success status with a body the adapter cannot read (a proxy's page, a truncated answer): the write may have landed; upserts are idempotent, so retry.
    return failure('CRM_UNAVAILABLE', `Salesforce answered ${status} with an unexpected body: ${text.replace(/\s+/g, ' ').trim().slice(0, 120) || 'empty'}`, true);
  }
  if (status === 401) return failure('CRM_AUTH', `Salesforce 401 ${first?.code ?? ''} after a token refresh; check the connected app and its user`.replace('  ', ' '), false);
  if (status === 429) {
    const after = retryAfterMs(headers);
    return failure('CRM_RATE_LIMITED', 'Salesforce (or a proxy in front of it) answered 429 Too Many Requests', true, after === undefined ? {} : { retryAfterMs: after });
  }
  if (status === 403 && first?.code === 'REQUEST_LIMIT_EXCEEDED') {
    const mapped = recordErrorFailure(first, context);
    const after = retryAfterMs(headers);
    return after === undefined || mapped.code === 'CRM_DAILY_LIMIT' ? mapped : { ...mapped, retryAfterMs: after };
  }
  if (status === 403) return failure('CRM_PERMISSION_DENIED', `Salesforce 403 ${first === undefined ? '' : `${first.code}: ${first.message}`}`.trim(), false);
  if (status === 404 && (first === undefined || first.code === 'NOT_FOUND')) {
    return failure(context.notFound ?? 'CRM_REJECTED', `Salesforce 404: ${first?.message || 'The requested resource does not exist'}`, false);
  }
  if (status >= 500) {
    const said = first !== undefined ? `${first.code}: ${first.message.slice(0, 200)}` : (htmlTitle(text) ?? text.replace(/\s+/g, ' ').trim().slice(0, 120)) || 'empty body';
    return failure('CRM_UNAVAILABLE', `Salesforce ${status} (${said})`, true);
  }
  if (first !== undefined) return recordErrorFailure(first, context);
  return failure('CRM_REJECTED', `Salesforce ${status} with a body that is not an error list: ${text.replace(/\s+/g, ' ').trim().slice(0, 120)}`, false);
}
