import type { ErrorCode } from '../errors/error-codes.js';
import type { FieldValue } from './crm-schema-types.js';

/**
 * The result of validating one value against one CRM field: the value in the
 * CRM's canonical form, or a registered error code with a message. Messages
 * name the field and the rule, never the raw value (it may be PII); the value
 * travels next to the result where the caller needs it.
 */
export type FieldValidation =
  | {
      readonly ok: true;
      readonly value: FieldValue;
      /** Accepted, but worth recording: a value outside the options of an unrestricted picklist. */
      readonly warning?: string;
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      /** Up to 3 nearest active options, for `CRM_PICKLIST_MISMATCH` only. */
      readonly suggestions?: readonly string[];
    };

/** The failing half of {@link FieldValidation}. */
export type FieldValidationError = Extract<FieldValidation, { ok: false }>;

/** Options of {@link validateField} and {@link validateRecord}. */
export interface ValidateOptions {
  /**
   * Cut string and text values longer than the field's `maxLength` instead of
   * rejecting them. Never applies to emails, URLs, phones or picklists, whose
   * cut value would be wrong rather than short. (Default: false)
   */
  readonly truncate?: boolean;
}

/** A successful validation. */
export function validValue(value: FieldValue): FieldValidation {
  return { ok: true, value };
}

/** A `CRM_TYPE_MISMATCH` whose message says what the field expects. */
export function typeMismatch(expected: string, value: unknown): FieldValidationError {
  return { ok: false, code: 'CRM_TYPE_MISMATCH', message: `expects ${expected}; got ${describeKind(value)}` };
}

/** Names the kind of a value for messages without echoing the value itself. */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  switch (typeof value) {
    case 'string':
      return 'a string in another format';
    case 'number':
      return Number.isFinite(value) ? 'a number' : 'a non-finite number';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}
