import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { onTestFinished } from 'vitest';
import { testDatabaseUrl, uniqueSchemaName, withTestConnection } from './postgres-test-schema.js';

// A PgBouncer of the test's own, in front of the test PostgreSQL (docs/deploy.md, section 3):
// a child process on a free port with a generated config, never the system service.

/** Every PgBouncer started and not yet stopped, with its temp dir: SIGKILLed and removed when the test process exits. */
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export interface PgBouncerOptions {
  /** Server connections per database and user pair. Small, so client connections really share them. (Default: 2) */
  readonly poolSize?: number;
  /** `ignore_startup_parameters`, e.g. `['options']`. (Default: none, PgBouncer's own default: only `extra_float_digits` is always ignored) */
  readonly ignoreStartupParameters?: readonly string[];
  /** More `[pgbouncer]` settings, written after (and so replacing) the generated ones, e.g. `{ server_login_retry: '1' }`. (Default: none) */
  readonly extraSettings?: Readonly<Record<string, string>>;
}

export interface PgBouncer {
  /** `postgres://<role>@127.0.0.1:<port>/<database>` through PgBouncer, with nothing else in it. */
  urlFor(role: string): string;
  /** The settings of the generated config, as written (for reports and docs). */
  readonly settings: Readonly<Record<string, string>>;
  /** The pgbouncer process id (for CPU figures in benchmarks). */
  readonly pid: number | undefined;
  /** `PgBouncer 1.x.y`, from its admin console. */
  readonly version: string;
  /** A statement on PgBouncer's admin console (`SHOW POOLS`, `SHOW SERVERS`), as the admin user. */
  admin(command: string): Promise<readonly Record<string, unknown>[]>;
  /** What PgBouncer printed so far (its log goes to stderr). */
  output(): string;
  /** Stops it (SIGTERM: immediate shutdown) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

const DEBIAN_PACKAGE_HINT = 'install the Debian package: apt-get install -y pgbouncer (.ci/run does this)';

/** The pgbouncer binary: on PATH, or where Debian puts it. Throws, naming the package, when there is none. */
export function findPgBouncerBinary(): string {
  const candidates = [...(process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, 'pgbouncer')), '/usr/sbin/pgbouncer'];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not this one; try the next.
    }
  }
  throw new Error(`pgbouncer not found on PATH or in /usr/sbin: ${DEBIAN_PACKAGE_HINT}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function renderIni(settings: Readonly<Record<string, string>>, databases: Readonly<Record<string, string>>): string {
  const lines = ['[databases]', ...Object.entries(databases).map(([name, target]) => `${name} = ${target}`), '', '[pgbouncer]'];
  for (const [key, value] of Object.entries(settings)) lines.push(`${key} = ${value}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Starts PgBouncer in transaction mode in front of the test database and
 * resolves once it listens. Roles log in with the trust auth of the test
 * PostgreSQL: `postgres` is in the auth file and is also the `auth_user`
 * that looks up any other role (so a role a test creates can log in at once).
 * Runs as the `postgres` OS user when the tests run as root (PgBouncer refuses root).
 * Fails, not skips, when pgbouncer is not installed.
 */
export async function startPgBouncer(options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const binary = findPgBouncerBinary();
  const target = new URL(testDatabaseUrl());
  const database = target.pathname.replace(/^\//, '') || 'postgres';
  const adminUser = decodeURIComponent(target.username) || 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'leadsync-pgbouncer-'));
  // PgBouncer drops to the postgres user when started as root: it must read its files.
  chmodSync(dir, 0o755);
  const stopped = { done: false };
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const settings: Record<string, string> = {
      listen_addr: '127.0.0.1',
      listen_port: String(port),
      unix_socket_dir: '',
      pool_mode: 'transaction',
      default_pool_size: String(options.poolSize ?? 2),
      min_pool_size: '0',
      reserve_pool_size: '0',
      max_client_conn: '500',
      auth_type: 'trust',
      auth_file: join(dir, 'userlist.txt'),
      auth_user: adminUser,
      admin_users: adminUser,
      ...(options.ignoreStartupParameters === undefined ? {} : { ignore_startup_parameters: options.ignoreStartupParameters.join(',') }),
      ...options.extraSettings,
    };
    writeFileSync(join(dir, 'userlist.txt'), `"${adminUser}" ""\n`, { mode: 0o644 });
    const ini = join(dir, 'pgbouncer.ini');
    writeFileSync(ini, renderIni(settings, { [database]: `host=${target.hostname} port=${target.port || '5432'} dbname=${database}` }), { mode: 0o644 });
    const asRoot = process.getuid?.() === 0;
    const child = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.set(child, dir);
    child.once('exit', () => running.delete(child));
    let output = '';
    const started = await new Promise<boolean>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/process up: PgBouncer/.test(output)) resolve(true);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => reject(new Error(`could not start ${binary}: ${error.message}; ${DEBIAN_PACKAGE_HINT}`, { cause: error })));
      child.once('exit', () => resolve(false));
    });
    if (!started) {
      // Another process may have taken the port between freePort and listen: pick again.
      if (attempt < 5 && /Address already in use/.test(output)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer exited before it listened:\n${output}`);
    }
    const urlFor = (role: string): string => `postgres://${encodeURIComponent(role)}@127.0.0.1:${port}/${database}`;
    const admin = async (command: string): Promise<readonly Record<string, unknown>[]> => {
      const client = new pg.Client({ connectionString: `${urlFor(adminUser).replace(/\/[^/]*$/, '')}/pgbouncer` });
      client.on('error', () => undefined);
      await client.connect();
      try {
        // The admin console speaks only the simple query protocol: no parameters.
        return (await client.query(command)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    const version = (await admin('SHOW VERSION')).map((row) => Object.values(row).join(' ')).join(' ') || 'unknown';
    return {
      urlFor,
      pid: child.pid,
      settings,
      version,
      admin,
      output: () => output,
      stop: async () => {
        if (stopped.done) return;
        stopped.done = true;
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** A role of its own (for one test, or one benchmark run), its tables in a schema of the same name. */
export interface PgBouncerTestRole {
  /** Role and schema name (`pgb_<hex>`). */
  readonly role: string;
  /** The role's URL through PgBouncer: no schema option, the schema comes from the role. */
  readonly url: string;
}

/**
 * What docs/deploy.md tells PgBouncer users to do: a new login role owning a
 * schema of its name, with `ALTER ROLE … SET search_path` to it. Not tied to
 * a test (benchmarks use it too): drop it with `dropPgBouncerRole`.
 */
export async function createPgBouncerRole(bouncer: PgBouncer): Promise<PgBouncerTestRole> {
  const role = uniqueSchemaName('pgb');
  await withTestConnection(async (client) => {
    await client.query(`CREATE ROLE ${role} LOGIN`);
    await client.query(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
    await client.query(`ALTER ROLE ${role} SET search_path = ${role}`);
  });
  return { role, url: bouncer.urlFor(role) };
}

/** Drops the schema and the role `createPgBouncerRole` made, ending the role's sessions (PgBouncer's idle server connections) first. */
export async function dropPgBouncerRole(role: string): Promise<void> {
  await withTestConnection(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${role} CASCADE`);
    // PgBouncer keeps idle server connections of the role; they go with it.
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await client.query(`DROP ROLE IF EXISTS ${role}`);
  });
}

/**
 * `createPgBouncerRole` for the current test. When the test finishes, `cleanup`
 * runs (close pools first); then schema and role are dropped if it passed, or
 * kept (names printed) if it failed.
 */
export async function pgBouncerRoleForThisTest(bouncer: PgBouncer, cleanup: () => Promise<void>): Promise<PgBouncerTestRole> {
  const created = await createPgBouncerRole(bouncer);
  onTestFinished(async (context) => {
    await cleanup();
    if (context.task.result?.state === 'fail') {
      console.error(`kept the PostgreSQL schema and role of failed test "${context.task.name}": ${created.role} (${testDatabaseUrl()})`);
      return;
    }
    await dropPgBouncerRole(created.role);
  });
  return created;
}
