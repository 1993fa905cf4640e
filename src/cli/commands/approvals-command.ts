import type { Command } from 'commander';
import { approveApproval, listApprovals, rejectApproval, type ApproveOutcome, type RejectOutcome } from '../../app/approval-actions.js';
import type { LoadedConfig } from '../../config/config-loader.js';
import { APPROVAL_STATUSES, type ApprovalItem, type ApprovalStatus } from '../../ports/approval-store.js';
import { operatorDeps } from '../../server/operator-deps.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { cut, formatConfidence, formatValue, parsePositiveInt } from '../operator-format.js';
import { defaultActor, withRuntime } from '../runtime-session.js';
import { textTable } from '../text-table.js';
import { UsageError } from '../usage-error.js';

interface CommonOptions {
  readonly config: string;
  readonly json?: boolean;
}

interface DecisionOptions extends CommonOptions {
  readonly actor?: string;
  readonly dryRun?: boolean;
}

/** Registers `leadsync approvals list|approve|reject`. */
export function registerApprovalsCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const approvals = program.command('approvals').description('Changes to approval-policy fields (e.g. owners) waiting for a person. Decisions are audited with the person as actor.');

  approvals
    .command('list')
    .description('Pending items, newest first (overdue items are expired first).')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--status <status>', `${APPROVAL_STATUSES.join(', ')} (default: pending)`)
    .option('--lead <leadKey>', 'only items of this lead, e.g. contacts:ada@example.com')
    .option('--limit <n>', 'items per page (default: 50)')
    .option('--cursor <cursor>', 'the next-page cursor printed by the previous page')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { status?: string; lead?: string; limit?: string; cursor?: string }) => {
      const config = await context.load(options.config);
      context.setExitCode(await listCommand(config, options, io));
    });

  approvals
    .command('approve')
    .description('Re-check that the item is not stale, write the field to the CRM, and record the decision.')
    .argument('<id>', 'approval id (from `leadsync approvals list`)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--dry-run', 'check and show the write; change nothing')
    .option('--actor <name>', 'who approves, for the audit (default: $USER, else "cli")')
    .option('--json', 'print JSON')
    .action(async (id: string, options: DecisionOptions) => {
      const config = await context.load(options.config);
      context.setExitCode(await approveCommand(config, id, options, io));
    });

  approvals
    .command('reject')
    .description('Record that the change must not be made; the CRM is not touched.')
    .argument('<id>', 'approval id (from `leadsync approvals list`)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--dry-run', 'say whether the item would be rejected; change nothing')
    .option('--actor <name>', 'who rejects, for the audit (default: $USER, else "cli")')
    .option('--json', 'print JSON')
    .action(async (id: string, options: DecisionOptions) => {
      const config = await context.load(options.config);
      context.setExitCode(await rejectCommand(config, id, options, io));
    });
}

function parseStatus(value: string | undefined): ApprovalStatus | undefined {
  if (value === undefined) return undefined;
  if ((APPROVAL_STATUSES as readonly string[]).includes(value)) return value as ApprovalStatus;
  throw new UsageError(`--status must be one of ${APPROVAL_STATUSES.join(', ')}, got "${value}"`);
}

