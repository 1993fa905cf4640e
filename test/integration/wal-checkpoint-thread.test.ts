import { statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../src/config/config-loader.js';
import { prepareEvent } from '../../src/core/plan/event-planner.js';
import type { NewEvent } from '../../src/ports/ingest-store.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { sqliteDatabaseOf, type Runtime } from '../../src/server/runtime.js';
import { SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES } from '../../src/server/wal-checkpointer.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { waitFor, waitUntil } from '../support/wait-for.js';

// Every writing connection of a process leaves WAL checkpoints to the process's checkpoint thread
// (docs/decisions/0027-checkpoints-off-every-writing-connection.md): the HTTP thread's, the worker thread's
// and `leadsync worker`'s. If the thread ends, they checkpoint inside their commits again; under load the
// thread keeps the WAL file from growing without bound.

const dirs: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) removeTempDir(dir);
});

async function tempConfig(): Promise<LoadedConfig> {
  const dir = makeTempDir('leadsync-checkpoint-');
  dirs.push(dir);
  const config = await loadConfig('examples/leadsync.yaml', { env: { WEBFORM_SECRET: 'whsec_bGVhZHN5bmMtdGVzdC1zZWNyZXQ=' } });
  return { ...config, document: { ...config.document, storage: { ...config.document.storage, file: join(dir, 'leadsync.db') } } };
}

async function started(config: LoadedConfig, options: Omit<Parameters<typeof startService>[1], 'log'>): Promise<RunningService> {
  const service = await startService(config, { log: () => undefined, logger: createLogger({ level: 'silent' }), ...options });
  cleanups.push(() => service.stop());
  return service;
}

const autocheckpointOf = (db: Database.Database): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;

/** Webform events for the batch lane, prepared as ingest prepares them: a new contact each. */
function webformEvents(runtime: Runtime, from: number, count: number): NewEvent[] {
  const source = runtime.sources.get('webform');
  if (!source) throw new Error('no webform source');
  return Array.from({ length: count }, (_, index) => {
    const i = from + index;
    const payload = { submission_id: `load-${i}`, submitted_at: '2026-11-20T14:03:11Z', email: `lead${i}@company-${i % 50}.com`, first_name: 'Load', last_name: `Lead ${i}`, company: `Company ${i % 50}` };
    const prepared = prepareEvent(payload, source.context);
    if (!prepared.ok) throw new Error(prepared.rejection.message);
    const primary = prepared.objects.find((object) => object.status === 'ready');
    return { source: 'webform', leadId: prepared.leadId, leadKey: primary?.status === 'ready' ? primary.leadKey : prepared.leadId, idempotencyKey: prepared.idempotencyKey, payloadHash: prepared.payloadHash, payload, receivedAt: new Date(), lane: 'batch' };
  });
}

describe('leadsync serve: checkpoints in a thread for every connection', () => {
  it('runs the worker thread\'s connection without automatic checkpoints, and turns them on again when the checkpoint thread ends', async () => {
    const service = await started(await tempConfig(), { port: 0, host: '127.0.0.1', worker: true });
    const { workerThread, walCheckpoints } = service;
    if (!workerThread || !walCheckpoints) throw new Error('expected the worker thread and the checkpoint thread under serve on a file');
    expect(walCheckpoints.running).toBe(true);
    expect(workerThread.walAutocheckpoint()).toBe(0);
    expect(autocheckpointOf(sqliteDatabaseOf(service.runtime))).toBe(0);

    await walCheckpoints.terminate();

    // The worker thread reads its connection's setting back after the message: the fallback reached that thread.
    await waitUntil(() => workerThread.walAutocheckpoint() === SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES, 'the worker thread to checkpoint automatically again');
    expect(walCheckpoints.running).toBe(false);
    expect(autocheckpointOf(sqliteDatabaseOf(service.runtime))).toBe(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
  });
});

describe('leadsync worker: its own checkpoint thread', () => {
  it('checkpoints for the worker\'s connection and keeps the WAL file bounded while the worker writes', async () => {
    const rounds: { walPages: number; restarted: boolean }[] = [];
    // As `leadsync worker` starts it (worker-command.ts), with a small WAL bound so a short run crosses it many times.
    const service = await started(await tempConfig(), {
      worker: true,
      http: false,
      walCheckpoints: { intervalMs: 20, restartAtPages: 128, onCheckpoint: (round) => rounds.push(round) },
    });
    expect(service.workerMode).toBe('event-loop');
    expect(service.walCheckpoints?.running).toBe(true);
    expect(autocheckpointOf(sqliteDatabaseOf(service.runtime))).toBe(0);

    // Ingest and the worker on the service's connection, which does not checkpoint: only the thread keeps the WAL in check.
    const wal = `${service.storage.location}-wal`;
    const events = 1200;
    let walPeakBytes = 0;
    for (let from = 0; from < events; from += 100) {
      await service.storage.ingest.acceptMany(webformEvents(service.runtime, from, 100));
      walPeakBytes = Math.max(walPeakBytes, statSync(wal).size);
    }
    await waitFor(async () => {
      walPeakBytes = Math.max(walPeakBytes, statSync(wal).size);
      const depth = await service.storage.jobs.depth();
      return depth.batch === 0 ? true : undefined;
    }, 'the worker to process every event', { timeoutMs: 60_000, intervalMs: 5 });
    const written = sqliteDatabaseOf(service.runtime).prepare<[], { n: number }>("SELECT count(*) AS n FROM audit_log WHERE outcome = 'written' AND object = 'contacts'").get()?.n;
    expect(written).toBe(events);

    // At least how many frames the run appended to the WAL, from what each round found there: its growth since
    // the round before, or all of it after the WAL started again from empty (frames appended between a round and
    // such a restart are missed, so this undercounts).
    const pageSize = sqliteDatabaseOf(service.runtime).pragma('page_size', { simple: true }) as number;
    let framesWritten = 0;
    let previous = 0;
    for (const round of rounds) {
      framesWritten += round.walPages >= previous ? round.walPages - previous : round.walPages;
      previous = round.restarted ? 0 : round.walPages;
    }
    expect(rounds.some((round) => round.walPages > 0)).toBe(true);
    // The thread started the WAL over (RESTART past the bound) more than once while the worker wrote...
    expect(rounds.filter((round) => round.restarted).length).toBeGreaterThan(1);
    // ...so the file never held every frame the run appended, as a WAL that only grew would. (How far below
    // depends on how many frames the writers append between two rounds, i.e. on the machine's load.)
    expect(walPeakBytes).toBeLessThan(framesWritten * pageSize);

    // Idle: the next rounds empty the WAL file.
    await waitUntil(() => statSync(wal).size === 0, 'the idle WAL to be truncated');
  });
});
