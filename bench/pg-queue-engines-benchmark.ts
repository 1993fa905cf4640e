// Moves N no-op jobs (producer and consumer running together) through three Postgres queues, each in
// its own schema of the `test` database, and checks each engine's recovery of a job whose worker was
// SIGKILLed. Run: `npx tsx bench/pg-queue-engines-benchmark.ts [jobs]` (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test). The figures feed docs/decisions (queue engine choice).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { openPostgresStorage } from '../src/adapters/postgres/pg-storage.js';
import { enqueueJobsInTransaction } from '../src/adapters/postgres/pg-job-queue.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const BATCH = 100;

export interface EngineFigure {
  readonly engine: string;
  readonly jobs: number;
  readonly seconds: number;
  readonly jobsPerSecond: number;
}

function schemaName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** (a) The physical limit: a plain table, claimed with FOR UPDATE SKIP LOCKED in batches, completed by delete. */
export async function rawSkipLockedJobsPerSecond(jobs: number): Promise<EngineFigure> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const schema = schemaName('bench_raw');
  try {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.q (id bigserial PRIMARY KEY, payload jsonb NOT NULL, state smallint NOT NULL DEFAULT 0, claimed_by text)`);
    await pool.query(`CREATE INDEX ON ${schema}.q (id) WHERE state = 0`);
    const started = process.hrtime.bigint();
    const producer = (async () => {
      for (let i = 0; i < jobs; i += BATCH) {
        await pool.query(`INSERT INTO ${schema}.q (payload) SELECT '{}'::jsonb FROM generate_series(1, $1)`, [Math.min(BATCH, jobs - i)]);
      }
    })();
    let done = 0;
    const consumer = (async () => {
      while (done < jobs) {
        const { rows } = await pool.query<{ id: string }>(
          `UPDATE ${schema}.q SET state = 1, claimed_by = 'w' WHERE id IN (
             SELECT id FROM ${schema}.q WHERE state = 0 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id`,
          [BATCH],
        );
        if (rows.length === 0) {
          await sleep(1);
          continue;
        }
        await pool.query(`DELETE FROM ${schema}.q WHERE id = ANY($1::bigint[])`, [rows.map((row) => row.id)]);
        done += rows.length;
      }
    })();
    await Promise.all([producer, consumer]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { engine: `raw SKIP LOCKED table (batches of ${BATCH})`, jobs, seconds, jobsPerSecond: jobs / seconds };
  } finally {
    await dropSchema(pool, schema);
    await pool.end();
  }
}

/**
 * (d) leadsync's own queue (src/adapters/postgres/pg-job-queue.ts): the event rows are inserted first
 * (not timed); then `enqueueJobsInTransaction` in transactions of 100 jobs (one lead each, advisory
 * locks included) against `claim` 100 + `settleMany` with no audit entries, running together.
 */
export async function leadsyncQueueJobsPerSecond(jobs: number): Promise<EngineFigure> {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const schema = schemaName('bench_ls');
  const producer = await openPostgresStorage({ url: DATABASE_URL, schema, maxConnections: 2 });
  const consumer = await openPostgresStorage({ url: DATABASE_URL, schema, maxConnections: 2 });
  try {
    const { rows: events } = await producer.database.query<{ id: string }>(
      `INSERT INTO events (source, lead_id, lead_key, idempotency_key, payload_hash, payload, received_at, lane)
       SELECT 'bench', 'lead-' || i, 'bench:lead-' || i, 'bench:' || i, 'h', '{}'::json, now(), 'realtime' FROM generate_series(1, $1) AS i
       RETURNING id`,
      [jobs],
    );
    const started = process.hrtime.bigint();
    const produce = (async () => {
      for (let i = 0; i < jobs; i += BATCH) {
        const slice = events.slice(i, i + BATCH);
        await producer.database.withTransaction((client) =>
          enqueueJobsInTransaction(client, slice.map((event, k) => ({ eventId: event.id, leadKey: `bench:lead-${i + k}`, lane: 'realtime' as const, at: new Date() }))),
        );
      }
    })();
    let done = 0;
    const consume = (async () => {
      while (done < jobs) {
        const claimed = await consumer.jobs.claim({ lane: 'realtime', limit: BATCH, workerId: 'w', now: new Date(), visibilityMs: 30_000 });
        if (claimed.length === 0) {
          await sleep(1);
          continue;
        }
        await consumer.outcomes.settleMany(claimed.map((job) => ({ job: { id: job.id, workerId: 'w' }, audit: [] })));
        done += claimed.length;
      }
    })();
    await Promise.all([produce, consume]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { engine: `leadsync PgJobQueue (enqueue/claim/settleMany, batches of ${BATCH})`, jobs, seconds, jobsPerSecond: jobs / seconds };
  } finally {
    await producer.close();
    await consumer.close();
    await dropSchema(admin, schema);
    await admin.end();
  }
}

type Boss = InstanceType<typeof PgBoss>;

async function withBoss<T>(schema: string, work: (boss: Boss) => Promise<T>): Promise<T> {
  const boss = new PgBoss({ connectionString: DATABASE_URL, schema, max: 4, supervise: false, schedule: false });
  boss.on('error', (error: unknown) => console.error('pg-boss error', error));
  await boss.start();
  try {
    await boss.createQueue('noop');
    return await work(boss);
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/**
 * (b) pg-boss 10.4.2. `mode: 'fetch'` drives fetch(batchSize)/complete(ids) from our own loop (how
 * leadsync's worker uses it: the loop polls as soon as a batch was full); `mode: 'work'` uses
 * pg-boss's own `work()` poller with batchSize 100 and its shortest polling interval (0.5 s).
 * pg-boss 10 has no `burstWhenBatchFull` (added in a later major); `work()` waits its interval between fetches.
 */
export async function pgBossJobsPerSecond(jobs: number, mode: 'fetch' | 'work'): Promise<EngineFigure> {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const schema = schemaName('bench_boss');
  try {
    return await withBoss(schema, async (boss) => {
      const started = process.hrtime.bigint();
      const producer = (async () => {
        for (let i = 0; i < jobs; i += BATCH) {
          await boss.insert(Array.from({ length: Math.min(BATCH, jobs - i) }, () => ({ name: 'noop', data: {} })));
        }
      })();
      let done = 0;
      if (mode === 'fetch') {
        const consumer = (async () => {
          while (done < jobs) {
            const fetched = await boss.fetch('noop', { batchSize: BATCH });
            if (fetched.length === 0) {
              await sleep(1);
              continue;
            }
            await boss.complete('noop', fetched.map((job) => job.id));
            done += fetched.length;
          }
        })();
        await Promise.all([producer, consumer]);
      } else {
        await new Promise<void>((resolve, reject) => {
          boss
            .work('noop', { batchSize: BATCH, pollingIntervalSeconds: 0.5 }, (batch) => {
              done += batch.length;
              if (done >= jobs) resolve();
              return Promise.resolve();
            })
            .catch(reject);
        });
        await producer;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return {
        engine: mode === 'fetch' ? `pg-boss 10.4.2, fetch/complete loop (batches of ${BATCH})` : `pg-boss 10.4.2, work() (batchSize ${BATCH}, polling 0.5 s)`,
        jobs,
        seconds,
        jobsPerSecond: jobs / seconds,
      };
    });
  } finally {
    await dropSchema(admin, schema);
    await admin.end();
  }
}

/** (c) graphile-worker 0.17.3: `run()` with localQueue and batched completion, or on its defaults. */
export async function graphileJobsPerSecond(jobs: number, tuned: boolean): Promise<EngineFigure> {
  const { run, makeWorkerUtils } = await import('graphile-worker');
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const schema = schemaName('bench_gw');
  const utils = await makeWorkerUtils({ connectionString: DATABASE_URL, schema });
  try {
    await utils.migrate();
    let done = 0;
    let resolveDone: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (resolveDone = resolve));
    const runner = await run({
      connectionString: DATABASE_URL,
      schema,
      concurrency: tuned ? 10 : 1,
      noHandleSignals: true,
      pollInterval: tuned ? 100 : 2000,
      logger: new (await import('graphile-worker')).Logger(() => () => undefined),
      taskList: {
        noop: () => {
          done += 1;
          if (done >= jobs) resolveDone();
        },
      },
      preset: tuned ? { worker: { localQueue: { size: BATCH }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } : {},
    });
    const started = process.hrtime.bigint();
    for (let i = 0; i < jobs; i += BATCH) {
      await utils.addJobs(Array.from({ length: Math.min(BATCH, jobs - i) }, () => ({ identifier: 'noop', payload: {} })));
    }
    await finished;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await runner.stop();
    return {
      engine: tuned ? `graphile-worker 0.17.3, localQueue ${BATCH}, batched completion, concurrency 10` : 'graphile-worker 0.17.3, defaults (concurrency 1, poll 2 s)',
      jobs,
      seconds,
      jobsPerSecond: jobs / seconds,
    };
  } finally {
    await utils.release();
    await dropSchema(admin, schema);
    await admin.end();
  }
}

/** Runs `code` (an ES module) in a child Node process, waits for it to print `claimed`, then SIGKILLs it. */
async function killAfterClaim(code: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('claimed')) resolve();
    });
    child.on('exit', (status) => reject(new Error(`claimer exited (${String(status)}) before claiming: ${out}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

export interface RecoveryFigure {
  readonly engine: string;
  /** Seconds from the SIGKILL until another worker got the job, or null if it did not within the wait. */
  readonly recoveredAfterSeconds: number | null;
  readonly waitedSeconds: number;
  readonly settings: string;
}

/** pg-boss: the killed worker's job is active until its expire_in passes and maintenance moves it to retry. */
export async function pgBossRecovery(expireInSeconds: number, maintenanceIntervalSeconds: number, waitSeconds: number): Promise<RecoveryFigure> {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const schema = schemaName('bench_bossr');
  try {
    return await (async () => {
      const boss = new PgBoss({ connectionString: DATABASE_URL, schema, max: 2, schedule: false, supervise: true, maintenanceIntervalSeconds });
      boss.on('error', (error: unknown) => console.error('pg-boss error', error));
      await boss.start();
      try {
        await boss.createQueue('noop');
        await boss.send('noop', {}, { expireInSeconds, retryLimit: 1000 });
        await killAfterClaim(
          `import PgBoss from 'pg-boss';
import { openPostgresStorage } from '../src/adapters/postgres/pg-storage.js';
import { enqueueJobsInTransaction } from '../src/adapters/postgres/pg-job-queue.js';
           const boss = new PgBoss({ connectionString: ${JSON.stringify(DATABASE_URL)}, schema: ${JSON.stringify(schema)}, supervise: false, schedule: false, migrate: false });
           boss.on('error', () => {});
           await boss.start();
           const jobs = await boss.fetch('noop');
           if (jobs.length === 1) console.log('claimed');
           setInterval(() => {}, 1000);`,
        );
        const killed = Date.now();
        while (Date.now() - killed < waitSeconds * 1000) {
          const jobs = await boss.fetch('noop');
          if (jobs.length > 0) {
            await boss.complete('noop', jobs.map((job) => job.id));
            return { engine: 'pg-boss 10.4.2', recoveredAfterSeconds: (Date.now() - killed) / 1000, waitedSeconds: waitSeconds, settings: `expireInSeconds ${expireInSeconds}, maintenanceIntervalSeconds ${maintenanceIntervalSeconds}` };
          }
          await sleep(200);
        }
        return { engine: 'pg-boss 10.4.2', recoveredAfterSeconds: null, waitedSeconds: waitSeconds, settings: `expireInSeconds ${expireInSeconds}, maintenanceIntervalSeconds ${maintenanceIntervalSeconds}` };
      } finally {
        await boss.stop({ graceful: false, wait: true });
      }
    })();
  } finally {
    await dropSchema(admin, schema);
    await admin.end();
  }
}

/** graphile-worker: the killed worker's job keeps locked_at; other workers skip it until it is 4 hours old. */
export async function graphileRecovery(waitSeconds: number): Promise<RecoveryFigure> {
  const { run, makeWorkerUtils, Logger } = await import('graphile-worker');
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const schema = schemaName('bench_gwr');
  const utils = await makeWorkerUtils({ connectionString: DATABASE_URL, schema });
  try {
    await utils.migrate();
    await utils.addJob('slow', {});
    await killAfterClaim(
      `import { run } from 'graphile-worker';
       await run({ connectionString: ${JSON.stringify(DATABASE_URL)}, schema: ${JSON.stringify(schema)}, concurrency: 1, noHandleSignals: true, pollInterval: 100,
         taskList: { slow: () => { console.log('claimed'); return new Promise(() => {}); } } });`,
    );
    const killed = Date.now();
    let recovered: number | null = null;
    const runner = await run({
      connectionString: DATABASE_URL,
      schema,
      concurrency: 1,
      noHandleSignals: true,
      pollInterval: 200,
      logger: new Logger(() => () => undefined),
      taskList: { slow: () => void (recovered ??= (Date.now() - killed) / 1000) },
    });
    while (recovered === null && Date.now() - killed < waitSeconds * 1000) await sleep(200);
    await runner.stop();
    return { engine: 'graphile-worker 0.17.3', recoveredAfterSeconds: recovered, waitedSeconds: waitSeconds, settings: 'defaults (a locked job is freed after 4 hours)' };
  } finally {
    await utils.release();
    await dropSchema(admin, schema);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const jobs = Number(process.argv[2] ?? 20_000);
  const figures: EngineFigure[] = [];
  figures.push(await rawSkipLockedJobsPerSecond(jobs));
  figures.push(await leadsyncQueueJobsPerSecond(jobs));
  figures.push(await pgBossJobsPerSecond(jobs, 'fetch'));
  figures.push(await pgBossJobsPerSecond(jobs, 'work'));
  figures.push(await graphileJobsPerSecond(jobs, true));
  figures.push(await graphileJobsPerSecond(Math.min(jobs, 5_000), false));
  for (const figure of figures) console.log(`${figure.engine}: ${figure.jobs} jobs in ${figure.seconds.toFixed(2)} s = ${Math.round(figure.jobsPerSecond)} jobs/s`);
  const recovery = [await pgBossRecovery(10, 5, 60), await graphileRecovery(30)];
  for (const figure of recovery) {
    console.log(`${figure.engine} (${figure.settings}): ${figure.recoveredAfterSeconds === null ? `not recovered within ${figure.waitedSeconds} s` : `recovered after ${figure.recoveredAfterSeconds.toFixed(1)} s`}`);
  }
}
