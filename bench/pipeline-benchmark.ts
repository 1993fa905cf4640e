import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { processBatch } from '../src/app/batch-processor.js';
import { prepareEvent } from '../src/core/plan/event-planner.js';
import { loadConfig } from '../src/config/config-loader.js';
import type { NewEvent } from '../src/ports/ingest-store.js';
import { openRuntime } from '../src/server/runtime.js';

// In one run, on the same machine and durability setting:
// 1. the raw SQLite queue limit: enqueue + claim + complete of no-op jobs in batched transactions;
// 2. leadsync end to end: accept (idempotency gate + event store + enqueue) → claim → plan →
//    sandbox CRM read and write → audit + field state + completion, on generated events.

export interface PipelineBenchResult {
  readonly events: number;
  readonly synchronous: 'normal' | 'full';
  readonly rawJobsPerSecond: number;
  readonly endToEndEventsPerSecond: number;
  readonly ingestEventsPerSecond: number;
  readonly ratio: number;
}

function rawQueueJobsPerSecond(file: string, jobs: number, synchronous: 'normal' | 'full', batch: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY, lead TEXT NOT NULL, payload TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, claimed_by TEXT)');
  db.exec('CREATE INDEX q_state ON q (state, id)');
  const insert = db.prepare('INSERT INTO q (lead, payload) VALUES (?, ?)');
  const claim = db.prepare("UPDATE q SET state = 1, claimed_by = 'w' WHERE id IN (SELECT id FROM q WHERE state = 0 ORDER BY id LIMIT ?) RETURNING id");
  const complete = db.prepare('DELETE FROM q WHERE id = ?');
  const enqueueMany = db.transaction((from: number, count: number) => {
    for (let i = from; i < from + count; i += 1) insert.run(`lead-${i}`, '{}');
  });
  const claimBatch = db.transaction((count: number) => claim.all(count) as { id: number }[]);
  const completeMany = db.transaction((ids: number[]) => {
    for (const id of ids) complete.run(id);
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < jobs; i += batch) enqueueMany(i, Math.min(batch, jobs - i));
  for (;;) {
    const claimed = claimBatch(batch);
    if (claimed.length === 0) break;
    completeMany(claimed.map((row) => row.id));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return jobs / seconds;
}

const COMPANIES = 500;

/**
 * Webform submission number `i`: a new contact at one of 500 companies (each
 * its own registrable domain, so its own company record), picked by a hash of
 * `i`: a batch of 100 holds about 9 contacts whose company another contact of
 * the batch also names, as real traffic does, so shared records are exercised.
 */
export function benchPayload(i: number): Record<string, unknown> {
  // An integer hash (murmur3's finalizer), so neighbouring events land on unrelated companies.
  let h = Math.imul(i ^ (i >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  const n = ((h ^ (h >>> 16)) >>> 0) % COMPANIES;
  return {
    submission_id: `bench-${i}`,
    submitted_at: '2026-11-20T14:03:11Z',
    email: `lead${i}@bench-company-${n}.com`,
    first_name: 'Bench',
    last_name: `Lead ${i}`,
    job_title: i % 3 === 0 ? 'VP Marketing' : i % 3 === 1 ? 'Senior Data Engineer' : 'Account Executive',
    company: `Bench ${n} GmbH`,
    website: `https://bench-company-${n}.com`,
    country: i % 2 === 0 ? 'Germany' : 'USA',
    phone: '+49 30 901820',
    form: 'Demo Request',
  };
}

export async function runPipelineBenchmark(events = 20_000, synchronous: 'normal' | 'full' = 'full'): Promise<PipelineBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-bench-'));
  try {
    const rawJobsPerSecond = rawQueueJobsPerSecond(join(dir, 'raw.db'), events, synchronous, 100);

    const config = await loadConfig('examples/leadsync.yaml', { env: {} });
    const runtime = openRuntime({ ...config, document: { ...config.document, storage: { ...config.document.storage, file: join(dir, 'leadsync.db'), synchronous } } });
    const source = runtime.sources.get('webform');
    if (!source) throw new Error('no webform source');
    const payloads = Array.from({ length: events }, (_, i) => benchPayload(i));

    const started = process.hrtime.bigint();
    for (let i = 0; i < events; i += 500) {
      const batch: NewEvent[] = [];
      for (const payload of payloads.slice(i, i + 500)) {
        const prepared = prepareEvent(payload, source.context);
        if (!prepared.ok) throw new Error(prepared.rejection.message);
        const primary = prepared.objects.find((object) => object.status === 'ready');
        batch.push({ source: 'webform', leadId: prepared.leadId, leadKey: primary?.status === 'ready' ? primary.leadKey : prepared.leadId, idempotencyKey: prepared.idempotencyKey, payloadHash: prepared.payloadHash, payload, receivedAt: new Date(), lane: 'batch' });
      }
      await runtime.storage.ingest.acceptMany(batch);
    }
    const ingested = process.hrtime.bigint();
    for (;;) {
      const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, workerId: 'bench', now: new Date(), visibilityMs: 60_000 });
      if (jobs.length === 0) break;
      const outcomes = await processBatch(jobs, 'bench', runtime.processorDeps);
      const unsettled = outcomes.filter((outcome) => outcome.kind !== 'settled');
      if (unsettled.length > 0) throw new Error(`unexpected outcomes: ${JSON.stringify(unsettled[0])}`);
    }
    const finished = process.hrtime.bigint();
    const depth = await runtime.storage.jobs.depth();
    if (depth.batch + depth.realtime !== 0) throw new Error('queue not drained');
    await runtime.close();
    const endToEndEventsPerSecond = events / (Number(finished - started) / 1e9);
    return {
      events,
      synchronous,
      rawJobsPerSecond,
      endToEndEventsPerSecond,
      ingestEventsPerSecond: events / (Number(ingested - started) / 1e9),
      ratio: endToEndEventsPerSecond / rawJobsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
