import type { FastifyReply } from 'fastify';
import type { SalesforceEmulatorBulk } from './salesforce-emulator-bulk.js';
import type { ResolvedObject } from './salesforce-emulator-schema.js';
import type { SalesforceEmulatorStore } from './salesforce-emulator-store.js';

/** What the route modules share with the server. */
export interface EmulatorContext {
  readonly store: SalesforceEmulatorStore;
  readonly bulk: SalesforceEmulatorBulk;
  /** sObjects by lower-cased name: sObject names in URLs are case-insensitive. */
  readonly objects: ReadonlyMap<string, ResolvedObject>;
  /** The emulator's base URL, known once it listens. */
  baseUrl(): string;
}

/** One entry of Salesforce's top-level error array. */
export interface SfApiError {
  readonly message: string;
  readonly errorCode: string;
  readonly fields?: readonly string[];
}

export function sendErrors(reply: FastifyReply, status: number, errors: readonly SfApiError[]): FastifyReply {
  return reply.code(status).type('application/json;charset=UTF-8').send(errors);
}

export const NOT_FOUND: SfApiError = { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' };

/** `v60.0` → `60.0`, or undefined when the path segment is not an API version. */
export function apiVersionOf(segment: string): string | undefined {
  return /^v(\d{2})\.0$/.exec(segment) === null ? undefined : segment.slice(1);
}
