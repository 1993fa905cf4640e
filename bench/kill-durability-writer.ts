// Child of kill-durability-benchmark.ts: accepts events into a leadsync database
// until it is killed, printing each batch's idempotency keys once acceptMany has
// resolved — the moment the HTTP ingest would answer 202.
import { openSqliteStorage, type SynchronousMode } from '../src/adapters/sqlite/sqlite-storage.js';
import type { NewEvent } from '../src/ports/ingest-store.js';

const [file, mode, prefix] = process.argv.slice(2);
if (file === undefined || (mode !== 'normal' && mode !== 'full') || prefix === undefined) throw new Error('usage: kill-durability-writer <file> <normal|full> <prefix>');
const storage = openSqliteStorage({ file, synchronous: mode satisfies SynchronousMode });
process.stdout.write('ready\n');
for (let batch = 0; ; batch += 1) {
  const events: NewEvent[] = Array.from({ length: 20 }, (_, i) => {
    const key = `${prefix}-${batch}-${i}`;
    return { source: 'webform', leadId: key, leadKey: `contacts:${key}`, idempotencyKey: key, payloadHash: key, payload: { key }, receivedAt: new Date(), lane: 'batch' };
  });
  await storage.ingest.acceptMany(events);
  process.stdout.write(`${events.map((event) => event.idempotencyKey).join(' ')}\n`);
}
