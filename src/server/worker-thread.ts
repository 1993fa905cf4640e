import type BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteWriteTurn } from '../adapter-support/sqlite-write-turn.js';
import { timedCrmDestination } from '../app/timed-crm-destination.js';
import { startWorkerLoop } from '../app/worker-loop.js';
import { openRuntime } from './runtime.js';
import { checkpointAutomatically } from './wal-checkpointer.js';
import { createServiceMetrics } from './service-metrics.js';
import { gateCrm, gatePort, gateStorage, holdingForIngest } from './write-turn-gated-ports.js';
import { provideWorkerThreadMetrics, workerThreadMetrics } from './worker-thread-metrics.js';
import { serializeError, type FromWorkerThread, type ToWorkerThread, type WorkerThreadData } from './worker-thread-protocol.js';

// The entry of the worker thread `leadsync serve` starts (worker-thread-host.ts):
// its own runtime (own SQLite connection on the same WAL file, own CRM client),
// the worker loop, and messages to the service's thread for errors, dead letters
// (alerts are sent there) and metrics. It stops on a `stop` message: no new claims,
// in-flight jobs finished, connection closed, then the thread ends.

const port = parentPort;
if (!port) throw new Error('worker-thread.ts runs only as a worker thread');
const data = workerData as WorkerThreadData;
const send = (message: FromWorkerThread): void => port.postMessage(message);
const walAutocheckpointOf = (db: BetterSqlite3.Database): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;

try {
  // With the ingest writer thread beside it (`leadsync serve`), the worker lets an ingest commit that waits for the
  // write lock have it next: each call that writes the SQLite file (storage, the sandbox CRM's upsert, the
  // rate-limit governor's token store) holds back while the gate is raised (sqlite-write-turn.ts).
  const gate = data.writeTurn === undefined ? undefined : holdingForIngest(new SqliteWriteTurn(data.writeTurn));
  const runtime = await openRuntime(data.config, gate === undefined ? {} : { wrapRateLimitStore: (store) => gatePort(store, gate) });
  // The process's checkpoint thread checkpoints for this connection too: a checkpoint inside one of the worker's
  // commits copies pages and fsyncs the database file in the middle of its pipeline.
  const db = runtime.backend.kind === 'sqlite' ? runtime.backend.storage.database : undefined;
  if (data.autoCheckpoint === false) db?.pragma('wal_autocheckpoint = 0');
  // The thread's own registry: job and CRM counters only (the service's thread reports the process and the
  // storage gauges); the service merges it into /metrics by asking with a `metrics` message.
  const metrics = createServiceMetrics({ crm: runtime.crm, defaultMetrics: false });
  provideWorkerThreadMetrics(() => metrics.snapshot());
  const timedCrm = timedCrmDestination(runtime.crm, metrics, () => performance.now());
  const timedBatchCrm = timedCrmDestination(runtime.processorDeps.batchCrm ?? runtime.crm, metrics, () => performance.now());
  const sandbox = { writesStorageFile: data.config.document.destination.kind === 'sandbox' };
  // Gated outside the timing: CRM latency metrics do not count a wait for the write turn.
  const deps = gate
    ? { ...runtime.processorDeps, storage: gateStorage(runtime.processorDeps.storage, gate), crm: gateCrm(timedCrm, gate, sandbox), batchCrm: gateCrm(timedBatchCrm, gate, sandbox) }
    : { ...runtime.processorDeps, crm: timedCrm, batchCrm: timedBatchCrm };
  const loop = startWorkerLoop(deps, {
    ...data.loop,
    metrics,
    onError: (error) => send({ type: 'error', error: serializeError(error) }),
    onOutcome: (_job, outcome) => {
      if (outcome.kind === 'settled' && outcome.deadLetter) send({ type: 'dead-letter', notice: outcome.deadLetter });
    },
  });
  let stopping = false;
  port.on('message', (message: ToWorkerThread) => {
    if (message.type === 'metrics') {
      workerThreadMetrics().then(
        (metrics) => send({ type: 'metrics', id: message.id, metrics }),
        (error: unknown) => send({ type: 'metrics', id: message.id, metrics: [], error: serializeError(error) }),
      );
      return;
    }
    if (message.type === 'checkpoint-automatically') {
      if (db) {
        checkpointAutomatically(db);
        send({ type: 'checkpointing', walAutocheckpoint: walAutocheckpointOf(db) });
      }
      return;
    }
    if (message.type === 'reload') {
      try {
        runtime.reload(message.config);
      } catch (error) {
        send({ type: 'error', error: serializeError(error) });
      }
      return;
    }
    if (stopping) return;
    stopping = true;
    void (async () => {
      try {
        await loop.stop();
      } finally {
        await runtime.close();
        send({ type: 'stopped' });
        port.close();
      }
    })();
  });
  send({ type: 'ready', ...(db === undefined ? {} : { walAutocheckpoint: walAutocheckpointOf(db) }) });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
  port.close();
}
