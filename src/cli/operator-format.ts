import { ERROR_CODES, type ErrorCode } from '../core/errors/error-codes.js';
import { UsageError } from './usage-error.js';

const MAX_CELL = 40;

/** A field value in one table cell: `–` for empty, strings as they are, the rest as JSON; cut to `max`. */
export function formatValue(value: unknown, max = MAX_CELL): string {
  if (value === null || value === undefined) return '–';
  return cut(typeof value === 'string' ? value : JSON.stringify(value), max);
}

/** Cuts text to `max` characters with an ellipsis. */
export function cut(text: string, max = MAX_CELL): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** `kind:name`, e.g. `person:maria` or `source:webform`. */
export function actorLabel(actor: { readonly kind: string; readonly name: string }): string {
  return `${actor.kind}:${actor.name}`;
}

/** A confidence as two decimals, or blank when the change carries none. */
export function formatConfidence(confidence: number | null): string {
  return confidence === null ? '' : confidence.toFixed(2);
}

/** Checks a `--code` value against the error registry. */
export function parseErrorCodeOption(value: string): ErrorCode {
  if (Object.hasOwn(ERROR_CODES, value)) return value as ErrorCode;
  throw new UsageError(`unknown error code "${value}"; the codes are listed in docs/errors.md, and \`leadsync dlq list\` shows the ones in the DLQ`);
}

/** Parses a positive integer option such as `--limit`. */
export function parsePositiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
  return parsed;
}

/** Parses a TCP port option such as `--port` (0 picks a free port). */
export function parsePortOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > 65535) throw new UsageError(`${name} must be a port number from 0 to 65535 (0 picks a free one), got "${value}"`);
  return parsed;
}
