import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerBulkRoutes } from './salesforce-emulator-bulk-routes.js';
import { SalesforceEmulatorBulk } from './salesforce-emulator-bulk.js';
import { sendErrors, type EmulatorContext } from './salesforce-emulator-context.js';
import { SalesforceFaultQueue, type SalesforceEmulatorFault } from './salesforce-emulator-faults.js';
import { DEFAULT_CLIENT, DEFAULT_USERNAME, SalesforceEmulatorOAuth, type SalesforceEmulatorClient } from './salesforce-emulator-oauth.js';
import { registerRestRoutes } from './salesforce-emulator-rest-routes.js';
import { DEFAULT_SOBJECTS, resolveObject, type ResolvedObject, type SfObjectDefinition } from './salesforce-emulator-schema.js';
import { SalesforceEmulatorStore } from './salesforce-emulator-store.js';
import { coerceJsonValue, type SfValue } from './salesforce-emulator-values.js';

export type { SalesforceEmulatorFault } from './salesforce-emulator-faults.js';
export type { SfObjectDefinition, SfFieldDefinition } from './salesforce-emulator-schema.js';
export type { SalesforceEmulatorClient } from './salesforce-emulator-oauth.js';

export interface SalesforceEmulatorOptions {
  /** (Default: 0, a free port) */
  readonly port?: number;
  /** (Default: 127.0.0.1) */
  readonly host?: string;
  /** sObjects served. (Default: Lead, Contact and Account, see DEFAULT_SOBJECTS) */
  readonly objects?: readonly SfObjectDefinition[];
  /** Connected apps. (Default: one app with DEFAULT_CLIENT's id and secret, no JWT key) */
  readonly clients?: readonly SalesforceEmulatorClient[];
  /** Lifetime of issued access tokens. (Default: 2 hours) */
  readonly tokenTtlMs?: number;
  /** Daily API request allocation reported in Sforce-Limit-Info. (Default: 15000, a Developer Edition org) */
  readonly dailyApiLimit?: number;
  /** Delay added to every request. (Default: 0) */
  readonly latencyMs?: number;
  /** Delay before each Bulk API job state transition. (Default: 20) */
  readonly bulkProcessingDelayMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
}

export interface SalesforceEmulator {
  /** Instance URL: the base of every REST call. */
  readonly url: string;
  /** Login URL for the OAuth token endpoint (the same server). */
  readonly loginUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly username: string;
  close(): Promise<void>;
  injectFault(fault: SalesforceEmulatorFault): void;
  clearFaults(): void;
  /** The next `count` record writes fail with UNABLE_TO_LOCK_ROW. */
  lockRows(count: number): void;
  setLatency(ms: number): void;
  setApiLimit(limit: { max?: number; used?: number }): void;
  apiUsage(): { used: number; max: number };
  /** Invalidates every issued access token. */
  expireTokens(): void;
  /** An access token without going through a grant. */
  issueToken(): string;
  /** The next Bulk API job fails after this many rows; the rest are unprocessed. */
  failNextBulkJobAfter(rows: number): void;
  /** Inserts a record without validation; returns its id. */
  seed(object: string, fields: Readonly<Record<string, SfValue | null>>): string;
  /** Records of an sObject as plain objects (Id plus non-null fields). */
  records(object: string): Record<string, SfValue>[];
  /** Requests received so far, oldest first (admin calls excluded). */
  requests(): readonly RecordedRequest[];
  /** Drops records, faults, jobs, usage and the request log; tokens stay valid. */
  reset(): void;
}

const DATA_PATH = /^\/services\/data\/v\d+\.\d\/(query|sobjects\/[^/]+\/[^/]+\/[^/]+|composite\/|jobs\/)/;
const API_PATH = /^\/services\/data\/v\d+\.\d\//;
const HTML_503 = '<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. Please try again later.</p></body></html>\n';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts a stateful emulator of the Salesforce REST endpoints leadsync uses
 * (CRM-CONTRACTS.md §2): OAuth token endpoint, describe, upsert by external
 * id, sObject Collections upsert, SOQL reads and Bulk API 2.0 ingest, with
 * Salesforce's validation, error shapes, API usage header and daily limit,
 * plus knobs for faults. Admin endpoints live under `/__emulator/`.
 */
