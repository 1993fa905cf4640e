import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/adapters/sqlite/sqlite-storage.js';
import { startMaintenanceLoop, type MaintenanceLoopOptions } from '../../src/app/maintenance-loop.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { flushPromises, ManualScheduler } from '../support/manual-scheduler.js';
import { newEvent } from '../support/storage-fixtures.js';
import { makeTempDir, removeTempDirUnlessFailed } from '../support/temp-dir.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let dir: string;
let storage: SqliteStorage;

beforeEach(() => {
  dir = makeTempDir('leadsync-maintenance-');
  storage = openSqliteStorage({ file: join(dir, 'leadsync.db') });
});

afterEach(async (context) => {
  await storage.close();
  // Keep the database of a failed test to look at (STYLE.md).
  removeTempDirUnlessFailed(context, dir);
});

/** An event received at `receivedAt` whose job is finished, so retention may purge its payload. */
async function finishedEvent(leadId: string, receivedAt: Date): Promise<string> {
  const accepted = await storage.ingest.accept(newEvent({ leadId, receivedAt }));
  if (accepted.status !== 'queued') throw new Error(`expected queued, got ${accepted.status}`);
  const [job] = await storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: receivedAt, visibilityMs: 60_000 });
  if (!job) throw new Error('no job claimed');
  await storage.outcomes.settle({ job: { id: job.id, workerId: 'w' }, audit: [] });
  return accepted.eventId;
}

/** A pending approval created at `createdAt`, the way a worker creates one. */
async function pendingApproval(leadId: string, createdAt: Date): Promise<string> {
  const accepted = await storage.ingest.accept(newEvent({ leadId, receivedAt: createdAt }));
  const result = await storage.outcomes.settle({
    audit: [],
    approvals: [{ leadKey: `webform:${leadId}`, object: 'contacts', field: 'hubspot_owner_id', before: 'owner-1', proposed: 'owner-2', confidence: 0.9, reason: 'approval policy', source: 'webform', sourceUpdatedAt: createdAt.toISOString(), eventId: accepted.eventId, createdAt }],
  });
  if (result.status !== 'settled') throw new Error('expected settled');
  const [id] = result.approvalIds;
  if (!id) throw new Error('no approval id');
  return id;
}

function loop(scheduler: ManualScheduler, logger: CapturingLogger, overrides: Partial<MaintenanceLoopOptions> = {}) {
  return startMaintenanceLoop({ ingest: storage.ingest, approvals: storage.approvals, scheduler, logger, payloadRetentionDays: 30, approvalExpiryDays: 14, ...overrides });
}

