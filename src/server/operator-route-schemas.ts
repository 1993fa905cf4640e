import { APPROVAL_STALE_REASONS } from '../app/approval-actions.js';
import { DEAD_LETTER_LIST_STATUSES } from '../app/dead-letter-actions.js';
import { ACTOR_KINDS, AUDIT_OUTCOMES, CHAIN_BREAKS } from '../core/audit/audit-record-types.js';
import { ERROR_CODES } from '../core/errors/error-codes.js';
import { EVENT_OUTCOMES } from '../core/plan/event-plan-types.js';
import { APPROVAL_STATUSES } from '../ports/approval-store.js';
import { DEAD_LETTER_STATUSES } from '../ports/dead-letter-store.js';
import { LANES } from '../ports/job-queue.js';
import { MAX_PAGE_LIMIT } from '../ports/page-types.js';

// JSON Schemas of the operator routes (docs/http-api.md). Fastify validates
// requests and serializes responses with them, and the OpenAPI document is
// generated from them, so they describe every field a response carries.
// Response schemas mark as required only what every variant of a union has:
// the serializer refuses a response missing a required property.

const errorCodes = Object.keys(ERROR_CODES);
const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const fieldValue = {
  description: 'A CRM field value: text, number, boolean, list of options, or null (empty).',
  anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }],
} as const;
const actor = { type: 'object', required: ['kind', 'name'], properties: { kind: { type: 'string', enum: ACTOR_KINDS }, name: text } } as const;

/** `{code, message, fix}`: every error answer. */
export const errorBodySchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: text, message: text, fix: text },
} as const;

/** 401 from token auth (access-control.ts): no token, or an unknown or revoked one. */
export const unauthorizedBodySchema = {
  ...errorBodySchema,
  description: 'No API token (AUTH_TOKEN_MISSING), or an unknown or revoked one (AUTH_TOKEN_INVALID)',
  properties: { ...errorBodySchema.properties, code: { type: 'string', enum: ['AUTH_TOKEN_MISSING', 'AUTH_TOKEN_INVALID'] } },
} as const;

/** 403 from token auth (access-control.ts): the role is too weak, a cookie change lacks the dashboard header, or the service is read-only. */
export const forbiddenBodySchema = {
  ...errorBodySchema,
  description: 'The token\'s role may not do this (AUTH_ROLE_INSUFFICIENT), a change sent with the dashboard cookie lacks its header (AUTH_ORIGIN_REFUSED), or the service is read-only (SERVICE_READ_ONLY, changes only)',
  properties: { ...errorBodySchema.properties, code: { type: 'string', enum: ['AUTH_ROLE_INSUFFICIENT', 'AUTH_ORIGIN_REFUSED', 'SERVICE_READ_ONLY'] } },
} as const;

/** The answers token auth can give instead of the route's own: part of every route that needs a token. */
export const authErrorResponses = { 401: unauthorizedBodySchema, 403: forbiddenBodySchema } as const;

/**
 * An object schema that refuses unknown keys. `propertyNames` does the
 * refusing: Fastify's Ajv removes keys `additionalProperties: false` forbids
 * instead of failing, and a silently dropped `dry_run=true` would turn a
 * dry run into a real replay.
 */
function closedObject<P extends Record<string, object>>(properties: P, required: readonly (keyof P & string)[] = []): object {
  return { type: 'object', required, additionalProperties: false, propertyNames: { enum: Object.keys(properties) }, properties };
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 40 } } } as const;
const dryRunQuery = closedObject({ dryRun: { type: 'boolean', default: false, description: 'Report what would happen; change nothing. (Default: false)' } });
const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, description: 'Items per page. (Default: 50)' },
  cursor: { type: 'string', description: '`nextCursor` of the previous page.' },
} as const;


