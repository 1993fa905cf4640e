import { DEFAULT_MAX_HOLD_MS, type SqliteWriteTurn } from '../adapter-support/sqlite-write-turn.js';
import type { CrmDestination } from '../ports/crm-destination.js';
import type { StoragePorts } from '../ports/storage-ports.js';

/** What a gated port asks before each call. */
export interface WriteGate {
  /** Whether the call must wait first (checked synchronously, just before the call). */
  mustWait(): boolean;
  /** Resolves when the call may go ahead; bounded. */
  wait(): Promise<unknown>;
}

/**
 * `port` with its method calls gated: while `gate.mustWait()` the call is
 * made once `gate.wait()` resolves; otherwise at once, synchronously, as if
 * ungated. Every method of a port returns a promise, so the caller sees no
 * difference but the delay. A better-sqlite3 adapter runs each write
 * transaction synchronously inside the call, so the check comes just before
 * the transaction begins, and a wait never holds a lock. Methods named in
 * `reads` only read (a WAL reader takes no write lock): they are never held,
 * so the worker reads and plans while an ingest commit runs. Every other
 * method is gated, so a write method added later is gated without a change here.
 */
export function gatePort<T extends object>(port: T, gate: WriteGate, reads: ReadonlySet<PropertyKey> = new Set()): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      let gated = wrapped.get(key);
      if (gated === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        // Every method runs on the port itself, reads too: a read that calls the port's own helpers (`this.rowsOf`)
        // must reach them directly, not through this proxy, where a helper would be gated and return a promise.
        gated = reads.has(key)
          ? (...args: unknown[]): unknown => method.apply(target, args)
          : (...args: unknown[]): unknown => (gate.mustWait() ? gate.wait().then(() => method.apply(target, args)) : method.apply(target, args));
        wrapped.set(key, gated);
      }
      return gated;
    },
  });
}

/** The storage reads the worker makes (ungated); every other method is gated. */
const STORAGE_READS = {
  ingest: new Set<PropertyKey>(['getEvent', 'getEvents', 'listConflicts']),
  jobs: new Set<PropertyKey>(['depth', 'oldestAgeMs']),
  fieldState: new Set<PropertyKey>(['read', 'readMany']),
} as const;

/** Every store of `storage` gated (see `gatePort`) but for its reads; `close` passes through. */
export function gateStorage(storage: StoragePorts, gate: WriteGate): StoragePorts {
  return {
    ingest: gatePort(storage.ingest, gate, STORAGE_READS.ingest),
    jobs: gatePort(storage.jobs, gate, STORAGE_READS.jobs),
    outcomes: gatePort(storage.outcomes, gate),
    deadLetters: gatePort(storage.deadLetters, gate),
    approvals: gatePort(storage.approvals, gate),
    audit: gatePort(storage.audit, gate),
    fieldState: gatePort(storage.fieldState, gate, STORAGE_READS.fieldState),
    close: () => storage.close(),
  };
}

const CRM_READS = new Set<PropertyKey>(['describe', 'read']);

/**
 * A CRM destination gated where it writes the storage's file: the sandbox CRM's
 * `upsert` (its reads and every remote CRM's calls go at once: a HubSpot or
 * Salesforce request writes nothing local). The rate-limit governor's token
 * writes are gated in its store instead (`openRuntime`'s `wrapRateLimitStore`),
 * so a remote call is never held for the write turn.
 */
export function gateCrm(crm: CrmDestination, gate: WriteGate, options: { readonly writesStorageFile: boolean }): CrmDestination {
  return options.writesStorageFile ? gatePort(crm, gate, CRM_READS) : crm;
}

/**
 * The worker thread's side of the write-turn gate: before each storage or CRM
 * call, while a waiting side (the ingest writer, the HTTP thread's operator
 * writes) has raised its flag, wait until every flag is lowered, at most
 * `maxWaitMs` per call.
 */
export function holdingForIngest(turn: SqliteWriteTurn, maxWaitMs = DEFAULT_MAX_HOLD_MS): WriteGate {
  return { mustWait: () => turn.raised, wait: () => turn.hold(maxWaitMs) };
}
