import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/server/runtime.js';
import {
  acceptFixture,
  acceptPayload,
  drainQueue,
  fixturePayload,
  operatorWorkspaceForThisTest,
  snapshotDatabase,
  tamperAuditRow,
  type OperatorWorkspace,
} from '../support/operator-workspace.js';
import { runCli } from './run-cli.js';

// `leadsync dlq|approvals|audit` run as a user runs them (the built bin),
// against a temp SQLite file prepared in-process with the real worker.
// Each spawn starts a Node process, so a test here can take seconds on a busy machine.
const SLOW = { timeout: 120_000 };

const GRACE = 'contacts:grace.hopper@navy-labs.example.com';
const ADA = 'contacts:ada.lovelace@acme-analytics.co.uk';


/** One open DLQ item (bad-lead-source under the original mapping); the runtime is closed so only the CLI touches the file. */
async function withDeadLetter(workspace: OperatorWorkspace, more: (runtime: Runtime) => Promise<void> = () => Promise.resolve()): Promise<string> {
  const runtime = await workspace.open('original');
  await acceptFixture(runtime, 'webform', 'webform/bad-lead-source.json');
  await more(runtime);
  await drainQueue(runtime);
  const [item] = (await runtime.storage.deadLetters.list()).items.slice(-1);
  await runtime.close();
  if (!item) throw new Error('expected a DLQ item');
  return item.id;
}

/** Ada written, then an owner change waiting for approval; returns the approval id. */
async function withApproval(workspace: OperatorWorkspace, createdAt?: Date): Promise<string> {
  const runtime = await workspace.open('original');
  await acceptFixture(runtime, 'webform', 'webform/demo-request.json');
  await drainQueue(runtime);
  await acceptFixture(runtime, 'webform', 'webform/owner-change.json');
  await drainQueue(runtime, createdAt === undefined ? {} : { now: () => createdAt });
  const [item] = (await runtime.storage.approvals.list({ status: 'pending' })).items;
  await runtime.close();
  if (!item) throw new Error('expected an approval');
  return item.id;
}

