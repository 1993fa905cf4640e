import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { isTransientPgError } from '../adapters/postgres/pg-database.js';
import { ingestEvent } from '../app/event-ingestion.js';
import { groupCommitIngest } from '../app/group-commit-ingest.js';
import { ERROR_CODES, type ErrorCode } from '../core/errors/error-codes.js';
import type { IngestStore } from '../ports/ingest-store.js';
import { noPipelineMetrics } from '../ports/pipeline-metrics.js';
import { registerApiDocs } from './api-docs.js';
import { coreSchemas } from './core-route-schemas.js';
import { registerMetricsRoute, type ServiceMetrics } from './metrics-route.js';
import { registerOperatorRoutes } from './operator-routes.js';
import { registerAccessControl } from './access-control.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import type { Runtime } from './runtime.js';

export interface HttpAppDeps {
  readonly runtime: Runtime;
  readonly bodyLimitBytes: number;
  readonly now: () => Date;
  readonly isReady: () => boolean;
  /** Counts deliveries and serves `GET /metrics` (docs/metrics.md). (Default: no metrics, no /metrics route) */
  readonly metrics?: ServiceMetrics;
  /**
   * Where ingest batches are committed: the service passes its ingest writer thread, so no commit runs on the HTTP
   * event loop (docs/decisions/0014-nonblocking-ingest-writes.md). (Default: the runtime's storage, on this thread)
   */
  readonly ingest?: Pick<IngestStore, 'acceptMany'>;
  /** Sees every route as it is registered (test/integration/openapi-coverage.test.ts checks each has a schema). (Default: none) */
  readonly onRoute?: (route: RouteOptions) => void;
}

/** Retry-After of a 503 while the database cannot be reached: about what a PostgreSQL restart takes. */
const STORAGE_RETRY_AFTER_SECONDS = 5;

/** `info.version` of the OpenAPI document. */
const API_VERSION = '0.1.0';

function errorBody(code: ErrorCode, message?: string): { code: ErrorCode; message: string; fix: string } {
  return { code, message: message ?? ERROR_CODES[code].message, fix: ERROR_CODES[code].fix };
}

