import { API_ROLES } from '../core/auth/api-roles.js';
import { ERROR_CODES } from '../core/errors/error-codes.js';
import { LANES } from '../ports/job-queue.js';
import { authErrorResponses, errorBodySchema, unauthorizedBodySchema } from './operator-route-schemas.js';

// JSON Schemas of the session, stats, config and token routes the dashboard
// uses (docs/http-api.md, docs/dashboard.md). Closed request objects, so a
// misspelt parameter is refused rather than ignored.

const text = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
// Every route here but login and logout is behind token auth.
const errors = { 400: errorBodySchema, ...authErrorResponses } as const;

function closedObject<P extends Record<string, object>>(properties: P, required: readonly (keyof P & string)[] = []): object {
  return { type: 'object', required, additionalProperties: false, propertyNames: { enum: Object.keys(properties) }, properties };
}

const session = {
  type: 'object',
  required: ['name', 'role', 'readOnly'],
  properties: { name: text, role: { type: 'string', enum: API_ROLES }, readOnly: { type: 'boolean', description: 'service.readOnly: changes are refused' } },
} as const;

const token = {
  type: 'object',
  required: ['id', 'name', 'role', 'createdAt', 'lastUsedAt', 'revokedAt'],
  properties: { id: text, name: text, role: { type: 'string', enum: API_ROLES }, createdAt: dateTime, lastUsedAt: nullableDateTime, revokedAt: nullableDateTime },
} as const;

const counts = { type: 'array', items: { type: 'integer' } } as const;
const total = {
  type: 'object',
  required: ['source', 'lane', 'metric', 'n'],
  properties: { source: text, lane: text, metric: { type: 'string', description: '`received`, or an audit outcome' }, n: { type: 'integer' } },
} as const;

const finding = {
  type: 'object',
  required: ['code', 'where', 'message'],
  properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, where: text, message: text, suggestions: { type: 'array', items: text } },
} as const;

const checkResult = {
  type: 'object',
  required: ['ok', 'checkedAt', 'schemaVersion', 'findings'],
  properties: { ok: { type: 'boolean' }, checkedAt: dateTime, schemaVersion: text, findings: { type: 'array', items: finding } },
} as const;

const configSource = {
  type: 'object',
  required: ['name', 'lane', 'mapping', 'mappingVersion', 'objects'],
  properties: {
    name: text,
    lane: { type: 'string', enum: LANES },
    mapping: text,
    mappingVersion: { type: 'integer' },
    objects: { type: 'array', items: { type: 'object', required: ['object', 'match', 'fields'], properties: { object: text, match: text, fields: { type: 'integer' } } } },
  },
} as const;

const configView = {
  type: 'object',
  required: ['file', 'loadedAt', 'readOnly', 'schemaVersion', 'sources', 'lastCheck'],
  properties: {
    file: text,
    loadedAt: dateTime,
    readOnly: { type: 'boolean' },
    schemaVersion: text,
    sources: { type: 'array', items: configSource },
    lastCheck: { anyOf: [checkResult, { type: 'null' }], description: 'The last `check` this process ran; null before the first.' },
  },
} as const;

