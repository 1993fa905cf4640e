import type { ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgRateLimitStore } from '../../src/adapters/postgres/pg-rate-limit-store.js';
import { loadPgMigrations } from '../../src/adapters/postgres/pg-migrator.js';
import { openPostgresStorage, type PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { signStandardWebhooks } from '../../src/core/signatures/webhook-signature.js';
import type { Lane } from '../../src/ports/job-queue.js';
import { auditStoreContract } from '../contract/audit-store.contract.js';
import { ingestStoreContract } from '../contract/ingest-store.contract.js';
import { jobOutcomeStoreContract } from '../contract/job-outcome-store.contract.js';
import { jobQueueContract } from '../contract/job-queue.contract.js';
import { rateLimitStoreContract } from '../contract/rate-limit-store.contract.js';
import type { AuditBackdoor, StorageUnderTest } from '../contract/storage-under-test.js';
import { pgBouncerRoleForThisTest, startPgBouncer, type PgBouncer, type PgBouncerTestRole } from '../support/pgbouncer.js';
import { withConnection, withTestConnection } from '../support/postgres-test-schema.js';
import { startServeProcess, startWorkerProcess } from '../support/serve-process.js';
import { newEvent } from '../support/storage-fixtures.js';
import { tempDirForThisTest } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';

// leadsync through PgBouncer in transaction mode (docs/deploy.md, section 3), measured rather than
// assumed: a PgBouncer of the test's own with 2 server connections per role, so the client
// connections of several pools (processes) really share them. The schema comes from the role
// (ALTER ROLE … SET search_path), as the docs say, not from the URL. Fails, not skips, when
// pgbouncer is not installed (.ci/run installs it) or PostgreSQL is down.

const POOL_SIZE = 2;
let bouncer: PgBouncer;

beforeAll(async () => {
  bouncer = await startPgBouncer({ poolSize: POOL_SIZE });
});

afterAll(async () => {
  await bouncer.stop();
});

/** A new role of this test with its schema on it; its URL goes through PgBouncer. */
function roleForThisTest(): Promise<PgBouncerTestRole> {
  return pgBouncerRoleForThisTest(bouncer, () => Promise.resolve());
}

/** `count` storages (as many processes would have) through PgBouncer as a new role of this test. */
async function storagesThroughBouncer(count: number, maxConnections: number): Promise<{ role: PgBouncerTestRole; storages: PostgresStorage[] }> {
  const storages: PostgresStorage[] = [];
  const role = await pgBouncerRoleForThisTest(bouncer, async () => {
    for (const storage of storages) await storage.close();
  });
  for (let i = 0; i < count; i += 1) storages.push(await openPostgresStorage({ url: role.url, maxConnections }));
  return { role, storages };
}

/** Runs `work` on a connection of its own through PgBouncer as `role`, closed afterwards. */
function withBouncerConnection<T>(role: PgBouncerTestRole, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withConnection({ connectionString: role.url }, work);
}

/** Tampering as the role owning the tables would, through PgBouncer: one transaction per change, so it stays on one server connection. */
function bouncerAuditBackdoor(role: PgBouncerTestRole): AuditBackdoor {
  const refusal = (sql: string, id: string): Promise<string | null> =>
    withBouncerConnection(role, async (client) => {
      try {
        await client.query(sql, [id]);
        return null;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    });
  return {
    flipLeadKeyCharacter: (id) =>
      withBouncerConnection(role, async (client) => {
        await client.query('BEGIN');
        await client.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_refuse_update');
        await client.query(
          `UPDATE audit_log SET lead_key = chr(ascii(lead_key) + CASE ascii(lead_key) % 2 WHEN 0 THEN 1 ELSE -1 END) || substr(lead_key, 2) WHERE id = $1`,
          [id],
        );
        await client.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_refuse_update');
        await client.query('COMMIT');
      }),
    tryUpdate: (id) => refusal("UPDATE audit_log SET outcome = 'written' WHERE id = $1", id),
    tryDelete: (id) => refusal('DELETE FROM audit_log WHERE id = $1', id),
  };
}

async function storageUnderTest(): Promise<StorageUnderTest> {
  const { role, storages } = await storagesThroughBouncer(1, 4);
  const [storage] = storages;
  if (storage === undefined) throw new Error('no storage');
  return { ports: storage, auditBackdoor: bouncerAuditBackdoor(role) };
}

describe('leadsync on PostgreSQL through PgBouncer (transaction mode)', () => {
  describe('the setup', () => {
    it('shares few server connections among many client connections, and gives the role its schema', async () => {
      const { role, storages } = await storagesThroughBouncer(3, 4);
      const pids = await Promise.all(
        storages.flatMap((storage) => Array.from({ length: 4 }, () => storage.database.withTransaction(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.02)')).rows[0]?.pid))),
      );
      // 12 transactions at once from 3 pools ran on at most POOL_SIZE server connections.
      expect(pids).toHaveLength(12);
      expect(new Set(pids).size).toBeLessThanOrEqual(POOL_SIZE);
      const pool = (await bouncer.admin('SHOW POOLS')).find((row) => row['user'] === role.role);
      expect(pool).toMatchObject({ pool_mode: 'transaction' });
      // The pools' client connections stay logged in to PgBouncer; it holds at most POOL_SIZE server connections for them.
      expect(Number(pool?.['cl_active'])).toBeGreaterThan(POOL_SIZE);
      expect(Number(pool?.['sv_active']) + Number(pool?.['sv_idle']) + Number(pool?.['sv_used'])).toBeLessThanOrEqual(POOL_SIZE);
      // Migrations ran through PgBouncer into the role's schema (no schema option anywhere).
      const versions = await withTestConnection(async (client) => (await client.query<{ version: number }>(`SELECT version FROM ${role.role}.schema_migrations ORDER BY version`)).rows.map((row) => row.version));
      expect(versions).toEqual(loadPgMigrations().map((migration) => migration.version));
      expect(storages[0]?.database.schema).toBeUndefined();
    });

    it('refuses a storage URL with options=-c search_path=…, naming the cause and the fix', async () => {
      const role = await roleForThisTest();
      const url = `${role.url}?options=${encodeURIComponent(`-c search_path=${role.role}`)}`;
      await expect(openPostgresStorage({ url, maxConnections: 1 })).rejects.toThrow(
        /unsupported startup parameter: options\. A connection pooler \(PgBouncer\) refuses the options= of the storage URL .*ALTER ROLE <role> SET search_path = <schema>.*remove options= from the storage URL/,
      );
    });

    it('with ignore_startup_parameters = options the URL\'s search_path is dropped: leadsync refuses rather than migrate into public', async () => {
      const ignoring = await startPgBouncer({ poolSize: POOL_SIZE, ignoreStartupParameters: ['options'] });
      try {
        const role = await roleForThisTest();
        const urlAsking = `${ignoring.urlFor(role.role)}?options=${encodeURIComponent(`-c search_path=${role.role}`)}`;
        // A role without a search_path of its own: the dropped option leaves PostgreSQL's default.
        await withTestConnection((client) => client.query(`ALTER ROLE ${role.role} RESET search_path`));
        await expect(openPostgresStorage({ url: urlAsking, maxConnections: 1 })).rejects.toThrow(
          new RegExp(`search_path is "\\$user", public, not ${role.role} as the storage URL's options ask.*ignore_startup_parameters = options.*ALTER ROLE`),
        );
        const tablesOfRole = (): Promise<number | undefined> =>
          withTestConnection(async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_tables WHERE tableowner = $1', [role.role])).rows[0]?.n);
        expect(await tablesOfRole()).toBe(0);
        // The documented combination: the schema on the role (and the same in the URL, ignored).
        await withTestConnection((client) => client.query(`ALTER ROLE ${role.role} SET search_path = ${role.role}`));
        // A role setting applies to new sessions: PgBouncer's pooled server connection still has the old search_path.
        await expect(openPostgresStorage({ url: urlAsking, maxConnections: 1 })).rejects.toThrow(/search_path is "\$user", public/);
        await ignoring.admin('RECONNECT');
        const storage = await openPostgresStorage({ url: urlAsking, maxConnections: 1 });
        try {
          expect((await storage.ingest.accept(newEvent())).status).toBe('queued');
          expect(await withTestConnection(async (client) => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${role.role}.events`)).rows[0]?.n)).toBe(1);
        } finally {
          await storage.close();
        }
      } finally {
        await ignoring.stop();
      }
    });
  });

  describe('storage contract suites', () => {
    jobQueueContract(storageUnderTest);
    ingestStoreContract(storageUnderTest);
    jobOutcomeStoreContract(storageUnderTest);
    auditStoreContract(storageUnderTest);
    // Two pools on one role, as two worker processes: advisory transaction locks through PgBouncer.
    rateLimitStoreContract(async () => {
      const { storages } = await storagesThroughBouncer(2, 2);
      const [first, second] = storages;
      if (first === undefined || second === undefined) throw new Error('two storages were asked for');
      return { store: new PgRateLimitStore(first.database), peer: new PgRateLimitStore(second.database) };
    });
  });

  describe('under concurrency', () => {
    it('four pools claim and settle one queue over two server connections: every job once, each lead in order', { timeout: 120_000 }, async () => {
      const { storages } = await storagesThroughBouncer(5, 3);
      const [producer, ...workers] = storages;
      if (producer === undefined) throw new Error('no storage');
      const enqueued = new Map<string, string[]>();
      const finished = new Map<string, string[]>();
      let producing = true;
      const produce = async (): Promise<void> => {
        for (let i = 0; i < 400; i += 1) {
          const lane: Lane = i % 3 === 0 ? 'batch' : 'realtime';
          const result = await producer.ingest.accept(newEvent({ leadId: `lead-${i % 10}`, lane, updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), receivedAt: new Date() }));
          if (result.status !== 'queued') throw new Error(`expected queued, got ${result.status}`);
          const lead = `webform:lead-${i % 10}`;
          enqueued.set(lead, [...(enqueued.get(lead) ?? []), result.jobId]);
        }
      };
      const work = async (storage: PostgresStorage, workerId: string): Promise<void> => {
        let idle = 0;
        while (producing || idle < 20) {
          const lane: Lane = Math.random() < 0.5 ? 'realtime' : 'batch';
          const jobs = await storage.jobs.claim({ lane, limit: 5, workerId, now: new Date(), visibilityMs: 60_000, consecutivePerLead: lane === 'batch' ? 3 : 1 });
          if (jobs.length === 0) {
            idle += 1;
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          idle = 0;
          // Recorded before the commit: once committed, the lead's next job may be finished elsewhere at once.
          for (const job of jobs) finished.set(job.leadKey, [...(finished.get(job.leadKey) ?? []), job.id]);
          const results = await storage.outcomes.settleMany(jobs.map((job) => ({ job: { id: job.id, workerId }, audit: [] })));
          expect(results.every((result) => result.status === 'settled')).toBe(true);
        }
      };
      await Promise.all([produce().finally(() => (producing = false)), ...workers.map((storage, index) => work(storage, `w${index}`))]);
      expect(await producer.jobs.depth()).toEqual({ realtime: 0, batch: 0 });
      let total = 0;
      for (const [lead, ids] of enqueued) {
        expect(finished.get(lead), lead).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
        total += ids.length;
      }
      expect(total).toBe(400);
    });
  });
});

// --- The built CLI: `leadsync serve --no-worker` + 2 `leadsync worker` processes through PgBouncer ---

const WEBFORM_SECRET = 'whsec_bGVhZHN5bmMtcGdib3VuY2VyLXRlc3Q=';
const EVENTS = 2000;

/** examples/leadsync.yaml (sandbox CRM) with its storage on PostgreSQL through PgBouncer and a known webform secret. */
function writeConfig(dir: string, url: string): string {
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  const example = readFileSync('examples/leadsync.yaml', 'utf8');
  const config = example
    .replace(/ {2}file: \.\/data\/leadsync\.db\n {2}synchronous: full\n/, `  url: "${url}"\n`)
    .replace(/\$\{WEBFORM_SECRET:-[^}]*\}/, WEBFORM_SECRET);
  if (!config.includes(`url: "${url}"`) || !config.includes(`["${WEBFORM_SECRET}"]`)) throw new Error('examples/leadsync.yaml changed shape; update the config rewrite');
  writeFileSync(join(dir, 'leadsync.yaml'), config);
  return join(dir, 'leadsync.yaml');
}

function webformBody(index: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      submission_id: `pgb-${index}`,
      submitted_at: '2026-11-20T14:03:11Z',
      email: `lead${index}@pgbouncer-test.example.com`,
      first_name: `Lead${index}`,
      job_title: index % 2 === 0 ? 'VP Marketing' : 'Senior Software Engineer',
      company: 'Pooled Corp',
      country: 'DE',
      form: 'Contact Us',
    }),
  );
}

async function post(url: string, index: number): Promise<string> {
  const body = webformBody(index);
  const id = `msg_pgb_${index}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${url}/v1/events/webform`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhooks(WEBFORM_SECRET, id, timestamp, body) },
    body,
  });
  const json = (await response.json()) as { eventId?: string };
  if (response.status !== 202 || json.eventId === undefined) throw new Error(`event ${index}: ${response.status} ${JSON.stringify(json)}`);
  return json.eventId;
}

describe('the built CLI through PgBouncer (transaction mode, 2 server connections)', () => {
  it(`serve --no-worker + 2 workers: ${EVENTS} events, each with exactly one terminal audit entry, the chain verifies`, { timeout: 300_000 }, async () => {
    const children: ChildProcess[] = [];
    const role = await roleForThisTest();
    const dir = tempDirForThisTest('leadsync-pgbouncer-');
    try {
      const configFile = writeConfig(dir, role.url);
      // The API first: it applies the migrations, through PgBouncer, before the workers open the schema.
      const api = await startServeProcess(configFile, ['--no-worker']);
      children.push(api.process);
      for (let i = 0; i < 2; i += 1) children.push(await startWorkerProcess(configFile));

      // While it runs: how many client and server connections the role has at PgBouncer.
      let sampling = true;
      const peak = { clients: 0, servers: 0 };
      const sampler = (async () => {
        while (sampling) {
          const pool = (await bouncer.admin('SHOW POOLS')).find((row) => row['user'] === role.role);
          if (pool !== undefined) {
            const sum = (...columns: string[]): number => columns.reduce((total, column) => total + Number(pool[column] ?? 0), 0);
            peak.clients = Math.max(peak.clients, sum('cl_active', 'cl_waiting'));
            peak.servers = Math.max(peak.servers, sum('sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'));
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();

      const eventIds: string[] = [];
      let next = 0;
      const sender = async (): Promise<void> => {
        for (let index = next++; index < EVENTS; index = next++) eventIds.push(await post(api.url, index));
      };
      await Promise.all(Array.from({ length: 16 }, () => sender()));
      await waitFor(
        async () => {
          const ready = (await (await fetch(`${api.url}/readyz`)).json()) as { queueDepth?: { realtime: number; batch: number } };
          return ready.queueDepth !== undefined && ready.queueDepth.realtime + ready.queueDepth.batch === 0 ? true : undefined;
        },
        'the queue to drain',
        { timeoutMs: 240_000, intervalMs: 250 },
      );
      sampling = false;
      await sampler;
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve())));

      expect(new Set(eventIds).size).toBe(EVENTS);
      // The client connections of three processes shared at most POOL_SIZE server connections.
      expect(peak.servers).toBeLessThanOrEqual(POOL_SIZE);
      expect(peak.clients).toBeGreaterThan(POOL_SIZE);
      const schema = role.role;
      const { terminal, versions, unfinished } = await withTestConnection(async (client) => ({
        terminal: (await client.query<{ event_id: string; n: number }>(`SELECT event_id::text AS event_id, count(*)::int AS n FROM audit_log WHERE object = 'contacts' AND outcome IN ('written', 'no_change', 'stale', 'rejected') GROUP BY event_id`)).rows,
        versions: (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((row) => row.version),
        unfinished: (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM job_queue')).rows[0]?.n,
      }), schema);
      expect(versions).toEqual(loadPgMigrations().map((migration) => migration.version));
      expect(unfinished).toBe(0);
      const counts = new Map(terminal.map((row) => [row.event_id, row.n]));
      expect(eventIds.filter((id) => counts.get(id) !== 1)).toEqual([]);
      expect(counts.size).toBe(EVENTS);
      const storage = await openPostgresStorage({ url: role.url, maxConnections: 2 });
      try {
        expect(await storage.audit.verify()).toMatchObject({ ok: true });
      } finally {
        await storage.close();
      }
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
