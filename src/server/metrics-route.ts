import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { PipelineMetrics } from '../ports/pipeline-metrics.js';

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/**
 * The metrics of a service: what the pipeline reports into, and the
 * exposition `/metrics` answers (the prom-client adapter, merged with any
 * worker thread's registry).
 */
export interface ServiceMetrics extends PipelineMetrics {
  exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
}

const metricsSchema = {
  summary: 'Prometheus metrics in the text exposition format (docs/metrics.md)',
  operationId: 'getMetrics',
  security: [],
  tags: ['metrics'],
  response: {
    200: {
      description: 'Text exposition format 0.0.4',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
} as const;

/** Registers `GET /metrics` in its own scope. */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServiceMetrics): void {
  void app.register((scope, _options, done) => {
    scope.get(METRICS_PATH, { schema: metricsSchema }, async (_request, reply) => {
      const { contentType, body } = await metrics.exposition();
      return reply.type(contentType).send(body);
    });
    done();
  });
}

/**
 * A server with `GET /metrics` only, for a process without the HTTP API
 * (`leadsync worker --metrics-port N`). Port 0 picks a free one.
 */
export async function startMetricsServer(metrics: ServiceMetrics, address: { readonly host: string; readonly port: number }): Promise<{ readonly url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  registerMetricsRoute(app, metrics);
  const url = await app.listen({ host: address.host, port: address.port });
  return { url, close: () => app.close() };
}
