// scratch: where does the pipeline's time and I/O go
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { processBatch } from '../../src/app/batch-processor.js';
import { prepareEvent } from '../../src/core/plan/event-planner.js';
import { loadConfig } from '../../src/config/config-loader.js';
import type { NewEvent } from '../../src/ports/ingest-store.js';
import { openRuntime } from '../../src/server/runtime.js';
import { benchPayload } from '../pipeline-benchmark.js';

const events = Number(process.argv[2] ?? 2000);
const sync = (process.argv[3] ?? 'normal') as 'normal' | 'full';
const autockpt = process.argv[4] ?? 'default';
const dir = mkdtempSync(join(tmpdir(), 'leadsync-an-'));
const file = join(dir, 'leadsync.db');

const stmtCounts = new Map<string, number>();
const proto = Object.getPrototypeOf(new Database(':memory:').prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
for (const m of process.env['COUNT'] === '1' ? ['run', 'get', 'all', 'iterate'] : []) {
  const orig = proto[m]!;
  proto[m] = function (this: { source: string }, ...args: unknown[]) {
    const k = this.source.replace(/\s+/g, ' ').slice(0, 90);
    stmtCounts.set(k, (stmtCounts.get(k) ?? 0) + 1);
    return orig.apply(this, args);
  };
}

const config = await loadConfig('examples/leadsync.yaml', { env: {} });
const runtime = openRuntime({ ...config, document: { ...config.document, storage: { ...config.document.storage, file, synchronous: sync } } });
const db = runtime.storage.database;
if (autockpt !== 'default') db.pragma(`wal_autocheckpoint = ${autockpt}`);
console.log('page_size', db.pragma('page_size', { simple: true }), 'cache_size', db.pragma('cache_size', { simple: true }), 'autockpt', db.pragma('wal_autocheckpoint', { simple: true }));
const pageSize = Number(db.pragma('page_size', { simple: true }));
const walFrames = (): number => { try { return Math.max(0, (statSync(`${file}-wal`).size - 32) / (pageSize + 24)); } catch { return 0; } };

const phases = new Map<string, { ms: number; cpu: number; calls: number; frames: number }>();
function wrap<T extends object>(obj: T, method: keyof T & string, label: string): void {
  const orig = (obj[method] as (...a: unknown[]) => Promise<unknown>).bind(obj);
  (obj as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const f0 = walFrames(); const t0 = performance.now(); const c0 = process.cpuUsage();
    try { return await orig(...args); } finally {
      const c = process.cpuUsage(c0); const p = phases.get(label) ?? { ms: 0, cpu: 0, calls: 0, frames: 0 };
      p.ms += performance.now() - t0; p.cpu += (c.user + c.system) / 1000; p.calls += 1; p.frames += Math.max(0, walFrames() - f0);
      phases.set(label, p);
    }
  };
}
wrap(runtime.crm, 'read', 'crm.read');
wrap(runtime.crm, 'upsert', 'crm.upsert');
wrap(runtime.storage.outcomes, 'settleMany', 'settleMany');
wrap(runtime.storage.outcomes, 'settle', 'settle');
wrap(runtime.storage.jobs, 'claim', 'claim');
wrap(runtime.storage.ingest, 'getEvent', 'getEvent');
wrap(runtime.storage.ingest, 'acceptMany', 'acceptMany');
wrap(runtime.storage.fieldState, 'read', 'fieldState.read');
function wrapSync<T extends object>(obj: T, method: keyof T & string, label: string): void {
  const orig = (obj[method] as (...a: unknown[]) => unknown).bind(obj);
  (obj as Record<string, unknown>)[method] = (...args: unknown[]) => {
    const t0 = performance.now(); const c0 = process.cpuUsage();
    try { return orig(...args); } finally {
      const c = process.cpuUsage(c0); const p = phases.get(label) ?? { ms: 0, cpu: 0, calls: 0, frames: 0 };
      p.ms += performance.now() - t0; p.cpu += (c.user + c.system) / 1000; p.calls += 1; phases.set(label, p);
    }
  };
}
if (process.env['FINE'] === '1') {
  wrapSync(runtime.storage.audit, 'appendInTransaction', '  audit.append');
  wrapSync(runtime.storage.fieldState, 'upsertInTransaction', '  fieldState.upsert');
  const outcomes = runtime.storage.outcomes as unknown as Record<string, unknown>;
  wrapSync(outcomes as object, 'settleOne' as never, '  settleOne');
}

const source = runtime.sources.get('webform')!;
const original = (i: number) => ({
  submission_id: `bench-${i}`, submitted_at: '2026-11-20T14:03:11Z', email: `lead${i}@bench-${i % 500}.example.com`, first_name: 'Bench', last_name: `Lead ${i}`,
  job_title: i % 3 === 0 ? 'VP Marketing' : i % 3 === 1 ? 'Senior Data Engineer' : 'Account Executive', company: `Bench ${i % 500} GmbH`,
  website: `https://bench-${i % 500}.example.com`, country: i % 2 === 0 ? 'Germany' : 'USA', phone: '+49 30 901820', form: 'Demo Request' });
const payloads = Array.from({ length: events }, (_, i) => (process.env['DATA'] === 'original' ? original(i) : benchPayload(i)));
const t0 = performance.now(); const c0 = process.cpuUsage();
for (let i = 0; i < events; i += 500) {
  const batch: NewEvent[] = [];
  for (const payload of payloads.slice(i, i + 500)) {
    const prepared = prepareEvent(payload, source.context);
    if (!prepared.ok) throw new Error('x');
    const primary = prepared.objects.find((o) => o.status === 'ready');
    batch.push({ source: 'webform', leadId: prepared.leadId, leadKey: primary?.status === 'ready' ? primary.leadKey : prepared.leadId, idempotencyKey: prepared.idempotencyKey, payloadHash: prepared.payloadHash, payload, receivedAt: new Date(), lane: 'batch' });
  }
  await runtime.storage.ingest.acceptMany(batch);
}
const t1 = performance.now(); const c1 = process.cpuUsage(c0);
let batches = 0;
for (;;) {
  const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, workerId: 'bench', now: new Date(), visibilityMs: 60_000 });
  if (jobs.length === 0) break;
  batches += 1;
  const outcomes = await processBatch(jobs, 'bench', runtime.processorDeps);
  const bad = outcomes.filter((o) => o.kind !== 'settled'); if (bad.length) throw new Error(JSON.stringify(bad[0]));
}
const t2 = performance.now(); const c = process.cpuUsage(c0);
console.log({ events, sync, ingestMs: Math.round(t1 - t0), ingestCpu: Math.round((c1.user + c1.system) / 1000), processMs: Math.round(t2 - t1), eps: Math.round(events / ((t2 - t0) / 1000)), cpuMs: Math.round((c.user + c.system) / 1000), cpuEps: Math.round(events / ((c.user + c.system) / 1e6)), batches, walFramesNow: walFrames() });
for (const [k, p] of phases) console.log(k.padEnd(16), 'calls', String(p.calls).padStart(5), 'wall', p.ms.toFixed(0).padStart(6), 'cpu', p.cpu.toFixed(0).padStart(6), 'walFrames', p.frames.toFixed(0).padStart(7), 'frames/call', (p.frames / p.calls).toFixed(1));
if (stmtCounts.size) { console.log('--- statements per event'); for (const [k, n] of [...stmtCounts].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((n / events).toFixed(2).padStart(7), k); }
if (process.env['DBSTAT'] === '1') {
  const rows = db.prepare("SELECT name, count(*) AS pages, sum(ncell) AS cells, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY pages DESC").all() as { name: string; pages: number; cells: number; bytes: number }[];
  console.log('--- dbstat pages'); for (const r of rows.filter((r) => r.pages > 1)) console.log(String(r.pages).padStart(7), String(r.cells).padStart(8), r.name);
}
await runtime.close();
