// scratch: cost of settle's parts, replaying captured settle inputs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processBatch } from '../../src/app/batch-processor.js';
import { prepareEvent } from '../../src/core/plan/event-planner.js';
import { loadConfig } from '../../src/config/config-loader.js';
import { sealAuditRecord, GENESIS_HASH } from '../../src/core/audit/audit-chain.js';
import { canonicalJson } from '../../src/core/hashing/canonical-json.js';
import type { NewEvent } from '../../src/ports/ingest-store.js';
import type { SettleInput } from '../../src/ports/job-outcome-store.js';
import { openRuntime } from '../../src/server/runtime.js';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { benchPayload } from '../pipeline-benchmark.js';

const events = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'leadsync-sm-'));
const config = await loadConfig('examples/leadsync.yaml', { env: {} });
const runtime = openRuntime({ ...config, document: { ...config.document, storage: { ...config.document.storage, file: join(dir, 'a.db'), synchronous: 'normal' } } });
const captured: SettleInput[][] = [];
const orig = runtime.storage.outcomes.settleMany.bind(runtime.storage.outcomes);
runtime.storage.outcomes.settleMany = (inputs) => { captured.push(inputs.map((i) => ({ ...i, job: undefined } as unknown as SettleInput))); return orig(inputs); };
const source = runtime.sources.get('webform')!;
const batch: NewEvent[] = [];
for (let i = 0; i < events; i += 1) {
  const payload = benchPayload(i);
  const p = prepareEvent(payload, source.context);
  if (!p.ok) throw new Error('x');
  const primary = p.objects.find((o) => o.status === 'ready');
  batch.push({ source: 'webform', leadId: p.leadId, leadKey: primary?.status === 'ready' ? primary.leadKey : p.leadId, idempotencyKey: p.idempotencyKey, payloadHash: p.payloadHash, payload, receivedAt: new Date(), lane: 'batch' });
}
await runtime.storage.ingest.acceptMany(batch);
for (;;) {
  const jobs = await runtime.storage.jobs.claim({ lane: 'batch', limit: 100, workerId: 'b', now: new Date(), visibilityMs: 60_000 });
  if (jobs.length === 0) break;
  await processBatch(jobs, 'b', runtime.processorDeps);
}
await runtime.close();
const inputs = captured.flat().map(({ job: _j, ...rest }) => rest as SettleInput);
const drafts = inputs.flatMap((i) => i.audit);
const fs = inputs.flatMap((i) => i.fieldState ?? []);
console.log({ jobs: inputs.length, drafts: drafts.length, fieldStates: fs.length });

function time(label: string, reps: number, f: () => void): void {
  f();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let r = 0; r < reps; r += 1) f();
  const c = process.cpuUsage(c0);
  console.log(label.padEnd(40), 'cpu µs/job', (((c.user + c.system) / reps) / inputs.length).toFixed(1), 'wall µs/job', (((performance.now() - t0) * 1000 / reps) / inputs.length).toFixed(1));
}
time('seal only', 3, () => { let prev = GENESIS_HASH; let id = 1; for (const d of drafts) { prev = sealAuditRecord(d, { id: String(id++), prevHash: prev }).rowHash; } });
time('canonicalJson(changes)', 3, () => { for (const d of drafts) canonicalJson(d.changes ?? []); });

function storageRun(label: string, setup: (db: import('better-sqlite3').Database) => void, only?: 'audit' | 'fieldState'): void {
  let n = 0;
  time(label, 1, () => {
    const s = openSqliteStorage({ file: join(dir, `s${n++}-${label.replace(/\W/g, '')}.db`), synchronous: 'normal' });
    setup(s.database);
    const db = s.database;
    for (let i = 0; i < inputs.length; i += 100) {
      const chunk = inputs.slice(i, i + 100);
      db.transaction(() => {
        for (const input of chunk) {
          if (only !== 'fieldState') s.audit.appendInTransaction(input.audit);
          if (only !== 'audit') s.fieldState.upsertInTransaction(input.fieldState ?? []);
        }
      }).immediate();
    }
    db.close();
  });
}
storageRun('audit+fieldState', () => undefined);
storageRun('audit only', () => undefined, 'audit');
storageRun('audit only, no audit indexes', (db) => db.exec('DROP INDEX audit_by_lead; DROP INDEX audit_by_source; DROP INDEX audit_by_outcome; DROP INDEX audit_by_source_outcome; DROP INDEX audit_by_time;'), 'audit');
storageRun('fieldState only', () => undefined, 'fieldState');