/** A DLQ item; resolution fields only on resolved items. */
export const deadLetterItemSchema = {
  type: 'object',
  required: ['id', 'eventId', 'jobId', 'source', 'leadKey', 'errorCode', 'message', 'trace', 'attempts', 'createdAt', 'status'],
  properties: {
    id: text,
    eventId: text,
    jobId: text,
    source: text,
    leadKey: text,
    errorCode: text,
    message: text,
    trace: text,
    attempts: { type: 'integer' },
    createdAt: dateTime,
    status: { type: 'string', enum: DEAD_LETTER_STATUSES },
    resolvedBy: { type: 'string', description: 'replayed, discarded' },
    resolvedAt: { ...dateTime, description: 'replayed, discarded' },
    replayJobId: { type: 'string', description: 'replayed: the job the replay enqueued' },
  },
} as const;

const deadLetterGroup = {
  type: 'object',
  required: ['errorCode', 'count', 'oldestAt', 'newestAt'],
  properties: { errorCode: text, count: { type: 'integer' }, oldestAt: dateTime, newestAt: dateTime },
} as const;

const planSchema = {
  type: 'object',
  description: 'The event plan, as `leadsync dry-run --json` prints it (objects, per-field actions, values).',
  required: ['outcome', 'source', 'mapping', 'schemaVersion', 'objects'],
  properties: {
    outcome: { type: 'string', enum: EVENT_OUTCOMES },
    source: text,
    mapping: { type: 'object', properties: { name: text, version: { type: 'integer' } } },
    schemaVersion: text,
  },
  additionalProperties: true,
} as const;

const replayPreview = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['planned', 'cannot_plan'] },
    resolves: { type: 'boolean', description: 'planned: false when the worker would dead-letter the event again' },
    plan: planSchema,
    code: { type: 'string', description: 'cannot_plan' },
    message: { type: 'string', description: 'cannot_plan' },
  },
} as const;

const replayOutcome = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['replayed', 'dry_run', 'not_found', 'not_open'] },
    id: { type: 'string', description: 'not_found' },
    item: deadLetterItemSchema,
    jobId: { type: 'string', description: 'replayed' },
    auditIds: { type: 'array', items: text },
    preview: replayPreview,
  },
} as const;

const withItem = (item: object): object => ({ ...errorBodySchema, properties: { ...errorBodySchema.properties, item } });

/** An approval item; decision fields only on decided or expired items. */
export const approvalItemSchema = {
  type: 'object',
  required: ['id', 'leadKey', 'object', 'field', 'before', 'proposed', 'confidence', 'reason', 'source', 'sourceUpdatedAt', 'eventId', 'createdAt', 'status'],
  properties: {
    id: text,
    leadKey: text,
    object: text,
    field: text,
    before: fieldValue,
    proposed: fieldValue,
    confidence: { type: 'number' },
    reason: text,
    source: text,
    sourceUpdatedAt: text,
    eventId: text,
    createdAt: dateTime,
    status: { type: 'string', enum: APPROVAL_STATUSES },
    decidedBy: { type: 'string', description: 'approved, rejected' },
    decidedAt: { ...dateTime, description: 'approved, rejected, expired' },
  },
} as const;

const approvalWrite = {
  type: 'object',
  required: ['object', 'idField', 'id', 'field', 'before', 'after'],
  properties: { object: text, idField: text, id: text, field: text, before: fieldValue, after: fieldValue },
} as const;

const approvalError = {
  ...errorBodySchema,
  properties: {
    ...errorBodySchema.properties,
    item: approvalItemSchema,
    reason: { type: 'string', enum: APPROVAL_STALE_REASONS, description: 'APPROVAL_STALE' },
    retryable: { type: 'boolean', description: 'CRM failures' },
  },
} as const;

/** A sealed audit row, hashes included. */
export const auditRecordSchema = {
  type: 'object',
  required: ['id', 'time', 'leadKey', 'changes', 'actor', 'outcome', 'attempt', 'prevHash', 'rowHash'],
  properties: {
    id: text,
    time: text,
    leadKey: text,
    source: nullableText,
    eventId: nullableText,
    idempotencyKey: nullableText,
    payloadHash: nullableText,
    mappingVersion: nullableText,
    schemaVersion: nullableText,
    object: nullableText,
    changes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'before', 'after', 'confidence', 'reason'],
        properties: {
          field: text,
          before: fieldValue,
          after: fieldValue,
          confidence: { type: ['number', 'null'] },
          reason: text,
          beforeRead: { type: 'boolean', enum: [false], description: 'Present (false) when the CRM record was not read before the write (destination.readBeforeWrite: when_needed): before is the value leadsync last wrote, null when it never wrote the field.' },
        },
      },
    },
    actor,
    outcome: { type: 'string', enum: AUDIT_OUTCOMES },
    attempt: { type: 'integer' },
    errorCode: nullableText,
    errorTrace: nullableText,
    crmRecordId: nullableText,
    prevHash: text,
    rowHash: text,
  },
} as const;

