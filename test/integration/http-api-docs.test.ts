import { readFileSync } from 'node:fs';
import type { RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { DOCS_PREFIX, OPENAPI_PATH } from '../../src/server/api-docs.js';
import { isDashboardPageRoute } from '../../src/server/dashboard-routes.js';
import { httpAppWithRoutes } from '../support/http-app-routes.js';

// docs/http-api.md is written by hand; this keeps it from falling behind the routes the
// service registers: every API route (method and path, `{param}` as in the OpenAPI
// document) is named in it, and so is every query parameter and body key its schema takes.
// Pages and the docs UI's assets are covered by one line each.

const docs = readFileSync('docs/http-api.md', 'utf8');
/** Routes that are pages or assets, documented once as a group rather than each by its path. */
const PAGES = [(url: string) => url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`), isDashboardPageRoute];

async function registeredRoutes(): Promise<RouteOptions[]> {
  return (await httpAppWithRoutes()).routes;
}

/** Whether docs/http-api.md names `METHOD /path`: in a heading or text (`GET /v1/dlq`), or the path alone in a list that says the method (`/readyz`). */
function documented(method: string, path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${method} ${escaped}(?![\\w/{])`).test(docs) || (method === 'GET' && new RegExp(`\`${escaped}\``).test(docs));
}

describe('docs/http-api.md covers every route', () => {
  it('names every API route with its method', async () => {
    const routes = await registeredRoutes();
    const api = routes.filter((route) => !PAGES.some((isPage) => isPage(route.url)));
    expect(api.map((route) => route.url)).toEqual(expect.arrayContaining(['/v1/dlq', '/v1/tokens/:id/revoke', OPENAPI_PATH]));
    const missing = api.flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method])
        .map((method) => String(method).toUpperCase())
        .filter((method) => method !== 'HEAD')
        .map((method) => ({ method, path: route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}') }))
        .filter(({ method, path }) => !documented(method, path))
        .map(({ method, path }) => `${method} ${path}`),
    );
    expect(missing).toEqual([]);

    // `dryRun`, `"dryRun": true`, `{"token": …}`, `?hours=24`, `&bucketMinutes=60`: named as code, JSON key or query.
    const named = (key: string): boolean => docs.includes(`\`${key}\``) || docs.includes(`"${key}"`) || new RegExp(`[?&]${key}\\b`).test(docs);
    const keysOf = (part: unknown): string[] => Object.keys(((part ?? {}) as { properties?: Record<string, unknown> }).properties ?? {});
    const undocumentedKeys = api.flatMap((route) => {
      const schema = (route.schema ?? {}) as { querystring?: unknown; body?: unknown };
      return [...keysOf(schema.querystring).map((key) => `query ${key}`), ...keysOf(schema.body).map((key) => `body ${key}`)].filter((key) => !named(key.split(' ')[1] ?? '')).map((key) => `${route.url}: ${key}`);
    });
    expect(undocumentedKeys).toEqual([]);
  });
});