export async function startSalesforceEmulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const resolved = (options.objects ?? DEFAULT_SOBJECTS).map(resolveObject);
  const objects = new Map<string, ResolvedObject>(resolved.map((object) => [object.name.toLowerCase(), object]));
  const storeObjects = new Map<string, ResolvedObject>(resolved.map((object) => [object.name, object]));
  const store = new SalesforceEmulatorStore(storeObjects);
  const bulk = new SalesforceEmulatorBulk(store, { processingDelayMs: options.bulkProcessingDelayMs ?? 20, failNextJobAfterRows: undefined });
  const clients: readonly SalesforceEmulatorClient[] = options.clients ?? [DEFAULT_CLIENT];
  const oauth = new SalesforceEmulatorOAuth(clients, options.tokenTtlMs ?? 2 * 60 * 60 * 1000);
  const faults = new SalesforceFaultQueue();
  const log: RecordedRequest[] = [];
  const limits = { max: options.dailyApiLimit ?? 15_000, used: 0 };
  let latencyMs = options.latencyMs ?? 0;
  let baseUrl = '';
  /** Requests held open by a `hang` fault, released (destroyed) on close. */
  const held = new Set<() => void>();

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 150 * 1024 * 1024, routerOptions: { ignoreTrailingSlash: true } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(String(body)));
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => {
    done(null, String(body));
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(Object.assign(new Error(`Unexpected character in JSON: ${(error as Error).message}`), { statusCode: 400, sfErrorCode: 'JSON_PARSER_ERROR' }), undefined);
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number; sfErrorCode?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    return sendErrors(reply, status, [{ errorCode: error.sfErrorCode ?? (status >= 500 ? 'UNKNOWN_EXCEPTION' : 'INVALID_INPUT'), message: error.message }]);
  });

  const context: EmulatorContext = { store, bulk, objects, baseUrl: () => baseUrl };

  /** Answers with the fault, or returns undefined when the request should go on. */
  async function applyFault(fault: SalesforceEmulatorFault, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    switch (fault.kind) {
      case 'server_error': {
        const status = fault.status ?? 503;
        if (fault.body === 'html') return reply.code(status).type('text/html; charset=UTF-8').send(HTML_503);
        const errorCode = status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION';
        const message = status === 503 ? 'Server temporarily unavailable' : 'An unexpected error occurred. Please include this ErrorId if you contact support: 1987654321-12345 (-1234567890)';
        return sendErrors(reply, status, [{ errorCode, message }]);
      }
      case 'http_429':
        if (fault.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(fault.retryAfterSeconds));
        return reply.code(429).type('text/plain').send('Too Many Requests');
      case 'concurrent_limit':
        if (fault.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(fault.retryAfterSeconds));
        return sendErrors(reply, 403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'ConcurrentPerOrgLongTxn Limit exceeded.' }]);
      case 'reject':
        return sendErrors(reply, 400, [{ errorCode: fault.errorCode ?? 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: fault.message ?? 'Rejected by a validation rule (emulator fault)' }]);
      case 'hang':
      case 'reset':
        if (fault.afterWrite === true) {
          (request as FastifyRequest & { afterWrite?: 'hang' | 'reset' }).afterWrite = fault.kind;
          return undefined;
        }
        if (fault.kind === 'reset') {
          reply.hijack();
          request.raw.socket.destroy();
          return reply;
        }
        reply.hijack();
        await new Promise<void>((resolve) => held.add(resolve));
        request.raw.socket.destroy();
        return reply;
    }
  }

  app.addHook('onRequest', async (request, reply) => {
    const url = new URL(request.url, 'http://emulator');
    if (url.pathname.startsWith('/__emulator/')) return;
    log.push({ method: request.method, path: url.pathname, query: url.search });
    if (latencyMs > 0) await sleep(latencyMs);
    if (!API_PATH.test(url.pathname)) return;
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !oauth.isValid(token, Date.now())) {
      return sendErrors(reply, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    if (limits.used >= limits.max) {
      void reply.header('Sforce-Limit-Info', `api-usage=${limits.used}/${limits.max}`);
      return sendErrors(reply, 403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    }
    limits.used += 1;
    void reply.header('Sforce-Limit-Info', `api-usage=${limits.used}/${limits.max}`);
    if (!DATA_PATH.test(url.pathname) || url.pathname.endsWith('/describe')) return;
    const fault = faults.take(request.method);
    if (fault === undefined) return;
    return applyFault(fault, request, reply);
  });

  app.addHook('onSend', async (request, _reply, payload) => {
    const afterWrite = (request as FastifyRequest & { afterWrite?: 'hang' | 'reset' }).afterWrite;
    if (afterWrite === 'hang') await new Promise<void>((resolve) => held.add(resolve));
    if (afterWrite !== undefined) request.raw.socket.destroy();
    return payload;
  });

  app.post('/services/oauth2/token', async (request, reply) => {
    const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
    const answer = await oauth.grant(form, baseUrl);
    return reply.code(answer.status).send(answer.body);
  });

  registerRestRoutes(app, context);
  registerBulkRoutes(app, context);

  const emulator: SalesforceEmulator = {
    get url() {
      return baseUrl;
    },
    get loginUrl() {
      return baseUrl;
    },
    clientId: clients[0]?.clientId ?? DEFAULT_CLIENT.clientId,
    clientSecret: clients[0]?.clientSecret ?? DEFAULT_CLIENT.clientSecret,
    username: clients[0]?.usernames?.[0] ?? DEFAULT_USERNAME,
    async close() {
      bulk.close();
      for (const release of held) release();
      held.clear();
      await app.close();
    },
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    lockRows(count) {
      store.lockFailures += count;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setApiLimit(limit) {
      if (limit.max !== undefined) limits.max = limit.max;
      if (limit.used !== undefined) limits.used = limit.used;
    },
    apiUsage: () => ({ ...limits }),
    expireTokens: () => oauth.expireAll(),
    issueToken: () => oauth.issueDirect(baseUrl),
    failNextBulkJobAfter(rows) {
      bulk.knobs.failNextJobAfterRows = rows;
    },
    seed(objectName, fields) {
      const object = objects.get(objectName.toLowerCase());
      if (object === undefined) throw new Error(`emulator has no sObject ${objectName}`);
      const values = new Map<string, SfValue>();
      for (const [name, raw] of Object.entries(fields)) {
        const field = object.byLowerName.get(name.toLowerCase());
        if (field === undefined) throw new Error(`${object.name} has no field ${name}`);
        const coerced = coerceJsonValue(field, raw);
        if (!coerced.ok) throw new Error(`${object.name}.${name}: ${coerced.message}`);
        if (coerced.value !== null) values.set(field.name, coerced.value);
      }
      return store.seed(object, values, new Date());
    },
    records(objectName) {
      const object = objects.get(objectName.toLowerCase());
      if (object === undefined) throw new Error(`emulator has no sObject ${objectName}`);
      return store.all(object.name).map((record) => ({ Id: record.Id, ...Object.fromEntries(record.values) }));
    },
    requests: () => [...log],
    reset() {
      store.reset();
      bulk.reset();
      faults.clear();
      log.length = 0;
      limits.used = 0;
    },
  };

  registerAdminRoutes(app, emulator);
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  baseUrl = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  return emulator;
}

/** `/__emulator/*`: the knobs over HTTP, for the emulator run alone. */
function registerAdminRoutes(app: FastifyInstance, emulator: SalesforceEmulator): void {
  app.post('/__emulator/faults', (request, reply) => {
    try {
      emulator.injectFault(request.body as SalesforceEmulatorFault);
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
    return reply.code(204).send();
  });
  app.delete('/__emulator/faults', (_request, reply) => {
    emulator.clearFaults();
    return reply.code(204).send();
  });
  app.post('/__emulator/lock-rows', (request, reply) => {
    emulator.lockRows(Number((request.body as { count?: unknown } | undefined)?.count ?? 1));
    return reply.code(204).send();
  });
  app.post('/__emulator/latency', (request, reply) => {
    emulator.setLatency(Number((request.body as { ms?: unknown } | undefined)?.ms ?? 0));
    return reply.code(204).send();
  });
  app.post('/__emulator/limits', (request, reply) => {
    const body = (request.body ?? {}) as { max?: number; used?: number };
    emulator.setApiLimit(body);
    return reply.code(200).send(emulator.apiUsage());
  });
  app.get('/__emulator/limits', () => emulator.apiUsage());
  app.post('/__emulator/expire-tokens', (_request, reply) => {
    emulator.expireTokens();
    return reply.code(204).send();
  });
  app.post('/__emulator/bulk-fail', (request, reply) => {
    emulator.failNextBulkJobAfter(Number((request.body as { rows?: unknown } | undefined)?.rows ?? 0));
    return reply.code(204).send();
  });
  app.get<{ Params: { object: string } }>('/__emulator/records/:object', (request, reply) => {
    try {
      return emulator.records(request.params.object);
    } catch (error) {
      return reply.code(404).send({ error: (error as Error).message });
    }
  });
  app.post<{ Params: { object: string } }>('/__emulator/records/:object', (request, reply) => {
    try {
      return reply.code(201).send({ id: emulator.seed(request.params.object, request.body as Record<string, SfValue | null>) });
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
  });
  app.get('/__emulator/requests', () => emulator.requests());
  app.post('/__emulator/reset', (_request, reply) => {
    emulator.reset();
    return reply.code(204).send();
  });
}
