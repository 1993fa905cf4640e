import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromCheckpointThread, WalCheckpointThreadData } from './wal-checkpointer.js';
import { serializeError } from './worker-thread-protocol.js';

// The entry of the thread that checkpoints the SQLite WAL for `leadsync serve` (wal-checkpointer.ts):
// its own connection on the database file, a PASSIVE checkpoint every interval, one more on `stop`.
// A PASSIVE checkpoint takes no write lock and waits for nobody, so writers keep committing meanwhile.

const port = parentPort;
if (!port) throw new Error('wal-checkpoint-thread.ts runs only as a worker thread');
const data = workerData as WalCheckpointThreadData;
const send = (message: FromCheckpointThread): void => port.postMessage(message);

try {
  const db = new Database(data.file, { fileMustExist: true, timeout: 0 });
  db.pragma(`synchronous = ${data.synchronous.toUpperCase()}`);
  // This connection writes nothing; it must not checkpoint on its own account either.
  db.pragma('wal_autocheckpoint = 0');
  const checkpoint = (): void => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      // Reported, and tried again at the next interval.
      send({ type: 'error', error: serializeError(error) });
    }
  };
  const timer = setInterval(checkpoint, data.intervalMs);
  port.on('message', () => {
    clearInterval(timer);
    checkpoint();
    db.close();
    send({ type: 'stopped' });
    port.close();
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
  port.close();
}
