// scratch: cost of audit indexes at scale (rows already present), CPU and pages per commit
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import type { AuditDraft } from '../../src/core/audit/audit-record-types.js';

const existing = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'leadsync-ai-'));
const changes = Array.from({ length: 13 }, (_, i) => ({ field: `field${i}`, before: null, after: `value ${i}`, confidence: 0.9, reason: `webform: field_${i} (x.y)` }));
const OUTCOMES = ['written', 'written', 'written', 'no_change', 'stale', 'rejected'] as const;
const SOURCES = ['webform', 'clearbit', 'apollo', 'pdl'];
function draft(i: number): AuditDraft {
  return { time: new Date(Date.UTC(2026, 10, 1) + i * 10).toISOString(), leadKey: `contacts:lead${(i * 2654435761) % 1e9}@x${i % 5000}.com`, source: SOURCES[i % 4]!, eventId: String(i), idempotencyKey: `k${i}`, payloadHash: 'a'.repeat(64), mappingVersion: 'preset:webform@1', schemaVersion: '2026-11-01', object: 'contacts', changes, actor: { kind: 'source', name: 'webform' }, outcome: OUTCOMES[i % 6]!, attempt: 1, crmRecordId: String(i) };
}
for (const variant of ['all', 'none', 'no-time', 'lead-only'] as const) {
  const file = join(dir, `${variant}.db`);
  const s = openSqliteStorage({ file, synchronous: 'normal' });
  const db = s.database;
  if (variant === 'none') db.exec('DROP INDEX audit_by_lead; DROP INDEX audit_by_source; DROP INDEX audit_by_outcome; DROP INDEX audit_by_source_outcome; DROP INDEX audit_by_time;');
  if (variant === 'no-time') db.exec('DROP INDEX audit_by_time;');
  if (variant === 'lead-only') db.exec('DROP INDEX audit_by_source; DROP INDEX audit_by_outcome; DROP INDEX audit_by_source_outcome; DROP INDEX audit_by_time;');
  const t0 = performance.now();
  for (let i = 0; i < existing; i += 1000) db.transaction(() => { for (let j = i; j < i + 1000; j += 1) s.audit.appendInTransaction([draft(j)]); }).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const c0 = process.cpuUsage(); const t1 = performance.now();
  const n = 20_000;
  for (let i = existing; i < existing + n; i += 200) db.transaction(() => { for (let j = i; j < i + 200; j += 1) s.audit.appendInTransaction([draft(j)]); }).immediate();
  const c = process.cpuUsage(c0);
  const frames = (statSync(`${file}-wal`).size - 32) / 4120;
  console.log(variant.padEnd(10), 'fill s', ((t1 - t0) / 1000).toFixed(1), 'µs cpu/row', ((c.user + c.system) / n).toFixed(1), 'wall µs/row', ((performance.now() - t1) * 1000 / n).toFixed(1), 'WAL pages per row', (frames / n).toFixed(2));
  await s.close();
}
