import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors/error-codes.js';
import { pgBouncerRoleForThisTest, startPgBouncer } from '../support/pgbouncer.js';
import { testDatabaseUrl } from '../support/postgres-test-schema.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// A wrong environment at start (PostgreSQL down or refusing, a SQLite directory that is not
// writable, a full disk, a port already taken) is not a bug: the built CLI says what is wrong
// and where, what to do, with a code from docs/errors.md, and exits 2 like any setup problem
// (docs/cli.md). Each case is the real thing, not a mock: a closed port, an unknown database
// and role, a PgBouncer refusing options=, a directory the CLI's user cannot write, a tmpfs
// with no room left, a port this test listens on.

const SLOW = { timeout: 60_000 };
const NOBODY = 65534;
let dir: string;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` (the built CLI unless `command` is given) until it exits; a run still going after 30 s is killed and fails the test. */
function run(args: readonly string[], options: { readonly command?: readonly string[]; readonly uid?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // With `command`, it runs node: `unshare … node bin/leadsync.js …`.
    const [file = process.execPath, ...prefix] = options.command === undefined ? [] : [...options.command, process.execPath];
    // Without DATABASE_URL: storage is what each config says.
    const { DATABASE_URL: _ignored, ...env } = process.env;
    const child = spawn(file, [...prefix, 'bin/leadsync.js', ...args], {
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`leadsync ${args.join(' ')} did not end within 30 s (a failed start must end the process):\n${stderr}`));
    }, 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A config like examples/leadsync.yaml whose storage section is `storage` (YAML lines, indented). */
function configWith(name: string, storage: string): string {
  const file = join(dir, `${name}.yaml`);
  const example = readFileSync('examples/leadsync.yaml', 'utf8');
  const replaced = example.replace(/^storage:\n(?: {2}.*\n)+/m, `storage:\n${storage}\n`);
  expect(replaced).not.toBe(example);
  writeFileSync(file, replaced);
  return file;
}

/** The checks every case shares: stderr names the code, the message and the fix; no stack trace, no "bug"; exit 2; the same in --json. */
function expectSetupError(result: Run, code: keyof typeof ERROR_CODES, message: RegExp): void {
  expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 2, stderr: expect.stringMatching(new RegExp(`^${code}: `, 'm')) as unknown });
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toContain(`  fix: ${ERROR_CODES[code].fix}`);
  expect(result.stderr).not.toMatch(/unexpected error|bug|\n\s+at /);
  expect(readFileSync('docs/errors.md', 'utf8')).toContain(`\`${code}\``);
}

function expectJsonError(result: Run, code: keyof typeof ERROR_CODES): void {
  expect(result.status).toBe(2);
  expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code, fix: expect.stringContaining(ERROR_CODES[code].fix) as unknown }, exitCode: 2 });
}