const pageOf = (item: object): object => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: item }, nextCursor: nullableText },
});

/** Each route's key becomes its OpenAPI `operationId` (listDeadLetters, approve, …). */
function withOperationIds<T extends Record<string, object>>(schemas: T): { readonly [K in keyof T]: T[K] & { readonly operationId: K } } {
  return Object.fromEntries(Object.entries(schemas).map(([key, schema]) => [key, { ...schema, operationId: key }])) as { readonly [K in keyof T]: T[K] & { readonly operationId: K } };
}

/** Route schemas, by route. */
export const operatorSchemas = withOperationIds({
  listDeadLetters: {
    summary: 'DLQ items grouped by error code, then the items (newest first)',
    tags: ['dlq'],
    querystring: closedObject({
      status: { type: 'string', enum: DEAD_LETTER_LIST_STATUSES, default: 'open' },
      code: { type: 'string', enum: errorCodes },
      source: text,
      ...pageQuery,
    }),
    response: {
      200: {
        type: 'object',
        required: ['groups', 'items', 'nextCursor'],
        properties: { groups: { type: 'array', items: deadLetterGroup }, items: { type: 'array', items: deadLetterItemSchema }, nextCursor: nullableText },
      },
      400: errorBodySchema,
      ...authErrorResponses,
    },
  },
  showDeadLetter: {
    summary: 'One DLQ item, its event (identity, hashes, top-level payload keys; no raw payload) and the audit entries of that event',
    tags: ['dlq'],
    params: idParams,
    response: {
      200: {
        type: 'object',
        required: ['item', 'event', 'history'],
        properties: {
          item: deadLetterItemSchema,
          event: {
            type: ['object', 'null'],
            properties: {
              eventId: text,
              source: text,
              leadId: text,
              leadKey: text,
              lane: { type: 'string', enum: LANES },
              receivedAt: dateTime,
              idempotencyKey: text,
              payloadHash: text,
              payload: {
                type: 'object',
                required: ['state'],
                properties: {
                  state: { type: 'string', enum: ['kept', 'purged'] },
                  type: { type: 'string', enum: ['object', 'array', 'scalar'] },
                  topLevelKeys: { type: 'array', items: text },
                  purgedAt: dateTime,
                },
              },
            },
          },
          history: {
            type: 'array',
            items: {
              type: 'object',
              properties: { auditId: text, time: text, outcome: { type: 'string', enum: AUDIT_OUTCOMES }, actor, errorCode: nullableText, attempt: { type: 'integer' } },
            },
          },
        },
      },
      404: errorBodySchema,
      ...authErrorResponses,
    },
  },
  replayDeadLetter: {
    summary: 'Re-enqueue the item\'s event (it runs with the current mapping); with dryRun, plan it and change nothing',
    tags: ['dlq'],
    params: idParams,
    querystring: dryRunQuery,
    response: { 200: replayOutcome, 400: errorBodySchema, 404: errorBodySchema, 409: withItem(deadLetterItemSchema), ...authErrorResponses },
  },
  discardDeadLetter: {
    summary: 'Close the item without replaying it; with dryRun, change nothing',
    tags: ['dlq'],
    params: idParams,
    querystring: dryRunQuery,
    response: {
      200: {
        type: 'object',
        required: ['status', 'item'],
        properties: { status: { type: 'string', enum: ['discarded', 'dry_run'] }, item: deadLetterItemSchema, auditIds: { type: 'array', items: text } },
      },
      400: errorBodySchema,
      404: errorBodySchema,
      409: withItem(deadLetterItemSchema),
      ...authErrorResponses,
    },
  },
  replayAllDeadLetters: {
    summary: 'Replay every open item with one error code (optionally of one source), oldest first',
    tags: ['dlq'],
    body: closedObject(
      {
        code: { type: 'string', enum: errorCodes },
        source: { type: 'string', minLength: 1 },
        dryRun: { type: 'boolean', default: false, description: 'Report what would happen; change nothing. (Default: false)' },
      },
      ['code'],
    ),
    response: {
      200: {
        type: 'object',
        required: ['code', 'source', 'dryRun', 'results'],
        properties: { code: text, source: nullableText, dryRun: { type: 'boolean' }, results: { type: 'array', items: replayOutcome } },
      },
      400: errorBodySchema,
      ...authErrorResponses,
    },
  },
  listApprovals: {
    summary: 'Approval items (pending unless asked otherwise), newest first; overdue items are expired first',
    tags: ['approvals'],
    querystring: closedObject({ status: { type: 'string', enum: APPROVAL_STATUSES, default: 'pending' }, leadKey: text, ...pageQuery }),
    response: {
      200: {
        type: 'object',
        required: ['items', 'nextCursor', 'expired'],
        properties: { items: { type: 'array', items: approvalItemSchema }, nextCursor: nullableText, expired: { type: 'integer' } },
      },
      400: errorBodySchema,
      ...authErrorResponses,
    },
  },
  approve: {
    summary: 'Re-check staleness, write the field to the CRM, record the decision (audited with the person as actor)',
    tags: ['approvals'],
    params: idParams,
    querystring: dryRunQuery,
    response: {
      200: {
        type: 'object',
        required: ['status', 'item', 'write'],
        properties: {
          status: { type: 'string', enum: ['approved', 'dry_run'] },
          item: approvalItemSchema,
          write: approvalWrite,
          recordId: { type: 'string', description: 'approved' },
          auditIds: { type: 'array', items: text },
        },
      },
      400: errorBodySchema,
      404: errorBodySchema,
      409: approvalError,
      '5xx': approvalError,
      429: approvalError,
      ...authErrorResponses,
    },
  },
  reject: {
    summary: 'Record that the change must not be made; the CRM is not touched',
    tags: ['approvals'],
    params: idParams,
    querystring: dryRunQuery,
    response: {
      200: {
        type: 'object',
        required: ['status', 'item'],
        properties: { status: { type: 'string', enum: ['rejected', 'dry_run'] }, item: approvalItemSchema, auditIds: { type: 'array', items: text } },
      },
      400: errorBodySchema,
      404: errorBodySchema,
      409: approvalError,
      ...authErrorResponses,
    },
  },
  searchAudit: {
    summary: 'Audit entries matching every filter, newest first, paginated',
    tags: ['audit'],
    querystring: closedObject({
      leadKey: text,
      source: text,
      outcome: { type: 'string', enum: AUDIT_OUTCOMES },
      from: { ...dateTime, description: 'Inclusive lower bound on time.' },
      to: { ...dateTime, description: 'Exclusive upper bound on time.' },
      ...pageQuery,
    }),
    response: { 200: pageOf(auditRecordSchema), 400: errorBodySchema, ...authErrorResponses },
  },
  verifyAudit: {
    summary: 'Recompute the audit hash chain; names the first broken row (200 either way: read `ok`)',
    tags: ['audit'],
    response: {
      200: {
        type: 'object',
        required: ['ok', 'rows'],
        properties: {
          ok: { type: 'boolean' },
          rows: { type: 'integer', description: 'Rows verified (before the broken one, when broken).' },
          headHash: { type: 'string', description: 'ok: rowHash of the last row' },
          firstBrokenId: { type: 'string', description: 'broken' },
          reason: { type: 'string', enum: CHAIN_BREAKS, description: 'broken' },
          detail: { type: 'string', description: 'broken' },
          code: { type: 'string', description: 'broken: AUDIT_CHAIN_BROKEN' },
          fix: { type: 'string', description: 'broken' },
        },
      },
      ...authErrorResponses,
    },
  },
} as const);
