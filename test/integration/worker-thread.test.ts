import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { groupedSettle } from '../../src/app/grouped-settle.js';
import { loadConfig } from '../../src/config/config-loader.js';
import type { JobOutcomeStore, SettleInput } from '../../src/ports/job-outcome-store.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { ManualClock } from '../support/manual-clock.js';
import { auditDraft, newEvent } from '../support/storage-fixtures.js';
import { tempDirForThisTest } from '../support/temp-dir.js';

// The service runs its worker in a worker_threads thread (own SQLite connection on the
// same WAL file), and the realtime lane settles jobs in groups: one transaction for
// the settles that arrive together.

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temp directory removed when the test finishes (after the cleanups above). */
function tempDir(): string {
  return tempDirForThisTest('leadsync-thread-');
}

describe('grouped settles (realtime lane)', () => {
  async function claimed(storage: SqliteStorage, count: number): Promise<string[]> {
    const clock = new ManualClock();
    for (let i = 0; i < count; i += 1) await storage.ingest.accept(newEvent({ leadId: `lead-${i}`, receivedAt: clock.now() }));
    const jobs = await storage.jobs.claim({ lane: 'realtime', limit: count, workerId: 'w', now: clock.now(), visibilityMs: 60_000 });
    return jobs.map((job) => job.id);
  }

  function counting(store: JobOutcomeStore): { store: JobOutcomeStore; calls: { settleMany: number[]; settle: number } } {
    const calls = { settleMany: [] as number[], settle: 0 };
    return {
      calls,
      store: {
        settle: (input) => ((calls.settle += 1), store.settle(input)),
        settleMany: (inputs) => (calls.settleMany.push(inputs.length), store.settleMany(inputs)),
      },
    };
  }

  it('writes the settles of one turn in one transaction, each caller getting its own result', async () => {
    const storage = openSqliteStorage({ file: join(tempDir(), 'q.db') });
    cleanups.push(() => storage.close());
    const ids = await claimed(storage, 4);
    const { store, calls } = counting(storage.outcomes);
    const grouped = groupedSettle(store);
    const inputs: SettleInput[] = ids.map((id, index) => ({ job: { id, workerId: index === 2 ? 'someone-else' : 'w' }, audit: [auditDraft({ leadKey: `webform:lead-${index}` })] }));
    const results = await Promise.all(inputs.map((input) => grouped.settle(input)));
    expect(calls).toEqual({ settleMany: [4], settle: 0 });
    // The third presented another worker's id: lost claim for it alone, the others settled.
    expect(results.map((result) => result.status)).toEqual(['settled', 'settled', 'lost_claim', 'settled']);
    expect((await storage.audit.search({ limit: 10 })).items).toHaveLength(3);
    expect(await storage.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
  });

  it('settles each input on its own when the grouped transaction fails, so only the bad one fails', async () => {
    const storage = openSqliteStorage({ file: join(tempDir(), 'q.db') });
    cleanups.push(() => storage.close());
    const ids = await claimed(storage, 3);
    const { store, calls } = counting(storage.outcomes);
    const grouped = groupedSettle(store);
    // A draft the audit store refuses (no lead key) makes the whole grouped transaction roll back.
    const bad = { ...auditDraft(), leadKey: '' };
    const settled = await Promise.allSettled(ids.map((id, index) => grouped.settle({ job: { id, workerId: 'w' }, audit: [index === 1 ? bad : auditDraft()] })));
    expect(calls.settleMany).toEqual([3]);
    expect(calls.settle).toBe(3);
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await storage.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
  });
});

describe('the service worker in a worker thread', () => {
  async function serve(): Promise<{ service: RunningService; file: string }> {
    const dir = tempDir();
    const config = await loadConfig('examples/leadsync.yaml', { env: {} });
    const file = join(dir, 'leadsync.db');
    const document = { ...config.document, storage: { ...config.document.storage, file }, sources: { ...config.document.sources, webform: { ...config.document.sources['webform']!, signature: { scheme: 'none' as const } } } };
    const configured = { ...config, document, sources: new Map([...config.sources].map(([name, source]) => [name, name === 'webform' ? { ...source, config: document.sources.webform } : source])) };
    const service = await startService(configured, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) });
    return { service, file };
  }

  it('processes events off the HTTP thread and merges its metrics into /metrics', async () => {
    const { service } = await serve();
    cleanups.push(() => service.stop());
    expect(service.workerMode).toBe('thread');
    const body = readFileSync('test/fixtures/webform/demo-request.json');
    const response = await fetch(`${service.url}/v1/events/webform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(202);
    const deadline = Date.now() + 20_000;
    while ((await service.storage.jobs.depth()).realtime > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await service.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
    expect((await service.storage.audit.history('contacts:ada.lovelace@acme-analytics.co.uk')).map((entry) => entry.outcome)).toContain('written');
    // The job was counted by the thread's registry; the service's exposition includes it.
    const exposition = await service.metrics.exposition();
    expect(exposition.body).toMatch(/leadsync_jobs_processed_total\{[^}]*lane="realtime"[^}]*\} 1/);
  });

  it('stops gracefully: in-flight work finished, the thread ended, the database closed', async () => {
    const { service, file } = await serve();
    const body = readFileSync('test/fixtures/webform/contact-us-german.json');
    expect((await fetch(`${service.url}/v1/events/webform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(202);
    await service.stop();
    // Whatever was claimed was finished before the thread ended: nothing is left claimed.
    const reopened = openSqliteStorage({ file });
    cleanups.push(() => reopened.close());
    const claimedRows = reopened.database.prepare('SELECT count(*) AS n FROM jobs WHERE claimed_by IS NOT NULL').get() as { n: number };
    expect(claimedRows.n).toBe(0);
  });
});
