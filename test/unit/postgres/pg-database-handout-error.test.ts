import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransientPgError, PgDatabase, type PgClient } from '../../../src/adapters/postgres/pg-database.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

// A PostgreSQL server shutting down (a restart) ends a session that has just
// logged in with FATAL 57P01 right behind its ReadyForQuery; both can arrive in
// one socket read. node-postgres hands the new connection out from inside that
// read, before `await pool.connect()` resumes and attaches its listener, so the
// error was emitted with no listener: an unhandled 'error' event that ended a
// worker in the PostgreSQL chaos test. A fake server sends exactly that.

/** One protocol message: type byte, length, body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const AUTHENTICATION_OK = message('R', Buffer.from([0, 0, 0, 0]));
const READY_FOR_QUERY = message('Z', Buffer.from('I'));
const ADMIN_SHUTDOWN = message(
  'E',
  Buffer.concat([
    ...[['S', 'FATAL'], ['V', 'FATAL'], ['C', '57P01'], ['M', 'terminating connection due to administrator command']].map(([field, value]) => Buffer.from(`${field}${value}\0`)),
    Buffer.from([0]),
  ]),
);

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

/** A server that answers every login with AuthenticationOk, ReadyForQuery and FATAL 57P01 in one write, then closes. */
function startShuttingDownServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const listening = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(Buffer.concat([AUTHENTICATION_OK, READY_FOR_QUERY, ADMIN_SHUTDOWN])));
    });
    server = listening;
    listening.once('error', reject);
    listening.listen(0, '127.0.0.1', () => {
      const address = listening.address();
      if (typeof address === 'object' && address !== null) resolve(`postgres://leadsync@127.0.0.1:${address.port}/leadsync`);
      else reject(new Error('no address'));
    });
  });
}

describe('PgDatabase: a connection that fails as it is handed out', () => {
  it.each<[string, (database: PgDatabase) => Promise<unknown>]>([
    ['withTransaction', (database) => database.withTransaction((client: PgClient) => client.query('SELECT 1'))],
    ['withClient', (database) => database.withClient((client: PgClient) => client.query('SELECT 1'))],
  ])('%s rejects with a transient error and logs it; nothing is left unhandled', async (_name, call) => {
    const logger = new CapturingLogger();
    const database = new PgDatabase({ url: await startShuttingDownServer(), maxConnections: 1, logger });
    try {
      const failure: unknown = await call(database).then(
        () => new Error('resolved'),
        (error: unknown) => error,
      );
      expect(isTransientPgError(failure), String(failure)).toBe(true);
      expect(logger.matching('PostgreSQL connection failed as it was handed out')).toMatchObject([{ level: 'warn', fields: { code: '57P01' } }]);
    } finally {
      await database.close();
    }
  });
});
