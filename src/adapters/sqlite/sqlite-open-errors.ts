import { LeadsyncError } from '../../core/errors/error-codes.js';

/** File-system errors (from creating the directory) that mean the place is not writable or not a directory. */
const UNUSABLE_FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ELOOP', 'ENAMETOOLONG']);
const FULL_FS_CODES = new Set(['ENOSPC', 'EDQUOT']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The error to report when opening SQLite storage failed because of the
 * place the file is in rather than leadsync: a directory that cannot be
 * created or written, a read-only file or disk, a path that is a directory,
 * a full disk. Looks through a failed migration to its cause (a migration
 * that ran out of space is a full disk). Names the file and keeps the
 * original error as `cause`. Undefined for any other error.
 */
export function sqliteOpenError(error: unknown, file: string): LeadsyncError | undefined {
  const underlying = error instanceof LeadsyncError && error.code === 'STORAGE_MIGRATION_FAILED' ? error.cause : error;
  const code = codeOf(underlying);
  if (code === undefined) return undefined;
  const reason = underlying instanceof Error ? underlying.message : String(underlying);
  if (code.startsWith('SQLITE_FULL') || FULL_FS_CODES.has(code)) {
    return new LeadsyncError('STORAGE_DISK_FULL', `no space left for the SQLite database ${file}: ${reason} (${code})`, { cause: error, details: { file } });
  }
  // SQLITE_CANTOPEN: the directory is not writable or the path is a directory; SQLITE_READONLY*: the file,
  // its directory (for the WAL files) or the disk is read-only; SQLITE_PERM: the OS refused access.
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || UNUSABLE_FS_CODES.has(code)) {
    return new LeadsyncError('STORAGE_FILE_UNUSABLE', `cannot create, open or write the SQLite database ${file}: ${reason} (${code})`, { cause: error, details: { file } });
  }
  return undefined;
}
