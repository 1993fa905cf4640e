import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Where the OpenAPI document and its docs page are served. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/** Tags of the OpenAPI document, in the order the docs page lists them. */
export const API_TAGS = [
  { name: 'events', description: 'Ingest: signed deliveries from sources.' },
  { name: 'leads', description: 'A lead\'s CRM record and audit history.' },
  { name: 'dlq', description: 'Dead-letter queue: inspect, replay after a fix, discard.' },
  { name: 'approvals', description: 'Changes to approval-policy fields waiting for a person.' },
  { name: 'audit', description: 'Audit search and hash-chain verification.' },
  { name: 'health', description: 'Liveness and readiness probes.' },
  { name: 'metrics', description: 'Prometheus metrics (docs/metrics.md).' },
  { name: 'session', description: 'Dashboard login and logout: the HttpOnly session cookie (docs/dashboard.md).' },
  { name: 'stats', description: 'Counts over time, queue depth and lag, DLQ size: the dashboard overview.' },
  { name: 'config', description: 'Sources and mapping versions, the config check, reload (admin).' },
  { name: 'tokens', description: 'API tokens and their roles (admin).' },
] as const;

/** The bearer-token security scheme's name in `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearerAuth';

/** Options of {@link registerApiDocs}. */
export interface ApiDocsOptions {
  /** `info.version` of the document. */
  readonly version: string;
}

/**
 * Registers @fastify/swagger, which builds an OpenAPI 3.1 document from the
 * JSON Schema of every route registered after it (it collects them in an
 * onRoute hook, so call this before registering routes, and register routes
 * in plugins: routes added at the root before this plugin loads are missed).
 * Serves the document at {@link OPENAPI_PATH} and a Swagger UI page at
 * {@link DOCS_PREFIX} whose assets come from the installed package (no CDN,
 * works offline). Neither route is in the document itself.
 */
export function registerApiDocs(app: FastifyInstance, options: ApiDocsOptions): void {
  void app.register(swagger, {
    openapi: {
      // 3.1: the route schemas use JSON Schema 2020 forms (`type: [..., "null"]`) that 3.0 lacks.
      openapi: '3.1.0',
      info: {
        title: 'leadsync',
        version: options.version,
        description: 'Ingest, DLQ, approvals and audit API of a leadsync service. Errors are `{code, message, fix}` with codes from docs/errors.md.',
      },
      tags: API_TAGS.map((tag) => ({ ...tag })),
      // Every operation needs a token (access-control.ts) unless its schema says `security: []`:
      // ingest (signature only), health probes, metrics.
      security: [{ [BEARER_SCHEME]: [] }],
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'An API token (roles viewer, operator, admin).' },
        },
      },
    },
  });
  void app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: false, validatorUrl: null },
    // Swagger UI's own CSP for its inline scripts; every asset is served from DOCS_PREFIX/static.
    staticCSP: true,
  });
  void app.register((scope, _options, done) => {
    scope.get(OPENAPI_PATH, { schema: { hide: true } }, (_request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(scope.swagger())));
    done();
  });
}
