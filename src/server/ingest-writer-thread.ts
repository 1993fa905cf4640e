import { parentPort, workerData } from 'node:worker_threads';
import { useWriteTurn } from '../adapter-support/sqlite-nonblocking-write.js';
import { openSqliteStorage } from '../adapters/sqlite/sqlite-storage.js';
import { SqliteWriteTurn } from '../adapter-support/sqlite-write-turn.js';
import type { FromIngestWriter, IngestWriterThreadData, ToIngestWriter } from './ingest-writer.js';
import { checkpointAutomatically } from './wal-checkpointer.js';
import { serializeError } from './worker-thread-protocol.js';

// The entry of the thread that commits `leadsync serve`'s ingest batches (ingest-writer.ts): its own
// connection on the database file, one `acceptMany` transaction per message, answered once durable.
// Its commits, their fsyncs and any wait for another connection's write lock happen here, never on
// the HTTP thread. It leaves WAL checkpoints to the checkpoint thread (wal-checkpointer.ts).

const port = parentPort;
if (!port) throw new Error('ingest-writer-thread.ts runs only as a worker thread');
const data = workerData as IngestWriterThreadData;
const send = (message: FromIngestWriter): void => port.postMessage(message);

try {
  // Migrated by the service before this thread starts; ingest needs little page cache.
  const storage = openSqliteStorage({ file: data.file, synchronous: data.synchronous, cacheSizeKiB: 8192 });
  if (!data.autoCheckpoint) storage.database.pragma('wal_autocheckpoint = 0');
  // Beside the worker thread: a commit that meets its write lock raises the gate, and the worker lets it go next.
  if (data.writeTurn) useWriteTurn(storage.database, new SqliteWriteTurn(data.writeTurn));
  // Batches commit one after another, in the order they came; `stop` waits for the ones before it.
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (message: ToIngestWriter) => {
    if (message.type === 'checkpoint-automatically') {
      checkpointAutomatically(storage.database);
      return;
    }
    if (message.type === 'stop') {
      previous = previous.then(async () => {
        await storage.close();
        send({ type: 'stopped' });
        port.close();
      });
      return;
    }
    previous = previous.then(() =>
      storage.ingest.acceptMany(message.events).then(
        (results) => send({ type: 'accepted', id: message.id, results }),
        (error: unknown) => send({ type: 'refused', id: message.id, error: serializeError(error) }),
      ),
    );
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
  port.close();
}
