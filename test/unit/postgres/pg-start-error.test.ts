import { describe, expect, it } from 'vitest';
import { pgStartError } from '../../../src/adapters/postgres/pg-connection-errors.js';

/** An error as node-postgres reports a server's (or PgBouncer's) ErrorResponse: message and SQLSTATE. */
function serverError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const TARGET = 'postgres://leadsync:***@127.0.0.1:6432/leadsync';

describe('pgStartError: PgBouncer in front of PostgreSQL', () => {
  it('treats "server login has been failing" (the server behind the pooler is restarting or down) as unreachable, which is retryable', () => {
    const error = pgStartError(serverError('server login has been failing, try again later (server_login_retry)', '08P01'), TARGET);
    expect(error?.code).toBe('STORAGE_UNREACHABLE');
    expect(error?.message).toContain('server login has been failing');
  });

  it('keeps a refused startup parameter a rejected connection (a setup problem, not an outage)', () => {
    const error = pgStartError(serverError('unsupported startup parameter: options', '08P01'), TARGET);
    expect(error?.code).toBe('STORAGE_CONNECTION_REJECTED');
  });

  it('leaves errors that are not about the connection to the caller', () => {
    expect(pgStartError(serverError('relation "job_queue" does not exist', '42P01'), TARGET)).toBeUndefined();
  });
});