/** A TCP port nothing listens on now: one the OS handed out and this test closed again. */
async function closedPort(): Promise<number> {
  const server = await listening();
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listening(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** The test database's URL with `change` applied and a password added, to check it is masked. */
function testUrlWith(change: (url: URL) => void): string {
  const url = new URL(testDatabaseUrl());
  url.password = 'secret-pw';
  change(url);
  return url.toString();
}

beforeAll(() => {
  dir = makeTempDir('leadsync-environment-errors-');
  // Readable by the unprivileged user the unwritable-directory case runs as.
  chmodSync(dir, 0o755);
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
});

afterAll(() => {
  removeTempDir(dir);
});

describe('PostgreSQL that cannot be used at start', SLOW, () => {
  it('nothing listening: STORAGE_UNREACHABLE names host:port with the password masked', async () => {
    const port = await closedPort();
    const config = configWith('pg-closed', `  url: ${testUrlWith((url) => (url.port = String(port)))}`);
    const [human, json] = await Promise.all([run(['serve', '--port', '0', '--config', config]), run(['dlq', 'list', '--json', '--config', config])]);
    expectSetupError(human, 'STORAGE_UNREACHABLE', new RegExp(`PostgreSQL at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/test cannot be reached: .*ECONNREFUSED`));
    expect(human.stderr + json.stdout).not.toContain('secret-pw');
    expectJsonError(json, 'STORAGE_UNREACHABLE');
  });

  it('a database that does not exist: STORAGE_DATABASE_NOT_FOUND', async () => {
    const config = configWith('pg-no-db', `  url: ${testUrlWith((url) => (url.pathname = '/leadsync_no_such_database'))}`);
    const result = await run(['serve', '--port', '0', '--config', config]);
    expectSetupError(result, 'STORAGE_DATABASE_NOT_FOUND', /PostgreSQL at postgres:\/\/postgres:\*\*\*@[^ ]+\/leadsync_no_such_database: the database does not exist: database "leadsync_no_such_database" does not exist/);
  });

  it('a role that does not exist: STORAGE_AUTH_FAILED', async () => {
    const config = configWith('pg-no-role', `  url: ${testUrlWith((url) => (url.username = 'leadsync_no_such_role'))}`);
    const result = await run(['worker', '--config', config]);
    expectSetupError(result, 'STORAGE_AUTH_FAILED', /PostgreSQL at postgres:\/\/leadsync_no_such_role:\*\*\*@[^ ]+ refused the login: .*leadsync_no_such_role/);
    expect(result.stderr).not.toContain('secret-pw');
  });

  it('a pooler refusing the URL\'s options= (08P01): STORAGE_CONNECTION_REJECTED with the pooler advice', async () => {
    const bouncer = await startPgBouncer();
    try {
      const role = await pgBouncerRoleForThisTest(bouncer, () => Promise.resolve());
      const config = configWith('pg-pooler', `  url: "${role.url}?options=${encodeURIComponent(`-c search_path=${role.role}`)}"`);
      const result = await run(['serve', '--port', '0', '--config', config]);
      expectSetupError(result, 'STORAGE_CONNECTION_REJECTED', /rejected the connection: unsupported startup parameter: options\. A connection pooler \(PgBouncer\) refuses .*ALTER ROLE/);
    } finally {
      await bouncer.stop();
    }
  });
});

describe('a SQLite file that cannot be used at start', SLOW, () => {
  it('a directory the user cannot write: STORAGE_FILE_UNUSABLE names the file', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    const file = join(locked, 'data', 'leadsync.db');
    const config = configWith('sqlite-locked', `  file: ${file}`);
    // Root writes anywhere: as root the CLI runs as an unprivileged user, for whom the directory is read-only.
    const uid = process.getuid?.() === 0 ? NOBODY : undefined;
    const result = await run(['serve', '--port', '0', '--config', config], uid === undefined ? {} : { uid });
    expectSetupError(result, 'STORAGE_FILE_UNUSABLE', new RegExp(`cannot create, open or write the SQLite database ${file.replaceAll('.', '\\.')}: .*\\(EACCES\\)`));
  });

  it('a path that is a directory: STORAGE_FILE_UNUSABLE (SQLITE_CANTOPEN)', async () => {
    const file = join(dir, 'a-directory.db');
    mkdirSync(file);
    const result = await run(['dlq', 'list', '--config', configWith('sqlite-dir', `  file: ${file}`)]);
    expectSetupError(result, 'STORAGE_FILE_UNUSABLE', /SQLITE_CANTOPEN/);
  });

  it('a disk with no room left: STORAGE_DISK_FULL', async () => {
    // A 64 KiB tmpfs of the CLI's own (a user and mount namespace: no privileges needed), too small for the migrations.
    const mount = join(dir, 'small-disk');
    mkdirSync(mount);
    const config = configWith('sqlite-full', `  file: ${join(mount, 'leadsync.db')}`);
    const result = await run(['serve', '--port', '0', '--config', config], { command: ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"', mount] });
    expectSetupError(result, 'STORAGE_DISK_FULL', new RegExp(`no space left for the SQLite database ${mount}/leadsync\\.db: .*SQLITE_FULL`));
  });
});

describe('a port already in use at start', SLOW, () => {
  it('serve --port: SERVICE_PORT_IN_USE names the address and the option, and the process ends', async () => {
    const taken = await listening();
    try {
      const { port } = taken.address() as { port: number };
      const config = configWith('port-serve', `  file: ${join(dir, 'port-serve.db')}`);
      const [human, json] = await Promise.all([run(['serve', '--port', String(port), '--config', config]), run(['serve', '--json', '--port', String(port), '--config', config])]);
      expectSetupError(human, 'SERVICE_PORT_IN_USE', new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(--port ${port}, service\\.host in [^)]+\\): another process already listens there`));
      expectJsonError(json, 'SERVICE_PORT_IN_USE');
    } finally {
      taken.close();
    }
  });

  it('worker --metrics-port: SERVICE_PORT_IN_USE', async () => {
    const taken = await listening();
    try {
      const { port } = taken.address() as { port: number };
      const result = await run(['worker', '--metrics-port', String(port), '--config', configWith('port-worker', `  file: ${join(dir, 'port-worker.db')}`)]);
      expectSetupError(result, 'SERVICE_PORT_IN_USE', new RegExp(`127\\.0\\.0\\.1:${port} \\(--metrics-port ${port}`));
    } finally {
      taken.close();
    }
  });

  it('a host that is not an address of this machine: SERVICE_LISTEN_REFUSED', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a machine.
    const config = configWith('host-elsewhere', `  file: ${join(dir, 'host-elsewhere.db')}`);
    writeFileSync(config, readFileSync(config, 'utf8').replace('  host: 127.0.0.1', '  host: 192.0.2.1'));
    const result = await run(['serve', '--port', '0', '--config', config]);
    expectSetupError(result, 'SERVICE_LISTEN_REFUSED', /cannot listen on 192\.0\.2\.1 \(--port 0, service\.host in [^)]+\): the host is not an address of this machine \(EADDRNOTAVAIL\)/);
  });
});