async function listCommand(config: LoadedConfig, options: CommonOptions & { status?: string; lead?: string; limit?: string; cursor?: string }, io: CliIo): Promise<ExitCode> {
  const status = parseStatus(options.status);
  const limit = parsePositiveInt('--limit', options.limit);
  return withRuntime(config, async (runtime) => {
    const listing = await listApprovals(operatorDeps(runtime, () => new Date()).approvals, {
      ...(status === undefined ? {} : { status }),
      ...(options.lead === undefined ? {} : { leadKey: options.lead }),
      ...(limit === undefined ? {} : { limit }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
    if (options.json) {
      writeJson(io.stdout, listing, true);
      return EXIT.ok;
    }
    if (listing.expired > 0) writeLine(io.stdout, `Expired ${listing.expired} item${listing.expired === 1 ? '' : 's'} older than ${config.document.approvals.expireAfterDays} days.`);
    if (listing.items.length === 0) {
      writeLine(io.stdout, `No ${status ?? 'pending'} approvals.`);
      return EXIT.ok;
    }
    const rows = [['ID', 'STATUS', 'LEAD', 'FIELD', 'BEFORE → PROPOSED', 'CONF', 'SOURCE', 'CREATED', 'REASON']];
    for (const item of listing.items) {
      rows.push([item.id, item.status, cut(item.leadKey, 48), item.field, `${formatValue(item.before, 24)} → ${formatValue(item.proposed, 24)}`, formatConfidence(item.confidence), item.source, item.createdAt.toISOString(), cut(item.reason, 60)]);
    }
    writeLine(io.stdout, textTable(rows));
    if (listing.nextCursor !== null) writeLine(io.stdout, `\nMore items: add --cursor ${listing.nextCursor}`);
    // Only pending items can be approved or rejected; a list of decided ones needs no such hint.
    if (listing.items.some((item) => item.status === 'pending')) writeLine(io.stdout, `\nNext: leadsync approvals approve <id> | reject <id> [--dry-run] --config ${config.file}`);
    return EXIT.ok;
  });
}

function notFound(io: CliIo, config: LoadedConfig, id: string): ExitCode {
  writeLine(io.stderr, `leadsync: no approval "${id}" (APPROVAL_NOT_FOUND). List the ids with: leadsync approvals list --config ${config.file}`);
  return EXIT.failed;
}

function notPending(io: CliIo, item: ApprovalItem): ExitCode {
  const how = item.status === 'expired' ? `expired at ${item.decidedAt.toISOString()}` : item.status === 'pending' ? 'pending' : `${item.status} by ${item.decidedBy} at ${item.decidedAt.toISOString()}`;
  writeLine(io.stderr, `leadsync: approval ${item.id} is not pending: ${how}; nothing changed (APPROVAL_NOT_PENDING).`);
  return EXIT.failed;
}

function describeItem(item: ApprovalItem): string {
  return `${item.leadKey} ${item.field}: ${formatValue(item.before)} → ${formatValue(item.proposed)}`;
}

async function approveCommand(config: LoadedConfig, id: string, options: DecisionOptions, io: CliIo): Promise<ExitCode> {
  const actor = options.actor ?? defaultActor(io.env);
  return withRuntime(config, async (runtime) => {
    const outcome: ApproveOutcome = await approveApproval(operatorDeps(runtime, () => new Date()).approvals, id, actor, { dryRun: options.dryRun === true });
    if (options.json) {
      writeJson(io.stdout, outcome, true);
      return outcome.status === 'approved' || outcome.status === 'dry_run' ? EXIT.ok : EXIT.failed;
    }
    switch (outcome.status) {
      case 'not_found':
        return notFound(io, config, id);
      case 'not_pending':
        return notPending(io, outcome.item);
      case 'stale':
        writeLine(io.stderr, `leadsync: refused approval ${outcome.item.id} (APPROVAL_STALE, ${outcome.reason}): ${outcome.message}. Nothing was written or marked; reject it with: leadsync approvals reject ${outcome.item.id} --config ${config.file}`);
        return EXIT.failed;
      case 'cannot_write':
        writeLine(io.stderr, `leadsync: approval ${outcome.item.id} not applied (${outcome.code}): ${outcome.message}. Nothing was marked${outcome.retryable ? '; try again later' : ''}.`);
        return EXIT.failed;
      case 'dry_run':
        writeLine(io.stdout, `Dry run — nothing was changed. Approving ${outcome.item.id} would write ${outcome.write.object}.${outcome.write.field} of the record with ${outcome.write.idField} ${outcome.write.id}: ${formatValue(outcome.write.before)} → ${formatValue(outcome.write.after)}.`);
        return EXIT.ok;
      case 'approved':
        writeLine(io.stdout, `Approved ${outcome.item.id}: ${describeItem(outcome.item)} written to the CRM (record ${outcome.recordId}). Audited as approved by ${actor}.`);
        return EXIT.ok;
    }
  });
}

async function rejectCommand(config: LoadedConfig, id: string, options: DecisionOptions, io: CliIo): Promise<ExitCode> {
  const actor = options.actor ?? defaultActor(io.env);
  return withRuntime(config, async (runtime) => {
    const outcome: RejectOutcome = await rejectApproval(operatorDeps(runtime, () => new Date()).approvals, id, actor, { dryRun: options.dryRun === true });
    if (options.json) {
      writeJson(io.stdout, outcome, true);
      return outcome.status === 'rejected' || outcome.status === 'dry_run' ? EXIT.ok : EXIT.failed;
    }
    switch (outcome.status) {
      case 'not_found':
        return notFound(io, config, id);
      case 'not_pending':
        return notPending(io, outcome.item);
      case 'dry_run':
        writeLine(io.stdout, `Dry run — nothing was changed. ${outcome.item.id} (${describeItem(outcome.item)}) is pending and would be rejected.`);
        return EXIT.ok;
      case 'rejected':
        writeLine(io.stdout, `Rejected ${outcome.item.id}: ${describeItem(outcome.item)}; the CRM was not changed. Audited as rejected by ${actor}.`);
        return EXIT.ok;
    }
  });
}
