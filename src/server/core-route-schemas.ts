import { LANES } from '../ports/job-queue.js';
import { auditRecordSchema, authErrorResponses, errorBodySchema } from './operator-route-schemas.js';

// JSON Schemas of the ingest, lead and health routes (http-app.ts); the
// operator routes have theirs in operator-route-schemas.ts. The OpenAPI
// document is generated from both.

const text = { type: 'string' } as const;
const fieldValue = {
  anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }],
} as const;

/** An error answer that may also say what happened to the delivery. */
const ingestError = {
  ...errorBodySchema,
  properties: { ...errorBodySchema.properties, status: { type: 'string', enum: ['rejected'] } },
} as const;

export const coreSchemas = {
  ingestEvent: {
    summary: 'Accept one signed delivery from a source; 202 only after a durable commit',
    description:
      'The body is the source\'s payload, byte for byte: the signature (Standard Webhooks, HubSpot v3 or HMAC-SHA256 headers, per the source\'s `signature.scheme`) ' +
      'is verified over the raw bytes before the JSON is parsed, so the body is not validated against a schema here. ' +
      'Same idempotency key and payload again: 200 duplicate. Same key, other payload: 409 conflict (recorded).',
    operationId: 'ingestEvent',
    security: [],
    tags: ['events'],
    params: { type: 'object', required: ['source'], properties: { source: { type: 'string', description: 'A source name from the config.' } } },
    body: { type: 'object', description: 'The source\'s payload (JSON object), signed by the provider.', additionalProperties: true },
    response: {
      202: {
        description: 'Queued: durably committed with its job',
        type: 'object',
        required: ['eventId', 'idempotencyKey', 'status', 'lane'],
        properties: { eventId: text, idempotencyKey: text, status: { type: 'string', enum: ['queued'] }, lane: { type: 'string', enum: LANES } },
      },
      200: {
        description: 'Duplicate: the same event was accepted before; nothing new is done',
        type: 'object',
        required: ['eventId', 'status'],
        properties: { eventId: text, idempotencyKey: { type: ['string', 'null'] }, status: { type: 'string', enum: ['duplicate'] } },
      },
      409: {
        description: 'Idempotency conflict: same key as an earlier event, different payload; recorded, not processed',
        type: 'object',
        required: ['code', 'message', 'status'],
        properties: { eventId: text, conflictId: text, idempotencyKey: text, status: { type: 'string', enum: ['conflict'] }, code: text, message: text, fix: text },
      },
      '4xx': { description: 'Rejected: bad signature (401), unknown source (404), body too large (413), not JSON (400), no lead identity (422)', ...ingestError },
      '5xx': { description: 'Not committed; the sender should retry. 503 STORAGE_UNREACHABLE (with Retry-After) while the database cannot be reached', ...errorBodySchema },
    },
  },
  healthz: {
    summary: 'Liveness: the process answers',
    operationId: 'getHealth',
    security: [],
    tags: ['health'],
    response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } },
  },
  readyz: {
    summary: 'Readiness: storage open and the service started; queue depth per lane',
    operationId: 'getReadiness',
    security: [],
    tags: ['health'],
    response: {
      200: {
        type: 'object',
        required: ['status', 'queueDepth'],
        properties: {
          status: { type: 'string', enum: ['ready'] },
          queueDepth: { type: 'object', properties: Object.fromEntries(LANES.map((lane) => [lane, { type: 'integer' }])) },
          crm: {
            type: 'object',
            description: 'The CRM destination\'s rate-limit governor; absent for an ungoverned destination (sandbox without rateLimit). Still ready while paused: events are accepted and wait.',
            required: ['destination', 'tokens', 'blockedUntil', 'paused'],
            properties: {
              destination: { type: 'string' },
              tokens: { type: 'number', description: 'Tokens in the shared bucket now.' },
              blockedUntil: { type: ['string', 'null'], format: 'date-time', description: 'No CRM call before this time (429 Retry-After or pause).' },
              paused: {
                type: ['object', 'null'],
                description: 'Set while the destination is paused (daily API limit used up).',
                properties: { since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' }, reason: { type: 'string' } },
              },
              limit: { type: 'object', properties: { requests: { type: 'integer' }, intervalMs: { type: 'integer' } } },
              dailyRemaining: { type: ['integer', 'null'] },
            },
          },
        },
      },
      503: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['starting'] } } },
    },
  },
  getLead: {
    summary: 'A lead\'s CRM record (as the CRM holds it now) and its last five audit entries',
    operationId: 'getLead',
    tags: ['leads'],
    params: { type: 'object', required: ['leadKey'], properties: { leadKey: { type: 'string', description: 'object:matchValue, e.g. contacts:ada@example.com' } } },
    response: {
      200: {
        type: 'object',
        required: ['leadKey', 'record', 'latest'],
        properties: {
          leadKey: text,
          record: {
            type: ['object', 'null'],
            description: 'null when the CRM has no such record (the lead has history only)',
            properties: { id: text, updatedAt: text, properties: { type: 'object', additionalProperties: fieldValue } },
          },
          latest: { type: 'array', items: auditRecordSchema },
        },
      },
      404: errorBodySchema,
      ...authErrorResponses,
    },
  },
  getLeadAudit: {
    summary: 'Every audit entry of a lead, oldest first',
    operationId: 'getLeadAudit',
    tags: ['leads'],
    params: { type: 'object', required: ['leadKey'], properties: { leadKey: { type: 'string', description: 'object:matchValue, e.g. contacts:ada@example.com' } } },
    response: {
      200: { type: 'object', required: ['leadKey', 'entries'], properties: { leadKey: text, entries: { type: 'array', items: auditRecordSchema } } },
      ...authErrorResponses,
    },
  },
} as const;
