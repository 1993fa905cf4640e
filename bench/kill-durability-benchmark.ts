import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import type { SynchronousMode } from '../src/adapters/sqlite/sqlite-storage.js';

// What a process kill does to accepted events: a child process accepts events in
// batches and reports each batch once it is committed (when ingest would answer 202);
// it is SIGKILLed at a random moment, again and again; afterwards every reported
// event must be in the database, and the database must pass an integrity check.
// Power loss and OS crashes cannot be produced from a process; for those, see
// SQLite's documented semantics in docs/BENCHMARKS.md.

export interface KillDurabilityResult {
  readonly synchronous: SynchronousMode;
  readonly kills: number;
  readonly acknowledged: number;
  readonly lost: number;
  readonly integrity: string;
}

function runUntilKilled(file: string, synchronous: SynchronousMode, prefix: string, acknowledged: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/kill-durability-writer.ts', file, synchronous, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line === 'ready') {
        // Kill somewhere in the middle of the write loop, at a different point every time.
        setTimeout(() => child.kill('SIGKILL'), 200 + Math.random() * 600);
        return;
      }
      acknowledged.push(...line.split(' '));
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited with ${code ?? signal ?? 'nothing'} before it was killed`));
    });
  });
}

export async function runKillDurabilityTest(synchronous: SynchronousMode, kills = 10): Promise<KillDurabilityResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-kill-'));
  try {
    const file = join(dir, 'leadsync.db');
    const acknowledged: string[] = [];
    for (let kill = 0; kill < kills; kill += 1) await runUntilKilled(file, synchronous, `k${kill}`, acknowledged);
    const db = new Database(file);
    try {
      const present = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE idempotency_key = ?');
      const lost = acknowledged.filter((key) => (present.get(key)?.n ?? 0) !== 1).length;
      const integrity = String(db.pragma('integrity_check', { simple: true }));
      return { synchronous, kills, acknowledged: acknowledged.length, lost, integrity };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
