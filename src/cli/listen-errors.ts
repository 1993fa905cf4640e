import { LeadsyncError } from '../core/errors/error-codes.js';

/**
 * The error to report when the service could not listen: the port is taken
 * (EADDRINUSE), or the host is not an address of this machine or the port
 * needs privileges (EADDRNOTAVAIL, EACCES). `setting` says where the port
 * came from (`--port 8080`, `service.port in leadsync.yaml`), so the message
 * points at what to change. Undefined for any other error.
 */
export function listenError(error: unknown, setting: string): LeadsyncError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, syscall, address, port } = error as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  if (syscall !== 'listen' && syscall !== 'bind') return undefined;
  const where = `${typeof address === 'string' ? address : 'the configured host'}${typeof port === 'number' ? `:${port}` : ''}`;
  const details = { address, port, setting };
  if (code === 'EADDRINUSE') return new LeadsyncError('SERVICE_PORT_IN_USE', `cannot listen on ${where} (${setting}): another process already listens there`, { cause: error, details });
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
    const why = code === 'EACCES' ? 'the port needs privileges this process does not have' : 'the host is not an address of this machine';
    return new LeadsyncError('SERVICE_LISTEN_REFUSED', `cannot listen on ${where} (${setting}): ${why} (${code})`, { cause: error, details });
  }
  return undefined;
}
