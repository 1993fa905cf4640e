import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { authenticateApiToken, issueApiToken, type ApiTokenDeps } from '../app/api-token-actions.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/config-loader.js';
import type { ApiRole } from '../core/auth/api-roles.js';
import { checkMappings, type CheckFinding } from '../core/check/mapping-checker.js';
import { ERROR_CODES } from '../core/errors/error-codes.js';
import type { ApiToken } from '../ports/api-token-store.js';
import { sessionCookie } from './access-control.js';
import { dashboardSchemas as schemas } from './dashboard-route-schemas.js';
import { sendError, useJsonApiConventions } from './json-api-scope.js';
import type { Runtime } from './runtime.js';

export interface DashboardRouteDeps {
  readonly now: () => Date;
  /** Reads the config file again for a reload. (Default: loadConfig of the runtime's file, with process.env) */
  readonly loadConfig?: (file: string) => Promise<LoadedConfig>;
}

/** `leadsync check` as the config page shows it. */
export interface CheckResult {
  readonly ok: boolean;
  readonly checkedAt: Date;
  readonly schemaVersion: string;
  readonly findings: readonly CheckFinding[];
}

/** Runs the mapping check on a loaded config (what `leadsync check` prints). */
export function runConfigCheck(config: LoadedConfig, now: Date): CheckResult {
  const sources = [...config.sources.values()].map((source) => ({ name: source.name, mapping: source.mapping }));
  const findings = checkMappings({ sources, schema: config.schema, policies: config.policies.fields });
  return { ok: findings.length === 0, checkedAt: now, schemaVersion: config.schema.version, findings };
}

function tokenView(token: ApiToken): ApiToken {
  return token;
}

/**
 * Where the compiled dashboard lives: `dist/web` beside `dist/server` in a
 * build; from the sources (tsx), the build's copy at `<root>/dist/web`.
 */
export function dashboardDirectory(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [`${here}/../web`, `${here}/../../dist/web`]) if (existsSync(`${candidate}/index.html`)) return candidate;
  return undefined;
}

function uplotDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot'));
}

/**
 * The dashboard's own API (session, stats, config, tokens) and its files:
 * `/` serves the page, `/assets/` the compiled scripts and styles,
 * `/assets/vendor/uplot/` the chart library. Access rules are in
 * access-control.ts; this module assumes they ran.
 */
