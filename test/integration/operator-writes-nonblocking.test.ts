import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isSqliteBusy, useNonblockingWrites } from '../../src/adapter-support/sqlite-nonblocking-write.js';
import { SqliteRateLimitStore } from '../../src/adapters/sqlite/sqlite-rate-limit-store.js';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import type { RateLimitPolicy } from '../../src/core/rate-limit/token-bucket.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildHttpApp } from '../../src/server/http-app.js';
import { startService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import type { Runtime, RuntimeStorage } from '../../src/server/runtime.js';
import { grantToken, type AuthHeaders } from '../support/api-token-fixtures.js';
import { acceptFixture, acceptPayload, drainQueue, fixturePayload, operatorWorkspaceForThisTest } from '../support/operator-workspace.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

// An operator's write over HTTP (DLQ replay/discard, approval decisions, tokens, the record of a token's use) must
// not sleep the HTTP thread's event loop while another connection holds SQLite's write lock, as the worker thread's
// does many times a second: /healthz (and ingest) are answered meanwhile, and the operator's answer comes once the
// write has committed (docs/decisions/0033-operator-writes-off-the-busy-handler.md).

const GRACE = 'contacts:grace.hopper@navy-labs.example.com';
const ADA = 'contacts:ada.lovelace@acme-analytics.co.uk';

interface Served {
  readonly runtime: Runtime;
  readonly url: string;
  readonly dbFile: string;
  /** Resolves when the HTTP app first calls `method` of the storage port `port`, just before that write runs. */
  writeStarted(port: 'deadLetters' | 'approvals' | 'apiTokens', method: string): Promise<void>;
}

/**
 * The HTTP app over a real SQLite file, listening on a free port. Its storage ports are the runtime's own, seen
 * through a proxy that only tells when a given write method is called (the write itself is the adapter's).
 */
async function serve(prepare: (runtime: Runtime) => Promise<void>): Promise<Served> {
  const workspace = operatorWorkspaceForThisTest();
  const runtime = await workspace.open('original');
  await prepare(runtime);
  const watched = new Map<string, () => void>();
  const watch = <T extends object>(name: string, target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          watched.get(`${name}.${String(property)}`)?.();
          return method.apply(object, args);
        };
      },
    });
  const storage: RuntimeStorage = {
    ...runtime.storage,
    deadLetters: watch('deadLetters', runtime.storage.deadLetters),
    approvals: watch('approvals', runtime.storage.approvals),
    apiTokens: watch('apiTokens', runtime.storage.apiTokens),
  };
  const app = buildHttpApp({ runtime: { ...runtime, storage }, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
  onTestFinished(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    runtime,
    url: `http://127.0.0.1:${port}`,
    dbFile: workspace.dbFile,
    writeStarted: (port, method) => new Promise((resolve) => watched.set(`${port}.${method}`, resolve)),
  };
}

/** A second connection on the same file, holding the write lock (BEGIN IMMEDIATE) until `release`. */
function holdWriteLock(file: string): { release(): void } {
  const other = new Database(file);
  onTestFinished(() => {
    if (other.inTransaction) other.prepare('ROLLBACK').run();
    other.close();
  });
  other.prepare('BEGIN IMMEDIATE').run();
  return { release: () => other.prepare('COMMIT').run() };
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(url: string, method: 'GET' | 'POST', headers: AuthHeaders | Record<string, never>, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Sends the operator's request while another connection holds the write lock; once that request's write has
 * begun, /healthz must be answered with the operator's request still pending; then the lock is released and the
 * operator's answer is returned. A write that slept the HTTP thread in SQLite's busy handler would answer nothing
 * until its busy timeout ran out, and then fail with SQLITE_BUSY.
 */
async function whileLocked(served: Pick<Served, 'url' | 'dbFile'>, started: Promise<void>, send: () => Promise<Answer>): Promise<Answer> {
  const lock = holdWriteLock(served.dbFile);
  let settled = false;
  const operator = send().finally(() => {
    settled = true;
  });
  // The write has begun, or the request was answered without it (a write before it failed on the held lock).
  await Promise.race([started, operator]);
  expect(settled, 'the operator request was answered while the write lock was still held').toBe(false);
  const health = await call(`${served.url}/healthz`, 'GET', {});
  expect(health).toEqual({ status: 200, body: { status: 'ok' } });
  expect(settled, 'the operator request was answered while the write lock was still held').toBe(false);
  lock.release();
  return operator;
}

/** One open DLQ item (a picklist mismatch). */
async function deadLetter(runtime: Runtime): Promise<string> {
  await acceptFixture(runtime, 'webform', 'webform/bad-lead-source.json');
  await drainQueue(runtime);
  const [item] = (await runtime.storage.deadLetters.list()).items;
  if (!item) throw new Error('expected a DLQ item');
  return item.id;
}

/** Ada written, then an owner change waiting for approval; returns the item id. */
async function pendingApproval(runtime: Runtime): Promise<string> {
  await acceptFixture(runtime, 'webform', 'webform/demo-request.json');
  await drainQueue(runtime);
  await acceptPayload(runtime, 'webform', fixturePayload('webform/owner-change.json'));
  await drainQueue(runtime);
  const [item] = (await runtime.storage.approvals.list({ status: 'pending' })).items;
  if (!item) throw new Error('expected a pending approval');
  return item.id;
}

/** An operator token whose use is already recorded, so a request with it writes nothing before the action itself. */
async function usedToken(served: Pick<Served, 'url' | 'runtime'>, name: string, role: 'operator' | 'admin' = 'operator'): Promise<AuthHeaders> {
  const auth = await grantToken(served.runtime.storage.apiTokens, name, role);
  expect((await call(`${served.url}/v1/dlq`, 'GET', auth)).status).toBe(200);
  return auth;
}

describe('operator writes over HTTP while another connection holds the SQLite write lock', () => {
  it('DLQ replay: /healthz is answered meanwhile; the replay commits once the lock is free, audited with the person', async () => {
    let id = '';
    const served = await serve(async (runtime) => {
      id = await deadLetter(runtime);
    });
    const maria = await usedToken(served, 'maria@example.com');

    const answer = await whileLocked(served, served.writeStarted('deadLetters', 'markReplayed'), () => call(`${served.url}/v1/dlq/${id}/replay`, 'POST', maria));

    expect(answer).toMatchObject({ status: 200, body: { status: 'replayed', item: { id, status: 'replayed', resolvedBy: 'maria@example.com' } } });
    expect(await served.runtime.storage.deadLetters.get(id)).toMatchObject({ status: 'replayed', resolvedBy: 'maria@example.com' });
    expect((await served.runtime.storage.audit.history(GRACE)).at(-1)).toMatchObject({ outcome: 'replayed', actor: { kind: 'person', name: 'maria@example.com' } });
  });

  it('DLQ replay of every item with a code, and discard', async () => {
    let first = '';
    let second = '';
    const served = await serve(async (runtime) => {
      first = await deadLetter(runtime);
      await acceptPayload(runtime, 'webform', fixturePayload('webform/bad-lead-source.json', { submission_id: 'sub_second', email: 'second@navy-labs.example.com' }));
      await drainQueue(runtime);
      second = (await runtime.storage.deadLetters.list()).items.find((item) => item.id !== first)?.id ?? '';
    });
    const maria = await usedToken(served, 'maria@example.com');

    const discarded = await whileLocked(served, served.writeStarted('deadLetters', 'markDiscarded'), () => call(`${served.url}/v1/dlq/${second}/discard`, 'POST', maria));
    expect(discarded).toMatchObject({ status: 200, body: { status: 'discarded', item: { id: second, status: 'discarded', resolvedBy: 'maria@example.com' } } });

    const replayed = await whileLocked(served, served.writeStarted('deadLetters', 'markReplayed'), () => call(`${served.url}/v1/dlq/replay`, 'POST', maria, { code: 'CRM_PICKLIST_MISMATCH' }));
    expect(replayed).toMatchObject({ status: 200, body: { code: 'CRM_PICKLIST_MISMATCH', dryRun: false, results: [{ status: 'replayed', item: { id: first, resolvedBy: 'maria@example.com' } }] } });
    // A second action on the same item still maps to its own code.
    expect(await call(`${served.url}/v1/dlq/${second}/discard`, 'POST', maria)).toMatchObject({ status: 409, body: { code: 'DLQ_ITEM_NOT_OPEN' } });
  });

  it('approval rejection', async () => {
    let id = '';
    const served = await serve(async (runtime) => {
      id = await pendingApproval(runtime);
    });
    const sam = await usedToken(served, 'sam@example.com');

    const answer = await whileLocked(served, served.writeStarted('approvals', 'decide'), () => call(`${served.url}/v1/approvals/${id}/reject`, 'POST', sam));

    expect(answer).toMatchObject({ status: 200, body: { status: 'rejected', item: { id, status: 'rejected', decidedBy: 'sam@example.com' } } });
    expect((await served.runtime.storage.audit.history(ADA)).at(-1)).toMatchObject({ outcome: 'rejected', actor: { kind: 'person', name: 'sam@example.com' } });
  });

  it('token create and revoke', async () => {
    const served = await serve(() => Promise.resolve());
    const admin = await usedToken(served, 'root@example.com', 'admin');

    const created = await whileLocked(served, served.writeStarted('apiTokens', 'create'), () => call(`${served.url}/v1/tokens`, 'POST', admin, { name: 'dashboard-bot', role: 'viewer' }));
    expect(created).toMatchObject({ status: 201, body: { token: { name: 'dashboard-bot', role: 'viewer', revokedAt: null } } });
    const taken = await whileLocked(served, served.writeStarted('apiTokens', 'create'), () => call(`${served.url}/v1/tokens`, 'POST', admin, { name: 'dashboard-bot', role: 'viewer' }));
    expect(taken).toMatchObject({ status: 409, body: { code: 'AUTH_TOKEN_NAME_TAKEN' } });

    const revoked = await whileLocked(served, served.writeStarted('apiTokens', 'revoke'), () => call(`${served.url}/v1/tokens/dashboard-bot/revoke`, 'POST', admin));
    expect(revoked).toMatchObject({ status: 200, body: { status: 'revoked', token: { name: 'dashboard-bot' } } });
    expect((await served.runtime.storage.apiTokens.list()).find((token) => token.name === 'dashboard-bot')?.revokedAt).toBeInstanceOf(Date);
  });

  it("a token's first use, recorded on a read request", async () => {
    const served = await serve(() => Promise.resolve());
    const fresh = await grantToken(served.runtime.storage.apiTokens, 'fresh@example.com', 'viewer');

    const answer = await whileLocked(served, served.writeStarted('apiTokens', 'touch'), () => call(`${served.url}/v1/dlq`, 'GET', fresh));

    expect(answer).toMatchObject({ status: 200, body: { items: [] } });
    expect((await served.runtime.storage.apiTokens.list()).find((token) => token.name === 'fresh@example.com')?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('approval in the running service: the CRM write (sandbox, on the HTTP thread\'s connection) and the decision', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const id = await pendingApproval(await workspace.open('original'));
    const service = await startService(await workspace.load('original'), { port: 0, host: '127.0.0.1', worker: false, log: () => undefined, logger: createLogger({ level: 'silent' }) });
    onTestFinished(() => service.stop());
    const served = { url: service.url, dbFile: workspace.dbFile, runtime: service.runtime };
    const maria = await usedToken(served, 'maria@example.com');
    // The approval's first write is the CRM's; the service's own CRM object, told when its upsert is called.
    const crm = service.runtime.crm;
    const upsert = crm.upsert.bind(crm);
    const started = new Promise<void>((resolve) => {
      crm.upsert = (...args) => {
        resolve();
        return upsert(...args);
      };
    });

    const answer = await whileLocked(served, started, () => call(`${service.url}/v1/approvals/${id}/approve`, 'POST', maria));

    expect(answer).toMatchObject({ status: 200, body: { status: 'approved', write: { field: 'hubspot_owner_id', after: 'owner-4471' }, item: { id, status: 'approved', decidedBy: 'maria@example.com' } } });
    const [record] = await service.runtime.crm.read('contacts', [{ idField: 'email', id: 'ada.lovelace@acme-analytics.co.uk' }]);
    expect(record).toMatchObject({ ok: true, found: true, properties: { hubspot_owner_id: 'owner-4471' } });
    expect((await service.runtime.storage.audit.history(ADA)).at(-1)).toMatchObject({ outcome: 'approved', actor: { kind: 'person', name: 'maria@example.com' } });
  });
});

describe('writes of adapters shared with the worker thread, per connection', () => {
  const POLICY: RateLimitPolicy = { requests: 100, intervalMs: 10_000, burst: 0.1, realtimeReserve: 0.2, headroom: 0 };
  const take = { destination: 'hubspot', lane: 'realtime', cost: 1, policy: POLICY } as const;

  it('a rate-limit bucket on the marked connection (the HTTP thread\'s) waits for the lock with its event loop free', async () => {
    const file = join(tempDirForThisTest('leadsync-operator-writes-'), 'leadsync.db');
    const storage = openSqliteStorage({ file, busyTimeoutMs: 3000 });
    onTestFinished(() => storage.close());
    useNonblockingWrites(storage.database);
    const lock = holdWriteLock(file);

    const taking = new SqliteRateLimitStore(storage.database).take({ ...take, now: new Date() });
    // Released from a timer: a take that slept this thread in SQLite's busy handler would keep it from running.
    setTimeout(() => lock.release(), 20);

    expect(await taking).toEqual({ granted: true });
  });

  it('on a connection not marked (the worker thread\'s) it keeps the busy handler: SQLITE_BUSY at its busy timeout', async () => {
    const file = join(tempDirForThisTest('leadsync-operator-writes-'), 'leadsync.db');
    const storage = openSqliteStorage({ file, busyTimeoutMs: 50 });
    onTestFinished(() => storage.close());
    const lock = holdWriteLock(file);

    const error: unknown = await new SqliteRateLimitStore(storage.database).take({ ...take, now: new Date() }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    lock.release();
    expect(isSqliteBusy(error)).toBe(true);
  });
});