export const dashboardSchemas = {
  login: {
    operationId: 'createSession',
    summary: 'Log in with an API token: sets the HttpOnly session cookie',
    security: [],
    tags: ['session'],
    body: closedObject({ token: { type: 'string', minLength: 1, maxLength: 200 } }, ['token']),
    // Open (no token needed to log in): a bad token is a 401, never a 403.
    response: { 200: session, 400: errorBodySchema, 401: unauthorizedBodySchema },
  },
  session: { operationId: 'getSession', summary: 'Who the request is authenticated as', tags: ['session'], response: { 200: session, ...errors } },
  logout: {
    operationId: 'deleteSession',
    summary: 'Clear the session cookie',
    security: [],
    tags: ['session'],
    response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['logged_out'] } } } },
  },
  overview: {
    operationId: 'getStatsOverview',
    summary: 'Counts since a time, queue depth and lag, DLQ size, pending approvals, CRM rate-limit budget',
    tags: ['stats'],
    querystring: closedObject({ hours: { type: 'integer', minimum: 1, maximum: 720, description: 'Count the last N hours. (Default: 24)' } }),
    response: {
      200: {
        type: 'object',
        required: ['generatedAt', 'since', 'totals', 'queue', 'deadLettersOpen', 'approvalsPending', 'crmRateLimit'],
        properties: {
          generatedAt: dateTime,
          since: dateTime,
          totals: { type: 'array', items: total },
          queue: {
            type: 'array',
            items: { type: 'object', required: ['lane', 'depth', 'oldestEnqueuedAt'], properties: { lane: { type: 'string', enum: LANES }, depth: { type: 'integer' }, oldestEnqueuedAt: nullableDateTime } },
          },
          deadLettersOpen: { type: 'integer' },
          approvalsPending: { type: 'integer' },
          crmRateLimit: {
            description: "The destination's own account of its rate limit from its last response; null when it reports none.",
            anyOf: [
              {
                type: 'object',
                required: ['destination', 'remaining', 'max', 'intervalMs'],
                properties: { destination: text, remaining: { type: 'integer' }, max: { type: 'integer' }, intervalMs: { type: 'integer' }, dailyRemaining: { type: 'integer' } },
              },
              { type: 'object', required: ['destination', 'reported'], properties: { destination: text, reported: { type: 'boolean', enum: [false] } } },
            ],
          },
        },
      },
      ...errors,
    },
  },
  timeseries: {
    operationId: 'getStatsTimeseries',
    summary: 'Counts per time bucket, source, lane and metric',
    tags: ['stats'],
    querystring: closedObject({
      from: { ...dateTime, description: 'Inclusive. (Default: 24 hours before `to`)' },
      to: { ...dateTime, description: 'Exclusive. (Default: now)' },
      bucketMinutes: { type: 'integer', minimum: 1, maximum: 1440, description: 'Bucket width. (Default: 60)' },
      source: text,
    }),
    response: {
      200: {
        type: 'object',
        required: ['bucketMinutes', 'buckets', 'series'],
        properties: {
          bucketMinutes: { type: 'integer' },
          buckets: { type: 'array', items: dateTime },
          series: { type: 'array', items: { type: 'object', required: ['source', 'lane', 'metric', 'counts'], properties: { source: text, lane: text, metric: text, counts } } },
        },
      },
      ...errors,
    },
  },
  config: { operationId: 'getConfig', summary: 'Sources, mapping versions and the last check result', tags: ['config'], response: { 200: configView, ...errors } },
  check: { operationId: 'checkConfig', summary: 'Run `leadsync check` in the service, on the loaded config', tags: ['config'], response: { 200: checkResult, ...errors } },
  reload: {
    operationId: 'reloadConfig',
    summary: 'Re-read the config file and apply its sources, mappings, policies and normalizers (as SIGHUP does)',
    tags: ['config'],
    response: { 200: configView, 422: { ...errorBodySchema, properties: { ...errorBodySchema.properties, issues: { type: 'array', items: text } } }, ...errors },
  },
  listTokens: { operationId: 'listTokens', summary: 'Every API token (never the secret)', tags: ['tokens'], response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: token } } }, ...errors } },
  createToken: {
    operationId: 'createToken',
    summary: 'Create an API token; the secret is in this answer only',
    tags: ['tokens'],
    body: closedObject({ name: { type: 'string', minLength: 1, maxLength: 80 }, role: { type: 'string', enum: API_ROLES } }, ['name', 'role']),
    response: { 201: { type: 'object', required: ['token', 'secret'], properties: { token, secret: text } }, 409: errorBodySchema, ...errors },
  },
  revokeToken: {
    operationId: 'revokeToken',
    summary: 'Revoke an API token by id or name',
    tags: ['tokens'],
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 80 } } },
    response: { 200: { type: 'object', required: ['status', 'token'], properties: { status: { type: 'string', enum: ['revoked', 'already_revoked'] }, token } }, 404: errorBodySchema, ...errors },
  },
} as const;