describe('leadsync dlq', SLOW, () => {
  it('lists items grouped by code, shows one without its raw payload, and explains an unknown id', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const id = await withDeadLetter(workspace);
    const config = ['--config', workspace.originalConfig];

    const list = runCli(['dlq', 'list', ...config]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/CRM_PICKLIST_MISMATCH\s+1/);
    expect(list.stdout).toContain(GRACE);
    const json = JSON.parse(runCli(['dlq', 'list', '--json', ...config]).stdout) as { groups: { errorCode: string; count: number }[]; items: { id: string }[] };
    expect(json.groups).toEqual([expect.objectContaining({ errorCode: 'CRM_PICKLIST_MISMATCH', count: 1 })]);
    expect(json.items.map((item) => item.id)).toEqual([id]);

    const show = runCli(['dlq', 'show', id, ...config]);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('with keys: submission_id, form, lead_source');
    expect(show.stdout).toContain('nearest: partner');
    expect(show.stdout).not.toContain('Principal Engineer');

    const unknown = runCli(['dlq', 'show', '999', ...config]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('DLQ_ITEM_NOT_FOUND');
    expect(unknown.stderr).toContain('leadsync dlq list');
  });

  it('fix the mapping, dry-run (nothing changes), replay with an actor; the audit shows replayed then written', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const id = await withDeadLetter(workspace);
    const before = snapshotDatabase(workspace.dbFile);

    const unfixed = runCli(['dlq', 'replay', id, '--dry-run', '--config', workspace.originalConfig]);
    expect(unfixed.status).toBe(1);
    expect(unfixed.stdout).toContain('be dead-lettered again');
    const preview = runCli(['dlq', 'replay', id, '--dry-run', '--config', workspace.fixedConfig]);
    expect(preview.stderr).toBe('');
    expect(preview.status).toBe(0);
    expect(preview.stdout).toContain('resolve the item (outcome write) under mapping webform-v2 v2');
    expect(preview.stdout).toMatch(/lead_source\s+change\s+–\s+partner/);
    expect(snapshotDatabase(workspace.dbFile)).toEqual(before);

    const replay = runCli(['dlq', 'replay', id, '--actor', 'maria', '--config', workspace.fixedConfig]);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain(`Replayed DLQ item ${id}`);
    const again = runCli(['dlq', 'replay', id, '--config', workspace.fixedConfig]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('DLQ_ITEM_NOT_OPEN');

    await drainQueue(await workspace.open('fixed'));
    const audit = runCli(['audit', GRACE, '--config', workspace.fixedConfig]);
    expect(audit.status).toBe(0);
    expect(audit.stdout).toMatch(/lead_source\s+\S+\s+– → partner\s+1\.00\s+written\s+source:webform\s+webform-v2@2\s+webform: lead_source/);
    expect(audit.stdout).toMatch(/replayed\s+person:maria/);
    const timeline = (JSON.parse(runCli(['audit', GRACE, '--json', '--config', workspace.fixedConfig]).stdout) as { timeline: { outcome: string; actor: { name: string } }[] }).timeline;
    expect(timeline.slice(-2).map((entry) => `${entry.outcome}:${entry.actor.name}`)).toEqual(['replayed:maria', 'written:webform']);
  });

  it('discards with --dry-run first (nothing changes), then for real; a second discard is refused', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const id = await withDeadLetter(workspace);
    const config = ['--config', workspace.originalConfig];
    const before = snapshotDatabase(workspace.dbFile);
    const dryRun = runCli(['dlq', 'discard', id, '--dry-run', ...config]);
    expect(dryRun.status).toBe(0);
    expect(dryRun.stdout).toContain('would be discarded');
    expect(snapshotDatabase(workspace.dbFile)).toEqual(before);

    const discard = runCli(['dlq', 'discard', id, '--actor', 'ops-lead', '--json', ...config]);
    expect(discard.status).toBe(0);
    expect(JSON.parse(discard.stdout)).toMatchObject({ status: 'discarded', item: { status: 'discarded', resolvedBy: 'ops-lead' } });
    expect(runCli(['dlq', 'discard', id, ...config]).status).toBe(1);
    expect(runCli(['audit', GRACE, ...config]).stdout).toMatch(/discarded\s+person:ops-lead/);
  });

  it('replays --all --code (with --source), dry run first', async () => {
    const workspace = operatorWorkspaceForThisTest();
    await withDeadLetter(workspace, async (runtime) => {
      await acceptPayload(runtime, 'webform', fixturePayload('webform/bad-lead-source.json', { email: 'alan@navy-labs.example.com', submission_id: 'sub_alan' }));
      await acceptFixture(runtime, 'zoominfo', 'zoominfo/bad-phone.json');
    });
    const fixed = ['--config', workspace.fixedConfig];
    const before = snapshotDatabase(workspace.dbFile);
    const dryRun = runCli(['dlq', 'replay', '--all', '--code', 'CRM_PICKLIST_MISMATCH', '--source', 'webform', '--dry-run', ...fixed]);
    expect(dryRun.status).toBe(0);
    expect(dryRun.stdout).toContain('2 of 2 open CRM_PICKLIST_MISMATCH items of source webform would be resolved');
    expect(snapshotDatabase(workspace.dbFile)).toEqual(before);

    const all = runCli(['dlq', 'replay', '--all', '--code', 'CRM_PICKLIST_MISMATCH', '--actor', 'maria', ...fixed]);
    expect(all.status).toBe(0);
    expect(all.stdout).toContain('Replayed 2 of 2 open CRM_PICKLIST_MISMATCH items');
    const open = JSON.parse(runCli(['dlq', 'list', '--json', ...fixed]).stdout) as { items: { errorCode: string }[] };
    expect(open.items.map((item) => item.errorCode)).toEqual(['NORMALIZE_PHONE_INVALID']);
    expect(runCli(['dlq', 'replay', '--all', '--code', 'CRM_PICKLIST_MISMATCH', ...fixed]).stdout).toContain('nothing to replay');
  });

  it('exits 2 for usage and config mistakes', () => {
    const workspace = operatorWorkspaceForThisTest();
    const config = ['--config', workspace.originalConfig];
    const cases: { args: string[]; says: string }[] = [
      { args: ['dlq', 'replay', ...config], says: 'give the id' },
      { args: ['dlq', 'replay', '--all', ...config], says: '--all needs --code' },
      { args: ['dlq', 'replay', '1', '--all', '--code', 'CRM_REJECTED', ...config], says: 'not both' },
      { args: ['dlq', 'replay', '--all', '--code', 'NOPE', ...config], says: 'unknown error code "NOPE"' },
      { args: ['dlq', 'list', '--status', 'closed', ...config], says: '--status must be one of' },
      { args: ['dlq', 'list'], says: '--config' },
      { args: ['approvals', 'approve', '1', '--config', 'no-such-file.yaml'], says: 'CONFIG_FILE_NOT_FOUND' },
      { args: ['audit', ...config], says: 'missing required argument' },
      // A cursor no listing handed out is a bad option value, like `--limit many`.
      { args: ['dlq', 'list', '--cursor', 'garbage', ...config], says: 'PAGE_CURSOR_INVALID' },
      { args: ['approvals', 'list', '--cursor', 'garbage', ...config], says: 'PAGE_CURSOR_INVALID' },
    ];
    for (const { args, says } of cases) {
      const run = runCli(args);
      expect({ args, status: run.status }).toEqual({ args, status: 2 });
      expect(run.stderr).toContain(says);
    }
  });
});

