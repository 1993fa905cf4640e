import type { StoragePorts } from '../../src/ports/storage-ports.js';

/**
 * What a backend gives the storage contract suites: its ports, plus a
 * backdoor to the audit table that bypasses the ports the way someone with
 * database access would. Backend specifics (SQL, files, schemas) stay in the
 * backend's runner, not in the suites.
 */
export interface StorageUnderTest {
  readonly ports: StoragePorts;
  readonly auditBackdoor: AuditBackdoor;
}

export interface AuditBackdoor {
  /** Changes one character of a row's lead key with the append-only guard lifted (and put back after). */
  flipLeadKeyCharacter(id: string): Promise<void>;
  /** Attempts a plain UPDATE of a row; resolves with the database's refusal, or null if it was allowed. */
  tryUpdate(id: string): Promise<string | null>;
  /** Attempts a plain DELETE of a row; resolves with the database's refusal, or null if it was allowed. */
  tryDelete(id: string): Promise<string | null>;
}

/** Called inside each test; the backend cleans up when the test finishes. */
export type StorageFactory = () => Promise<StorageUnderTest>;
