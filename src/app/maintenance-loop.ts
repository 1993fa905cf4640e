import type { ApprovalStore } from '../ports/approval-store.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { Scheduler } from '../ports/scheduler.js';
import type { StructuredLogger } from '../ports/structured-logger.js';

const DAY_MS = 86_400_000;

/** The stores, timers and retention settings of {@link startMaintenanceLoop}. */
export interface MaintenanceLoopOptions {
  readonly ingest: Pick<IngestStore, 'purgePayloadsOlderThan'>;
  readonly approvals: Pick<ApprovalStore, 'expireOlderThan'>;
  readonly scheduler: Scheduler;
  readonly logger: StructuredLogger;
  /** Raw payloads received longer ago than this are purged (config `storage.payloadRetentionDays`). */
  readonly payloadRetentionDays: number;
  /** Pending approvals created longer ago than this expire (config `approvals.expireAfterDays`). */
  readonly approvalExpiryDays: number;
  /** Time between the end of one run and the start of the next. (Default: 3600000 ms, hourly) */
  readonly intervalMs?: number;
  /** Wait before the first run. (Default: 0, right after start) */
  readonly firstRunDelayMs?: number;
}

/** What one run did; a task that failed reports its error message instead of a count. */
export interface MaintenanceReport {
  readonly at: Date;
  readonly payloads: { readonly cutoff: Date; readonly events: number; readonly conflicts: number } | { readonly cutoff: Date; readonly error: string };
  readonly approvals: { readonly cutoff: Date; readonly expired: number } | { readonly cutoff: Date; readonly error: string };
}

/** A running maintenance loop. */
export interface MaintenanceLoop {
  /** Runs both tasks now (waiting for a run in progress first). Never rejects. */
  runOnce(): Promise<MaintenanceReport>;
  /** No further runs; resolves once a run in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Housekeeping on a timer: purges raw payloads past their retention (hashes
 * and audit stay) and expires approvals nobody decided in time. Runs never
 * overlap; each task's error is logged and the loop carries on.
 */
export function startMaintenanceLoop(options: MaintenanceLoopOptions): MaintenanceLoop {
  const { scheduler, logger } = options;
  const intervalMs = options.intervalMs ?? 3_600_000;
  let stopped = false;
  let cancelNext: () => void = () => undefined;
  let current: Promise<MaintenanceReport> | null = null;

  const run = async (): Promise<MaintenanceReport> => {
    const at = scheduler.now();
    const payloadCutoff = new Date(at.getTime() - options.payloadRetentionDays * DAY_MS);
    const approvalCutoff = new Date(at.getTime() - options.approvalExpiryDays * DAY_MS);
    let payloads: MaintenanceReport['payloads'];
    try {
      const purged = await options.ingest.purgePayloadsOlderThan(payloadCutoff, at);
      payloads = { cutoff: payloadCutoff, events: purged.events, conflicts: purged.conflicts };
    } catch (error) {
      logger.error({ err: error, cutoff: payloadCutoff.toISOString() }, 'maintenance: purging old raw payloads failed; will try again next run');
      payloads = { cutoff: payloadCutoff, error: error instanceof Error ? error.message : String(error) };
    }
    let approvals: MaintenanceReport['approvals'];
    try {
      approvals = { cutoff: approvalCutoff, expired: await options.approvals.expireOlderThan(approvalCutoff, at) };
    } catch (error) {
      logger.error({ err: error, cutoff: approvalCutoff.toISOString() }, 'maintenance: expiring old approvals failed; will try again next run');
      approvals = { cutoff: approvalCutoff, error: error instanceof Error ? error.message : String(error) };
    }
    const report: MaintenanceReport = { at, payloads, approvals };
    logger.info(
      {
        purgedPayloads: 'events' in payloads ? { events: payloads.events, conflicts: payloads.conflicts } : null,
        payloadCutoff: payloadCutoff.toISOString(),
        expiredApprovals: 'expired' in approvals ? approvals.expired : null,
        approvalCutoff: approvalCutoff.toISOString(),
      },
      'maintenance run finished',
    );
    return report;
  };

  // A run's failure belongs to whoever started it (and is logged there); waiters only wait for it to end.
  const settled = (run: Promise<unknown>): Promise<void> => run.then(
    () => undefined,
    () => undefined,
  );

  const runOnce = async (): Promise<MaintenanceReport> => {
    while (current) await settled(current);
    const started = run();
    current = started;
    try {
      return await started;
    } finally {
      current = null;
    }
  };

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    cancelNext = scheduler.setTimeout(() => {
      void runOnce()
        .catch((error: unknown) => logger.error({ err: error }, 'maintenance run failed'))
        .finally(() => schedule(intervalMs));
    }, delayMs);
  };

  schedule(options.firstRunDelayMs ?? 0);

  return {
    runOnce,
    async stop() {
      stopped = true;
      cancelNext();
      while (current) await settled(current);
    },
  };
}