describe('leadsync approvals', SLOW, () => {
  it('lists, dry-runs (nothing changes), approves (the field is written, the person audited), and refuses a second decision', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const id = await withApproval(workspace);
    const config = ['--config', workspace.originalConfig];
    const list = runCli(['approvals', 'list', ...config]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+pending\\s+${ADA}\\s+hubspot_owner_id\\s+– → owner-4471`));

    const before = snapshotDatabase(workspace.dbFile);
    const dryRun = runCli(['approvals', 'approve', id, '--dry-run', ...config]);
    expect(dryRun.status).toBe(0);
    expect(dryRun.stdout).toContain('would write contacts.hubspot_owner_id');
    expect(snapshotDatabase(workspace.dbFile)).toEqual(before);

    const approve = runCli(['approvals', 'approve', id, '--actor', 'maria', ...config]);
    expect(approve.status).toBe(0);
    expect(approve.stdout).toContain('written to the CRM');
    const again = runCli(['approvals', 'reject', id, ...config]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('APPROVAL_NOT_PENDING');
    expect(runCli(['approvals', 'approve', '999', ...config]).stderr).toContain('leadsync approvals list');

    const audit = runCli(['audit', ADA, ...config]);
    expect(audit.stdout).toMatch(/– → owner-4471\s+1\.00\s+approved\s+person:maria\s+preset:webform@1\s+approved by maria/);
  });

  it('refuses a stale item (exit 1, nothing marked), rejects, and expires old items', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const id = await withApproval(workspace);
    const config = ['--config', workspace.originalConfig];
    const runtime = await workspace.open('original');
    await runtime.crm.upsert('contacts', [{ idField: 'email', id: 'ada.lovelace@acme-analytics.co.uk', properties: { hubspot_owner_id: 'owner-9' } }]);
    await runtime.close();

    const stale = runCli(['approvals', 'approve', id, ...config]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('APPROVAL_STALE, crm_value_changed');
    expect(JSON.parse(runCli(['approvals', 'list', '--json', ...config]).stdout)).toMatchObject({ items: [{ id, status: 'pending' }] });

    const reject = runCli(['approvals', 'reject', id, '--actor', 'sam', ...config]);
    expect(reject.status).toBe(0);
    expect(reject.stdout).toContain('the CRM was not changed');
    expect(runCli(['audit', ADA, ...config]).stdout).toMatch(/rejected\s+person:sam/);

    const old = operatorWorkspaceForThisTest();
    await withApproval(old, new Date(Date.now() - 15 * 86_400_000));
    const expiring = runCli(['approvals', 'list', '--config', old.originalConfig]);
    expect(expiring.status).toBe(0);
    expect(expiring.stdout).toContain('Expired 1 item older than 14 days.');
    expect(expiring.stdout).toContain('No pending approvals.');
  });
});

describe('leadsync audit', SLOW, () => {
  it('verify passes with a row count, then names a tampered row and exits 1; an unknown lead exits 1', async () => {
    const workspace = operatorWorkspaceForThisTest();
    await withApproval(workspace);
    const config = ['--config', workspace.originalConfig];
    const ok = runCli(['audit', 'verify', ...config]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^OK {2}audit chain verified: \d+ rows, head [0-9a-f]{64}\n$/);
    const rows = Number(/verified: (\d+) rows/.exec(ok.stdout)?.[1]);

    tamperAuditRow(workspace.dbFile, '2');
    const broken = runCli(['audit', 'verify', ...config]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('BROKEN  audit row 2: row_hash_mismatch');
    expect(broken.stdout).toContain('1 row verified before it. AUDIT_CHAIN_BROKEN');
    expect(JSON.parse(runCli(['audit', 'verify', '--json', ...config]).stdout)).toMatchObject({ ok: false, firstBrokenId: '2', rows: 1 });
    expect(rows).toBeGreaterThan(2);

    const unknown = runCli(['audit', 'contacts:nobody@example.com', ...config]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no audit entries');
  });
});