/** The HTTP surface: ingest, lead lookup, audit, DLQ and approvals views, health. */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const { storage, crm, sources, matchFields } = deps.runtime;
  // One commit serves every delivery that arrived while the previous commit ran.
  const intake = groupCommitIngest(deps.ingest ?? storage.ingest);
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimitBytes });
  const onRoute = deps.onRoute;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route));

  // Signatures are computed over the exact bytes received, so JSON is parsed later, by us.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimitBytes }, (_request, body, done) => {
    done(null, body);
  });
  app.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(errorBody('INGEST_BODY_TOO_LARGE', `the body is larger than ${deps.bodyLimitBytes} bytes`));
    // PostgreSQL down or restarting, a pooler in front of it waiting to log in again, a lock or statement timeout,
    // a deadlock (isTransientPgError): not a bug, and a sender's retry goes through once it is back (docs/deploy.md, section 3).
    if (isTransientPgError(error)) {
      return reply.code(ERROR_CODES.STORAGE_UNREACHABLE.httpStatus ?? 503).header('retry-after', String(STORAGE_RETRY_AFTER_SECONDS)).send(errorBody('STORAGE_UNREACHABLE', `the database is unavailable for now (${error.message}); the request may not have been stored: send it again (a repeated delivery is answered as a duplicate)`));
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ code: status === 500 ? 'WORKER_UNEXPECTED' : 'USAGE_INVALID', message: error.message });
  });

  // Before any route, so it guards every one (tokens, roles, read-only mode, viewers' PII masking: access-control.ts).
  registerAccessControl(app, { tokens: storage.apiTokens, now: deps.now, readOnly: () => deps.runtime.config.document.service.readOnly });

  const metrics = deps.metrics ?? noPipelineMetrics;
  // Before any route: @fastify/swagger collects the routes registered after it (every route below is in a plugin).
  registerApiDocs(app, { version: API_VERSION });
  if (deps.metrics) registerMetricsRoute(app, deps.metrics);

  void app.register((scope, _options, done) => {
  // The body is the raw bytes (parsed after the signature check), so the body schema documents, it does not validate.
  scope.post<{ Params: { source: string } }>('/v1/events/:source', { schema: coreSchemas.ingestEvent, validatorCompiler: () => () => true }, async (request, reply) => {
    const source = sources.get(request.params.source);
    if (!source) {
      // Not labelled with the path: a scan of made-up source names must not create a time series each.
      metrics.eventIngested('(unknown)', 'rejected', 'MAPPING_SOURCE_UNKNOWN');
      return reply.code(404).send(errorBody('MAPPING_SOURCE_UNKNOWN', `no source "${request.params.source}"`));
    }
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(' ') : value;
    const url = `${request.protocol}://${request.host}${request.url}`;
    const result = await ingestEvent(source, { method: request.method, url, rawBody, headers }, intake, deps.now(), metrics);
    switch (result.status) {
      case 'queued':
        return reply.code(202).send({ eventId: result.eventId, idempotencyKey: result.idempotencyKey, status: 'queued', lane: result.lane });
      case 'duplicate':
        return reply.code(200).send({ eventId: result.eventId, idempotencyKey: result.idempotencyKey, status: 'duplicate' });
      case 'conflict':
        return reply.code(409).send({ eventId: result.eventId, conflictId: result.conflictId, idempotencyKey: result.idempotencyKey, status: 'conflict', ...errorBody(result.code) });
      case 'rejected':
        return reply.code(result.httpStatus).send({ status: 'rejected', ...errorBody(result.code, result.message) });
    }
  });

  scope.get('/healthz', { schema: coreSchemas.healthz }, () => ({ status: 'ok' }));
  scope.get('/readyz', { schema: coreSchemas.readyz }, async (_request, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: 'starting' });
    const depth = await storage.jobs.depth();
    const governor = deps.runtime.governor;
    if (governor === undefined) return { status: 'ready', queueDepth: depth };
    const crm = await governor.status();
    return {
      status: 'ready',
      queueDepth: depth,
      crm: {
        destination: crm.destination,
        tokens: crm.tokens,
        blockedUntil: crm.blockedUntil?.toISOString() ?? null,
        paused: crm.pause ? { since: crm.pause.since.toISOString(), until: crm.pause.until.toISOString(), reason: crm.pause.reason } : null,
        limit: { requests: crm.policy.requests, intervalMs: crm.policy.intervalMs },
        dailyRemaining: crm.dailyRemaining,
      },
    };
  });

  scope.get<{ Params: { leadKey: string } }>('/v1/leads/:leadKey', { schema: coreSchemas.getLead }, async (request, reply) => {
    const { leadKey } = request.params;
    const separator = leadKey.indexOf(':');
    const object = leadKey.slice(0, separator);
    const matchField = matchFields.get(object);
    if (separator < 1 || !matchField) return reply.code(404).send({ code: 'CRM_OBJECT_UNKNOWN', message: `lead keys look like contacts:ada@example.com; objects: ${[...matchFields.keys()].join(', ')}` });
    const [record] = await crm.read(object, [{ idField: matchField, id: leadKey.slice(separator + 1) }]);
    const history = await storage.audit.history(leadKey);
    if (!record || !record.ok || !record.found) {
      if (history.length === 0) return reply.code(404).send({ code: 'LEAD_NOT_FOUND', message: `no record and no history for ${leadKey}` });
      return { leadKey, record: null, latest: history.slice(-5) };
    }
    return { leadKey, record: { id: record.recordId, updatedAt: record.updatedAt, properties: record.properties }, latest: history.slice(-5) };
  });

  scope.get<{ Params: { leadKey: string } }>('/v1/leads/:leadKey/audit', { schema: coreSchemas.getLeadAudit }, async (request) => ({
    leadKey: request.params.leadKey,
    entries: await storage.audit.history(request.params.leadKey),
  }));
  done();
  });

  registerOperatorRoutes(app, deps.runtime, { now: deps.now });
  registerDashboardRoutes(app, deps.runtime, { now: deps.now });

  return app;
}