export function registerDashboardRoutes(app: FastifyInstance, runtime: Runtime, deps: DashboardRouteDeps): void {
  const tokenDeps: ApiTokenDeps = { tokens: runtime.storage.apiTokens, now: deps.now, randomBytes: () => randomBytes(32) };
  const reload = deps.loadConfig ?? ((file: string) => loadConfig(file, { env: process.env }));
  let loadedAt = deps.now();
  let lastCheck: CheckResult | null = null;
  const readOnly = (): boolean => runtime.config.document.service.readOnly;
  const whoIs = (token: ApiToken): { name: string; role: ApiRole; readOnly: boolean } => ({ name: token.name, role: token.role, readOnly: readOnly() });
  const configView = (): object => {
    const config = runtime.config;
    return {
      file: config.file,
      loadedAt,
      readOnly: readOnly(),
      schemaVersion: config.schema.version,
      sources: [...config.sources.values()].map((source) => ({
        name: source.name,
        lane: source.config.lane,
        mapping: source.mapping.name,
        mappingVersion: source.mapping.version,
        objects: source.mapping.objects.map((object) => ({ object: object.object, match: object.match, fields: object.fields.length })),
      })),
      lastCheck,
    };
  };

  void app.register((scope, _options, done) => {
    useJsonApiConventions(scope);

    // --- session -----------------------------------------------------------------

    scope.post<{ Body: { token: string } }>('/v1/session', { schema: schemas.login }, async (request, reply) => {
      const token = await authenticateApiToken(tokenDeps, request.body.token.trim());
      if (token === null) return sendError(reply, 'AUTH_TOKEN_INVALID', 'that token is unknown or revoked');
      void reply.header('set-cookie', sessionCookie(request.body.token.trim(), request.protocol === 'https'));
      return whoIs(token);
    });

    scope.get('/v1/session', { schema: schemas.session }, (request) => {
      if (request.apiToken === null) throw new Error('access control did not run for GET /v1/session');
      return whoIs(request.apiToken);
    });

    scope.post('/v1/session/logout', { schema: schemas.logout }, (request, reply) => {
      void reply.header('set-cookie', sessionCookie(null, request.protocol === 'https'));
      return { status: 'logged_out' };
    });

    // --- stats -------------------------------------------------------------------

    scope.get<{ Querystring: { hours?: number } }>('/v1/stats/overview', { schema: schemas.overview }, async (request) => {
      const now = deps.now();
      const since = new Date(now.getTime() - (request.query.hours ?? 24) * 3_600_000);
      const overview = await runtime.storage.dashboardStats.overview(since);
      const rateLimit = runtime.crm.rateLimitStatus?.();
      return {
        generatedAt: now,
        ...overview,
        crmRateLimit: rateLimit === undefined ? { destination: runtime.crm.name, reported: false } : { destination: runtime.crm.name, ...rateLimit },
      };
    });

    scope.get<{ Querystring: { from?: string; to?: string; bucketMinutes?: number; source?: string } }>('/v1/stats/timeseries', { schema: schemas.timeseries }, async (request) => {
      const to = request.query.to === undefined ? deps.now() : new Date(request.query.to);
      const from = request.query.from === undefined ? new Date(to.getTime() - 24 * 3_600_000) : new Date(request.query.from);
      if (!(from < to)) throw new RangeError(`from (${from.toISOString()}) must be before to (${to.toISOString()})`);
      const source = request.query.source;
      return runtime.storage.dashboardStats.timeseries({ from, to, bucketMinutes: request.query.bucketMinutes ?? 60, ...(source === undefined ? {} : { source }) });
    });

    // --- config ------------------------------------------------------------------

    scope.get('/v1/config', { schema: schemas.config }, () => configView());

    scope.post('/v1/config/check', { schema: schemas.check }, () => {
      lastCheck = runConfigCheck(runtime.config, deps.now());
      return lastCheck;
    });

    scope.post('/v1/config/reload', { schema: schemas.reload }, async (_request, reply) => {
      try {
        const next = await reload(runtime.config.file);
        runtime.reload(next);
      } catch (error) {
        if (error instanceof ConfigError) {
          return reply.code(422).send({ code: error.code, message: `the config was not reloaded; the service keeps running on the previous one. ${error.message}`, fix: ERROR_CODES[error.code].fix, issues: error.message.split('\n') });
        }
        throw error;
      }
      loadedAt = deps.now();
      lastCheck = runConfigCheck(runtime.config, loadedAt);
      return configView();
    });

    // --- tokens ------------------------------------------------------------------

    scope.get('/v1/tokens', { schema: schemas.listTokens }, async () => ({ items: (await runtime.storage.apiTokens.list()).map(tokenView) }));

    scope.post<{ Body: { name: string; role: ApiRole } }>('/v1/tokens', { schema: schemas.createToken }, async (request, reply) => {
      const outcome = await issueApiToken(tokenDeps, request.body);
      switch (outcome.status) {
        case 'invalid_name':
          return reply.code(400).send({ code: 'USAGE_INVALID', message: outcome.message, fix: 'Name the token after the person or script that uses it.' });
        case 'name_taken':
          return sendError(reply, 'AUTH_TOKEN_NAME_TAKEN', `an active token is already named "${outcome.existing.name}"`);
        case 'created':
          return reply.code(201).send({ token: outcome.token, secret: outcome.secret });
      }
    });

    scope.post<{ Params: { id: string } }>('/v1/tokens/:id/revoke', { schema: schemas.revokeToken }, async (request, reply) => {
      const outcome = await runtime.storage.apiTokens.revoke(request.params.id, deps.now());
      if (outcome.status === 'not_found') return sendError(reply, 'AUTH_TOKEN_NOT_FOUND', `no API token with id or name "${request.params.id}"`);
      return outcome;
    });

    done();
  });

  registerDashboardFiles(app);
}

/** Routes of the dashboard's page and files: hidden from the OpenAPI document, open without a token. */
export function isDashboardPageRoute(url: string): boolean {
  return url === '/' || url.startsWith('/assets/');
}

/** The page at `/`, its scripts and styles under `/assets/`, uPlot under `/assets/vendor/uplot/`. */
function registerDashboardFiles(app: FastifyInstance): void {
  const directory = dashboardDirectory();
  void app.register((scope, _options, done) => {
    scope.get('/', { schema: { hide: true } }, async (_request, reply) => {
      if (directory === undefined) {
        return reply.code(503).type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run build` (it compiles web/ to dist/web).');
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(readFileSync(`${directory}/index.html`));
    });
    if (directory !== undefined) void scope.register(fastifyStatic, { root: directory, prefix: '/assets/', index: false, wildcard: true });
    void scope.register(fastifyStatic, { root: uplotDirectory(), prefix: '/assets/vendor/uplot/', decorateReply: false, index: false, allowedPath: (path) => /^\/uPlot\.(iife\.min\.js|min\.css)$/.test(path) });
    done();
  });
}
