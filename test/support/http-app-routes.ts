import type { RouteOptions } from 'fastify';
import { onTestFinished } from 'vitest';
import { buildHttpApp } from '../../src/server/http-app.js';
import { createServiceMetrics } from '../../src/server/service-metrics.js';
import type { Runtime } from '../../src/server/runtime.js';
import { createOperatorWorkspace } from './operator-workspace.js';

/**
 * The service's HTTP app on an operator workspace (example config, temp SQLite file), ready, with every route it
 * registered; closed (and the workspace removed unless the test failed) when the current test finishes.
 */
export async function httpAppWithRoutes(): Promise<{ app: ReturnType<typeof buildHttpApp>; routes: RouteOptions[]; runtime: Runtime }> {
  const workspace = createOperatorWorkspace();
  const runtime = await workspace.open('original');
  const routes: RouteOptions[] = [];
  const app = buildHttpApp({
    runtime,
    bodyLimitBytes: 1_048_576,
    now: () => new Date(),
    isReady: () => true,
    metrics: createServiceMetrics({ storage: runtime.storage, crm: runtime.crm, defaultMetrics: false }),
    onRoute: (route) => routes.push(route),
  });
  onTestFinished(async (context) => {
    await app.close();
    await workspace.remove(context.task.result?.state === 'fail');
  });
  await app.ready();
  return { app, routes, runtime };
}
