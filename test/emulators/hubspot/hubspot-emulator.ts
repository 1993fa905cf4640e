import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { cloudflareHtml, errorBody, missingScopesBody, rateLimitBody, unauthorizedBody } from './hubspot-emulator-bodies.js';
import { EmulatorFaultQueue, type EmulatorEndpoint, type HubSpotEmulatorFault } from './hubspot-emulator-faults.js';
import { HubSpotRateLimiter, type DailyLimit, type RollingLimit } from './hubspot-emulator-limits.js';
import { defaultHubSpotObjects, type EmulatedObjectType } from './hubspot-emulator-properties.js';
import { HubSpotEmulatorStore, type EmulatorReply } from './hubspot-emulator-store.js';

export type { HubSpotEmulatorFault } from './hubspot-emulator-faults.js';
export { defaultHubSpotObjects, objectsFromCrmSchema } from './hubspot-emulator-properties.js';

export interface HubSpotEmulatorOptions {
  /** (Default: 0, a free port) */
  readonly port?: number;
  /** (Default: 127.0.0.1) */
  readonly host?: string;
  /** The private-app token calls must carry as `Authorization: Bearer <token>`. (Default: `pat-na1-emulator`) */
  readonly token?: string;
  /** Object types and their properties. (Default: `defaultHubSpotObjects()`) */
  readonly objects?: readonly EmulatedObjectType[];
  /** (Default: 190 per 10,000 ms, HubSpot Professional/Enterprise) */
  readonly rateLimit?: RollingLimit;
  /** (Default: 1,000,000 a day, Enterprise) */
  readonly dailyLimit?: DailyLimit;
  /** Delay before every API answer, in ms. (Default: 0) */
  readonly latencyMs?: number;
  /** Time source for record timestamps and the limiter. (Default: Date.now) */
  readonly now?: () => number;
  /** Shown in rate-limit group names. (Default: 62515) */
  readonly portalId?: number;
}

/** Counts of API calls the emulator answered, by endpoint and by status. */
export interface EmulatorCallCounts {
  total: number;
  byEndpoint: Record<EmulatorEndpoint, number>;
  byStatus: Record<string, number>;
}

