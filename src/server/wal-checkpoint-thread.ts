import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromCheckpointThread, WalCheckpointThreadData } from './wal-checkpointer.js';
import { serializeError } from './worker-thread-protocol.js';

// The entry of the thread that checkpoints the SQLite WAL of a process whose connections leave checkpoints to it
// (wal-checkpointer.ts): its own connection on the database file, a PASSIVE checkpoint every interval, one more on
// `stop`. A PASSIVE checkpoint takes no write lock and waits for nobody, so writers keep committing meanwhile.

const port = parentPort;
if (!port) throw new Error('wal-checkpoint-thread.ts runs only as a worker thread');
const data = workerData as WalCheckpointThreadData;
const send = (message: FromCheckpointThread): void => port.postMessage(message);

/** A row of `PRAGMA wal_checkpoint`: whether it was blocked, frames in the WAL, frames now in the database file. */
interface CheckpointRow {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

try {
  // No busy handler: SQLite's sleeps (up to 100 ms each) would miss the short gaps between the worker's back-to-back
  // write transactions; `restart` below tries again every millisecond instead.
  const db = new Database(data.file, { fileMustExist: true, timeout: 0 });
  db.pragma(`synchronous = ${data.synchronous.toUpperCase()}`);
  // This connection writes nothing; it must not checkpoint on its own account either.
  db.pragma('wal_autocheckpoint = 0');
  const checkpoint = (mode: 'PASSIVE' | 'RESTART' | 'TRUNCATE'): CheckpointRow | undefined => {
    try {
      return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0];
    } catch (error) {
      // Reported, and tried again at the next interval.
      send({ type: 'error', error: serializeError(error) });
      return undefined;
    }
  };
  const pause = new Int32Array(new SharedArrayBuffer(4));
  /** This round's RESTART or TRUNCATE: its attempts and the time spent inside them (where it holds or waits for nothing but the lock). */
  let attempts = 0;
  let inCheckpointMs = 0;
  /** RESTART and TRUNCATE need the write lock and every reader off the WAL: tried every millisecond for up to `waitMs`. */
  const restart = (mode: 'RESTART' | 'TRUNCATE', waitMs: number): boolean => {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const started = performance.now();
      const row = checkpoint(mode);
      attempts += 1;
      inCheckpointMs += performance.now() - started;
      if (row === undefined) return false;
      if (row.busy === 0) return true;
      if (performance.now() >= deadline) return false;
      // This thread has nothing else to do meanwhile: a blocking wait is the cheapest one.
      Atomics.wait(pause, 0, 0, 1);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let previous: CheckpointRow | undefined;
  const tick = (): void => {
    attempts = 0;
    inCheckpointMs = 0;
    const passive = checkpoint('PASSIVE');
    const log = passive?.log ?? 0;
    // Writers start again at the WAL's beginning only when a checkpoint has caught up with the last commit as a
    // write transaction begins; with connections committing back to back a PASSIVE checkpoint rarely has, and the
    // WAL file would grow for as long as they keep it up. Past `restartAtPages`, a RESTART checkpoint takes the
    // write lock, copies the few frames committed since the PASSIVE one, and has the next writer start again at
    // the file's beginning (the file keeps its size: no space to allocate again). Commits wait meanwhile, for that
    // copy and an fsync, on the threads that commit (never the HTTP thread's event loop).
    // Nothing committed since the last round (a RESTART leaves the frames counted until a writer comes) and every
    // frame in the database file: the writers are idle, and a TRUNCATE (one try: a reader on an old snapshot, a long
    // dashboard query, is not worth waiting for) costs nothing but gives the WAL file's disk space back.
    const idle = passive !== undefined && log > 0 && passive.checkpointed === log && log === previous?.log;
    const restarted = passive !== undefined && (idle ? restart('TRUNCATE', 0) : log >= data.restartAtPages && restart('RESTART', data.restartWaitMs));
    previous = passive;
    send({ type: 'checkpointed', walPages: log, restarted, restartAttempts: attempts, restartMs: inCheckpointMs });
    // Writers that fill a quarter of the bound within one interval would fill it before the next: look again sooner
    // while they keep that pace, so the WAL stays near the bound rather than an interval's worth of commits.
    const busy = log >= data.restartAtPages / 4;
    timer = setTimeout(tick, busy ? Math.max(10, Math.floor(data.intervalMs / 4)) : data.intervalMs);
  };
  timer = setTimeout(tick, data.intervalMs);
  port.on('message', () => {
    clearTimeout(timer);
    checkpoint('PASSIVE');
    db.close();
    send({ type: 'stopped' });
    port.close();
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
  port.close();
}