describe('maintenance loop (real SQLite file, manual clock)', () => {
  it('purges payloads past retention and expires old approvals, right after start and then hourly', async () => {
    const scheduler = new ManualScheduler('2026-03-01T00:00:00.000Z');
    const logger = new CapturingLogger();
    const now = scheduler.now().getTime();
    const old = await finishedEvent('old', new Date(now - 31 * DAY));
    const recent = await finishedEvent('recent', new Date(now - 30 * DAY + HOUR / 2));
    const staleApproval = await pendingApproval('stale', new Date(now - 15 * DAY));
    const freshApproval = await pendingApproval('fresh', new Date(now - 14 * DAY + HOUR / 2));

    const maintenance = loop(scheduler, logger);
    expect(scheduler.pendingDelays()).toEqual([0]);
    scheduler.advance(0);
    await vi.waitFor(() => expect(logger.matching('maintenance run finished')).toHaveLength(1));

    expect((await storage.ingest.getEvent(old))?.payload).toEqual({ state: 'purged', purgedAt: scheduler.now() });
    expect((await storage.ingest.getEvent(recent))?.payload.state).toBe('kept');
    expect(await storage.approvals.get(staleApproval)).toMatchObject({ status: 'expired' });
    expect(await storage.approvals.get(freshApproval)).toMatchObject({ status: 'pending' });
    expect(logger.matching('maintenance run finished')[0]?.fields).toEqual({
      purgedPayloads: { events: 1, conflicts: 0 },
      payloadCutoff: new Date(now - 30 * DAY).toISOString(),
      expiredApprovals: 1,
      approvalCutoff: new Date(now - 14 * DAY).toISOString(),
    });

    // The next run is an hour after this one ended; by then the other event and approval have aged out.
    await vi.waitFor(() => expect(scheduler.pendingDelays()).toEqual([HOUR]));
    scheduler.advance(HOUR - 1);
    await flushPromises();
    expect(logger.matching('maintenance run finished')).toHaveLength(1);
    scheduler.advance(1);
    await vi.waitFor(() => expect(logger.matching('maintenance run finished')).toHaveLength(2));
    expect((await storage.ingest.getEvent(recent))?.payload.state).toBe('purged');
    expect(await storage.approvals.get(freshApproval)).toMatchObject({ status: 'expired' });

    await maintenance.stop();
    expect(scheduler.pendingDelays()).toEqual([]);
  });

  it('passes cutoffs from the configured days to the stores', async () => {
    const scheduler = new ManualScheduler('2026-03-01T00:00:00.000Z');
    const purge = vi.fn(() => Promise.resolve({ events: 0, conflicts: 0 }));
    const expire = vi.fn(() => Promise.resolve(0));
    const maintenance = startMaintenanceLoop({ ingest: { purgePayloadsOlderThan: purge }, approvals: { expireOlderThan: expire }, scheduler, logger: new CapturingLogger(), payloadRetentionDays: 7, approvalExpiryDays: 3, firstRunDelayMs: 60_000 });

    const report = await maintenance.runOnce();
    expect(purge).toHaveBeenCalledWith(new Date('2026-02-22T00:00:00.000Z'), new Date('2026-03-01T00:00:00.000Z'));
    expect(expire).toHaveBeenCalledWith(new Date('2026-02-26T00:00:00.000Z'), new Date('2026-03-01T00:00:00.000Z'));
    expect(report).toMatchObject({ payloads: { events: 0, conflicts: 0 }, approvals: { expired: 0 } });
    await maintenance.stop();
  });

  it('logs a failing task, still runs the other, and keeps its schedule', async () => {
    const scheduler = new ManualScheduler();
    const logger = new CapturingLogger();
    const expire = vi.fn(() => Promise.resolve(2));
    const maintenance = startMaintenanceLoop({
      ingest: { purgePayloadsOlderThan: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')) },
      approvals: { expireOlderThan: expire },
      scheduler,
      logger,
      payloadRetentionDays: 30,
      approvalExpiryDays: 14,
    });
    scheduler.advance(0);
    await vi.waitFor(() => expect(logger.matching('maintenance run finished')).toHaveLength(1));

    expect(expire).toHaveBeenCalledTimes(1);
    const failure = logger.matching('purging old raw payloads failed')[0];
    expect(failure?.level).toBe('error');
    expect((failure?.fields['err'] as Error).message).toBe('SQLITE_BUSY: database is locked');
    expect(logger.matching('maintenance run finished')[0]?.fields).toMatchObject({ purgedPayloads: null, expiredApprovals: 2 });
    await vi.waitFor(() => expect(scheduler.pendingDelays()).toEqual([HOUR]));
    await maintenance.stop();
  });

  it('never overlaps runs and stop() waits for the one in progress', async () => {
    const scheduler = new ManualScheduler();
    let release = (): void => undefined;
    let running = 0;
    let maxRunning = 0;
    const purge = vi.fn(async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      running -= 1;
      return { events: 0, conflicts: 0 };
    });
    const maintenance = startMaintenanceLoop({ ingest: { purgePayloadsOlderThan: purge }, approvals: { expireOlderThan: () => Promise.resolve(0) }, scheduler, logger: new CapturingLogger(), payloadRetentionDays: 30, approvalExpiryDays: 14 });
    scheduler.advance(0);
    await flushPromises();
    const manual = maintenance.runOnce();
    let stopped = false;
    const stopping = maintenance.stop().then(() => {
      stopped = true;
    });
    await flushPromises();
    expect(purge).toHaveBeenCalledTimes(1);
    expect(stopped).toBe(false);
    release();
    await vi.waitFor(() => expect(purge).toHaveBeenCalledTimes(2));
    release();
    await manual;
    await stopping;
    expect(maxRunning).toBe(1);
    expect(scheduler.pendingDelays()).toEqual([]);
  });
});