/** A running emulator: its URL, token and knobs. */
export interface HubSpotEmulator {
  readonly url: string;
  readonly token: string;
  readonly app: FastifyInstance;
  injectFault(fault: HubSpotEmulatorFault): void;
  clearFaults(): void;
  setRateLimit(limit: RollingLimit): void;
  setDailyLimit(limit: DailyLimit): void;
  setLatency(ms: number): void;
  /** Stores records without validation; returns their ids. */
  seed(objectType: string, records: readonly Readonly<Record<string, string>>[]): string[];
  records(objectType: string): { id: string; properties: Record<string, string>; createdAt: string; updatedAt: string }[];
  calls(): EmulatorCallCounts;
  /** Drops records, faults and call counts; keeps properties and limits. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_TOKEN = 'pat-na1-emulator';

function endpointOf(url: string): EmulatorEndpoint | undefined {
  const path = url.split('?', 1)[0] ?? '';
  if (path.startsWith('/crm/v3/properties/')) return 'properties';
  if (/^\/crm\/v3\/objects\/[^/]+\/batch\/read$/.test(path)) return 'read';
  if (/^\/crm\/v3\/objects\/[^/]+\/batch\/upsert$/.test(path)) return 'upsert';
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A stateful HubSpot CRM v3 emulator: the properties API, batch read and batch
 * upsert for the configured object types, with bearer-token auth, HubSpot's
 * validation, 207 multi-status bodies, rate limits with the real headers and
 * 429 bodies, and fault knobs (latency, 5xx with JSON or HTML bodies, 429s,
 * hangs, connection resets). The same knobs are served over HTTP under
 * `/__emulator/` for use from outside a test (`npm run emulator:hubspot`).
 */
export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const now = options.now ?? Date.now;
  const token = options.token ?? DEFAULT_TOKEN;
  const portalId = options.portalId ?? 62515;
  const store = new HubSpotEmulatorStore(options.objects ?? defaultHubSpotObjects(), now, portalId);
  const limiter = new HubSpotRateLimiter(options.rateLimit ?? { max: 190, intervalMs: 10_000 }, options.dailyLimit ?? { limit: 1_000_000 }, now);
  const faults = new EmulatorFaultQueue();
  let latencyMs = checkLatency(options.latencyMs ?? 0);
  const counts: EmulatorCallCounts = { total: 0, byEndpoint: { properties: 0, read: 0, upsert: 0 }, byStatus: {} };
  const hung = new Set<{ socket: Socket; wake: () => void }>();

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 10 * 1024 * 1024 });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const category = status === 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR';
    return reply.code(status).send(errorBody(category, status === 500 ? 'internal error' : `Invalid input JSON: ${error.message}`));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('OBJECT_NOT_FOUND', `No route for ${request.method} ${request.url.split('?', 1)[0] ?? ''}`)));

  app.addHook('onResponse', (request, reply, done) => {
    const endpoint = endpointOf(request.url);
    if (endpoint !== undefined) {
      counts.total += 1;
      counts.byEndpoint[endpoint] += 1;
      counts.byStatus[String(reply.statusCode)] = (counts.byStatus[String(reply.statusCode)] ?? 0) + 1;
    }
    done();
  });

  /** Latency, faults, auth and rate limits, in that order, before any /crm route runs. */
  async function gate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const endpoint = endpointOf(request.url);
    if (endpoint === undefined) return undefined;
    if (latencyMs > 0) await sleep(latencyMs);
    const fault = faults.take(endpoint);
    if (fault !== undefined) {
      const handled = await playFault(fault, request, reply);
      if (handled) return reply;
    }
    const auth = request.headers.authorization;
    if (auth !== `Bearer ${token}`) {
      return reply
        .code(401)
        .header('X-HubSpot-Auth-Failure', '401 Unauthorized')
        .header('X-HubSpot-Correlation-Id', randomUUID())
        .send(unauthorizedBody());
    }
    const decision = limiter.take();
    void reply.headers(decision.headers);
    if (decision.refusedBy !== undefined) return reply.code(429).send(rateLimitBody(decision.refusedBy, portalId));
    return undefined;
  }

  async function playFault(fault: HubSpotEmulatorFault, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    switch (fault.kind) {
      case 'server_error': {
        const status = fault.status ?? (fault.body === 'html' ? 502 : 500);
        if (fault.body === 'html') void reply.code(status).type('text/html; charset=UTF-8').send(cloudflareHtml(status));
        else if (fault.body === 'json') void reply.code(status).send(errorBody('INTERNAL_ERROR', 'internal error'));
        else void reply.code(status).send();
        return true;
      }
      case 'rate_limit':
        if (fault.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(fault.retryAfterSeconds));
        void reply.code(429).send(rateLimitBody(fault.policy, portalId));
        return true;
      case 'bad_request':
        void reply.code(400).send(errorBody('VALIDATION_ERROR', fault.message ?? 'Invalid input (injected fault)'));
        return true;
      case 'unauthorized':
        void reply.code(401).header('X-HubSpot-Auth-Failure', '401 Unauthorized').send(unauthorizedBody());
        return true;
      case 'missing_scopes':
        void reply.code(403).send(missingScopesBody(fault.scopes ?? ['crm.objects.contacts.write']));
        return true;
      case 'reset':
        reply.hijack();
        request.raw.socket.destroy();
        return true;
      case 'hang': {
        const socket = request.raw.socket;
        await new Promise<void>((resolve) => {
          const entry = { socket, wake: resolve };
          hung.add(entry);
          socket.once('close', () => {
            hung.delete(entry);
            resolve();
          });
        });
        reply.hijack();
        socket.destroy();
        return true;
      }
    }
  }

  const send = (reply: FastifyReply, result: EmulatorReply): FastifyReply => reply.code(result.status).send(result.body);

  await app.register((api, _options, done) => {
    api.addHook('onRequest', gate);
    api.get<{ Params: { objectType: string } }>('/crm/v3/properties/:objectType', (request, reply) => send(reply, store.properties(request.params.objectType)));
    api.get<{ Params: { objectType: string; name: string } }>('/crm/v3/properties/:objectType/:name', (request, reply) =>
      send(reply, store.property(request.params.objectType, request.params.name)),
    );
    api.post<{ Params: { objectType: string } }>('/crm/v3/objects/:objectType/batch/read', (request, reply) =>
      send(reply, store.batchRead(request.params.objectType, request.body)),
    );
    api.post<{ Params: { objectType: string } }>('/crm/v3/objects/:objectType/batch/upsert', (request, reply) =>
      send(reply, store.batchUpsert(request.params.objectType, request.body)),
    );
    done();
  });

  const emulator: Omit<HubSpotEmulator, 'url'> = {
    token,
    app,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setRateLimit: (limit) => limiter.setRolling(limit),
    setDailyLimit: (limit) => limiter.setDaily(limit),
    setLatency: (ms) => {
      latencyMs = checkLatency(ms);
    },
    seed: (objectType, records) => store.seed(objectType, records),
    records: (objectType) => {
      const records = store.records(objectType);
      if (records === undefined) throw new Error(`the emulator has no object type "${objectType}"`);
      return records;
    },
    calls: () => structuredClone(counts),
    reset: () => {
      store.clearRecords();
      faults.clear();
      counts.total = 0;
      counts.byEndpoint = { properties: 0, read: 0, upsert: 0 };
      counts.byStatus = {};
    },
    close: async () => {
      for (const entry of hung) entry.wake();
      hung.clear();
      await app.close();
    },
  };
  registerAdminRoutes(app, emulator, () => ({ ...limiter.settings(), latencyMs, pendingFaults: faults.size(), calls: counts }));

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the HubSpot emulator is not listening on a TCP port');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { ...emulator, url: `http://${host}:${address.port}` };
}

function checkLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latencyMs must be a non-negative number, got ${ms}`);
  return ms;
}

/** The knobs over HTTP, under a prefix no HubSpot API uses. No auth: the emulator is for local testing only. */
function registerAdminRoutes(app: FastifyInstance, emulator: Omit<HubSpotEmulator, 'url'>, state: () => unknown): void {
  const guard = (reply: FastifyReply, work: () => unknown): FastifyReply => {
    try {
      return reply.send(work() ?? { ok: true });
    } catch (error) {
      return reply.code(400).send({ error: error instanceof Error ? error.message : String(error) });
    }
  };
  app.get('/__emulator/state', (_request, reply) => reply.send(state()));
  app.post<{ Body: HubSpotEmulatorFault }>('/__emulator/faults', (request, reply) => guard(reply, () => emulator.injectFault(request.body)));
  app.delete('/__emulator/faults', (_request, reply) => guard(reply, () => emulator.clearFaults()));
  app.put<{ Body: { rateLimit?: RollingLimit; dailyLimit?: DailyLimit; latencyMs?: number } }>('/__emulator/settings', (request, reply) =>
    guard(reply, () => {
      const body = request.body;
      if (body.rateLimit !== undefined) emulator.setRateLimit(body.rateLimit);
      if (body.dailyLimit !== undefined) emulator.setDailyLimit(body.dailyLimit);
      if (body.latencyMs !== undefined) emulator.setLatency(body.latencyMs);
      return state();
    }),
  );
  app.get<{ Params: { objectType: string } }>('/__emulator/records/:objectType', (request, reply) => guard(reply, () => ({ results: emulator.records(request.params.objectType) })));
  app.post<{ Params: { objectType: string }; Body: { records: Record<string, string>[] } }>('/__emulator/records/:objectType', (request, reply) =>
    guard(reply, () => ({ ids: emulator.seed(request.params.objectType, request.body.records) })),
  );
  app.post('/__emulator/reset', (_request, reply) => guard(reply, () => emulator.reset()));
}
