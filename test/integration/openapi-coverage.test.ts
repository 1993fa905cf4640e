import { randomBytes } from 'node:crypto';
import type { RouteOptions } from 'fastify';
import { issueApiToken } from '../../src/app/api-token-actions.js';
import { describe, expect, it } from 'vitest';
import { API_TAGS, DOCS_PREFIX, OPENAPI_PATH } from '../../src/server/api-docs.js';
import type { buildHttpApp } from '../../src/server/http-app.js';
import { httpAppWithRoutes } from '../support/http-app-routes.js';
import { isDashboardPageRoute } from '../../src/server/dashboard-routes.js';
import { routePolicy } from '../../src/server/access-control.js';
import { authErrorResponses } from '../../src/server/operator-route-schemas.js';

// Every route of the service declares a JSON Schema (what it takes, what it answers),
// and the OpenAPI document generated from them lists every route.

/** Routes that serve pages or the document itself, not API operations: hidden from the document on purpose. */
const NOT_API = [(url: string) => url === OPENAPI_PATH, (url: string) => url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`), isDashboardPageRoute];

interface OpenApiOperation {
  readonly operationId?: string;
  readonly tags?: readonly string[];
  readonly summary?: string;
  readonly responses?: Record<string, unknown>;
  readonly parameters?: readonly { readonly in: string; readonly name: string }[];
}
interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
  readonly components: { readonly schemas?: Record<string, unknown>; readonly securitySchemes?: Record<string, unknown> };
  readonly tags?: readonly { readonly name: string }[];
}

async function appWithRoutes(): Promise<{ app: ReturnType<typeof buildHttpApp>; routes: RouteOptions[]; token: string }> {
  const { app, routes, runtime } = await httpAppWithRoutes();
  const issued = await issueApiToken({ tokens: runtime.storage.apiTokens, now: () => new Date(), randomBytes: () => randomBytes(32) }, { name: 'openapi-test', role: 'viewer' });
  if (issued.status !== 'created') throw new Error(`no token: ${issued.status}`);
  return { app, routes, token: issued.secret };
}

const methodsOf = (route: RouteOptions): string[] => (Array.isArray(route.method) ? route.method : [route.method]).map((method) => String(method).toLowerCase());
const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const isApi = (route: RouteOptions): boolean => !NOT_API.some((test) => test(route.url));
/** Whether token auth guards the route (for any of its methods), by the same rule the service applies. */
const needsToken = (route: RouteOptions): boolean => methodsOf(route).some((method) => !['open', 'signature'].includes(routePolicy(method.toUpperCase(), route.url).access));

describe('route schemas and the OpenAPI document', () => {
  it('every API route declares a schema with a response schema, operationId, tags, summary, and its path parameters', async () => {
    const { routes } = await appWithRoutes();
    const api = routes.filter(isApi);
    expect(api.length).toBeGreaterThanOrEqual(15);
    const problems: string[] = [];
    for (const route of api) {
      const where = `${methodsOf(route).join(',').toUpperCase()} ${route.url}`;
      const schema = route.schema as Record<string, unknown> | undefined;
      if (!schema) {
        problems.push(`${where}: no schema`);
        continue;
      }
      const response = schema['response'] as Record<string, unknown> | undefined;
      if (!response || Object.keys(response).length === 0) problems.push(`${where}: no response schema`);
      else if (!Object.keys(response).some((status) => /^2(\d\d|xx)$/i.test(status))) problems.push(`${where}: no success (2xx) response schema`);
      if (typeof schema['operationId'] !== 'string') problems.push(`${where}: no operationId`);
      if (!Array.isArray(schema['tags']) || schema['tags'].length === 0) problems.push(`${where}: no tags`);
      if (typeof schema['summary'] !== 'string') problems.push(`${where}: no summary`);
      if (schema['hide'] === true) problems.push(`${where}: hidden from the OpenAPI document`);
      const pathParams = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1] ?? '');
      const params = schema['params'] as { properties?: Record<string, unknown>; required?: string[] } | undefined;
      for (const name of pathParams) {
        if (!params?.properties?.[name]) problems.push(`${where}: path parameter "${name}" has no schema`);
        else if (!params.required?.includes(name)) problems.push(`${where}: path parameter "${name}" is not required`);
      }
      if (methodsOf(route).includes('post') && route.url.endsWith('/replay') && !route.url.includes(':') && !schema['body']) problems.push(`${where}: no body schema`);
      // Token auth answers 401/403 before the handler runs; the route's schema says so, with the body access-control.ts sends.
      if (needsToken(route)) {
        for (const status of [401, 403] as const) {
          if (!response?.[status]) problems.push(`${where}: behind token auth but declares no ${status} response`);
          else if (JSON.stringify(response[status]) !== JSON.stringify(authErrorResponses[status])) problems.push(`${where}: its ${status} response is not the shared auth error schema`);
        }
      }
    }
    expect(api.filter(needsToken).length).toBeGreaterThanOrEqual(15);
    for (const route of routes.filter((candidate) => !isApi(candidate))) {
      if ((route.schema as { hide?: boolean } | undefined)?.hide !== true) problems.push(`${route.url}: a page route that is not hidden from the document`);
    }
    expect(problems).toEqual([]);
  });

  it('generates an OpenAPI 3 document with every API route, unique operation ids, declared tags and a bearer scheme', async () => {
    const { app, routes } = await appWithRoutes();
    const response = await app.inject({ method: 'GET', url: OPENAPI_PATH });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json<OpenApiDocument>();

    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toMatchObject({ title: 'leadsync', version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
    expect(typeof document.paths).toBe('object');
    expect(typeof document.components).toBe('object');
    expect(document.components.securitySchemes?.['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });

    const expected = new Set<string>();
    for (const route of routes.filter(isApi)) {
      for (const method of methodsOf(route).filter((m) => m !== 'head')) expected.add(`${method} ${openApiPath(route.url)}`);
    }
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) documented.add(`${method} ${path}`);
    }
    expect([...documented].sort()).toEqual([...expected].sort());

    const operations = Object.values(document.paths).flatMap((byMethod) => Object.values(byMethod));
    const ids = operations.map((operation) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const declaredTags = new Set((document.tags ?? []).map((tag) => tag.name));
    expect([...declaredTags]).toEqual(API_TAGS.map((tag) => tag.name));
    for (const operation of operations) {
      expect(operation.tags?.length).toBeGreaterThan(0);
      for (const tag of operation.tags ?? []) expect(declaredTags.has(tag)).toBe(true);
      expect(Object.keys(operation.responses ?? {}).length).toBeGreaterThan(0);
    }
    // Token auth everywhere but ingest (signature), health probes, metrics, login and logout (access-control.ts).
    const open = new Set(['post /v1/events/{source}', 'get /healthz', 'get /readyz', 'get /metrics', 'post /v1/session', 'post /v1/session/logout']);
    const openByPolicy = routes.filter((route) => isApi(route) && !needsToken(route)).flatMap((route) => methodsOf(route).filter((m) => m !== 'head').map((method) => `${method} ${openApiPath(route.url)}`));
    expect(new Set(openByPolicy)).toEqual(open);
    for (const [path, byMethod] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(byMethod)) {
        const security = (operation as { security?: unknown[] }).security ?? (document as { security?: unknown[] }).security;
        expect({ route: `${method} ${path}`, open: security?.length === 0 }).toEqual({ route: `${method} ${path}`, open: open.has(`${method} ${path}`) });
        // A secured operation documents what token auth answers.
        if (security?.length !== 0) expect({ route: `${method} ${path}`, statuses: Object.keys(operation.responses ?? {}).filter((status) => status === '401' || status === '403') }).toEqual({ route: `${method} ${path}`, statuses: ['401', '403'] });
      }
    }
        // Path parameters are documented as such.
    const replay = document.paths['/v1/dlq/{id}/replay']?.['post'];
    expect(replay?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id' }), expect.objectContaining({ in: 'query', name: 'dryRun' })]));
    // Every $ref points at something in the document.
    const text = JSON.stringify(document);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(document.components.schemas?.[ref ?? '']).toBeDefined();
  });

  it('serves the docs page with every asset from the service itself (works offline)', async () => {
    const { app } = await appWithRoutes();
    const page = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.body.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      // Relative to the page: nothing from a CDN.
      expect(asset).toMatch(/^\.\/static\//);
      const loaded = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/${asset.slice(2)}` });
      expect({ asset, status: loaded.statusCode }).toEqual({ asset, status: 200 });
      expect(loaded.body.length).toBeGreaterThan(0);
    }
    const initializer = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/static/swagger-initializer.js` });
    // The document comes from this service, and the online spec validator (validator.swagger.io) is off.
    expect(initializer.body).toContain("url: resolveUrl('./json')");
    expect(initializer.body).toContain('"validatorUrl":null');
    const json = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/json` });
    expect(json.json<OpenApiDocument>().paths).toEqual((await app.inject({ method: 'GET', url: OPENAPI_PATH })).json<OpenApiDocument>().paths);
  });

  it('answers every documented GET without parameters with a body its response schema accepts', async () => {
    const { app, token } = await appWithRoutes();
    for (const url of ['/healthz', '/readyz', '/metrics', '/v1/dlq', '/v1/approvals', '/v1/audit', '/v1/audit/verify']) {
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
    }
  });
});
