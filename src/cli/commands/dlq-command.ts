import type { Command } from 'commander';
import {
  DEAD_LETTER_LIST_STATUSES,
  discardDeadLetter,
  listDeadLetters,
  replayAllDeadLetters,
  replayDeadLetter,
  showDeadLetter,
  type DeadLetterListStatus,
  type DiscardOutcome,
  type ReplayAllRequest,
  type ReplayOutcome,
  type ReplayPreview,
} from '../../app/dead-letter-actions.js';
import type { LoadedConfig } from '../../config/config-loader.js';
import type { DeadLetterItem } from '../../ports/dead-letter-store.js';
import { operatorDeps } from '../../server/operator-deps.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { actorLabel, cut, parseErrorCodeOption, parsePositiveInt } from '../operator-format.js';
import { renderPlan } from '../plan-renderer.js';
import { defaultActor, withRuntime } from '../runtime-session.js';
import { textTable } from '../text-table.js';
import { UsageError } from '../usage-error.js';

interface CommonOptions {
  readonly config: string;
  readonly json?: boolean;
}

interface ActorOptions extends CommonOptions {
  readonly actor?: string;
  readonly dryRun?: boolean;
}

/** Registers `leadsync dlq list|show|replay|discard`. */
export function registerDlqCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const dlq = program.command('dlq').description('Inspect, replay (after a mapping fix) or discard dead-lettered events. Every action is audited with its actor.');

  dlq
    .command('list')
    .description('Open items grouped by error code, then the items, newest first.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--status <status>', `${DEAD_LETTER_LIST_STATUSES.join(', ')} (default: open)`)
    .option('--code <code>', 'only items with this error code')
    .option('--source <name>', 'only items of this source')
    .option('--limit <n>', 'items per page (default: 50)')
    .option('--cursor <cursor>', 'the next-page cursor printed by the previous page')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { status?: string; code?: string; source?: string; limit?: string; cursor?: string }) => {
      const config = await context.load(options.config);
      context.setExitCode(await listCommand(config, options, io));
    });

  dlq
    .command('show')
    .description('One item: error, trace, the event behind it (identity, hashes, top-level keys; no raw payload) and its audit entries.')
    .argument('<id>', 'DLQ item id (from `leadsync dlq list`)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--json', 'print JSON')
    .action(async (id: string, options: CommonOptions) => {
      const config = await context.load(options.config);
      context.setExitCode(await showCommand(config, id, options, io));
    });

  dlq
    .command('replay')
    .description('Re-enqueue the original event; the worker plans it with the CURRENT mapping. --all --code X replays every open item with that code.')
    .argument('[id]', 'DLQ item id (from `leadsync dlq list`)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--all', 'replay every open item with --code (and --source)')
    .option('--code <code>', 'with --all: the error code to replay')
    .option('--source <name>', 'with --all: only items of this source')
    .option('--dry-run', 'plan the event with the current mapping and show what would happen; change nothing')
    .option('--actor <name>', 'who is replaying, for the audit (default: $USER, else "cli")')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, options: ActorOptions & { all?: boolean; code?: string; source?: string }) => {
      if (options.all === true) {
        if (id !== undefined) throw new UsageError('give either an id or --all --code <code>, not both');
        if (options.code === undefined) throw new UsageError('--all needs --code <code> (see `leadsync dlq list` for the codes in the DLQ)');
        const code = parseErrorCodeOption(options.code);
        const config = await context.load(options.config);
        context.setExitCode(await replayAllCommand(config, { code, ...(options.source === undefined ? {} : { source: options.source }) }, options, io));
        return;
      }
      if (id === undefined) throw new UsageError('give the id of the item to replay, or --all --code <code>');
      if (options.code !== undefined || options.source !== undefined) throw new UsageError('--code and --source go with --all');
      const config = await context.load(options.config);
      context.setExitCode(await replayCommand(config, id, options, io));
    });

  dlq
    .command('discard')
    .description('Close an item without replaying it (the event will not be written).')
    .argument('<id>', 'DLQ item id (from `leadsync dlq list`)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--dry-run', 'say whether the item would be discarded; change nothing')
    .option('--actor <name>', 'who is discarding, for the audit (default: $USER, else "cli")')
    .option('--json', 'print JSON')
    .action(async (id: string, options: ActorOptions) => {
      const config = await context.load(options.config);
      context.setExitCode(await discardCommand(config, id, options, io));
    });
}

function parseStatus(value: string | undefined): DeadLetterListStatus | undefined {
  if (value === undefined) return undefined;
  if ((DEAD_LETTER_LIST_STATUSES as readonly string[]).includes(value)) return value as DeadLetterListStatus;
  throw new UsageError(`--status must be one of ${DEAD_LETTER_LIST_STATUSES.join(', ')}, got "${value}"`);
}

async function listCommand(config: LoadedConfig, options: CommonOptions & { status?: string; code?: string; source?: string; limit?: string; cursor?: string }, io: CliIo): Promise<ExitCode> {
  const status = parseStatus(options.status);
  const code = options.code === undefined ? undefined : parseErrorCodeOption(options.code);
  const limit = parsePositiveInt('--limit', options.limit);
  return withRuntime(config, async (runtime) => {
    const listing = await listDeadLetters(operatorDeps(runtime, () => new Date()).deadLetters, {
      ...(status === undefined ? {} : { status }),
      ...(code === undefined ? {} : { code }),
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(limit === undefined ? {} : { limit }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
    if (options.json) {
      writeJson(io.stdout, listing, true);
      return EXIT.ok;
    }
    const shown = status ?? 'open';
    if (listing.groups.length === 0 && listing.items.length === 0) {
      writeLine(io.stdout, `No ${shown === 'all' ? '' : `${shown} `}DLQ items.`);
      return EXIT.ok;
    }
    const groupRows = [['CODE', 'COUNT', 'OLDEST', 'NEWEST']];
    for (const group of listing.groups) groupRows.push([group.errorCode, String(group.count), group.oldestAt.toISOString(), group.newestAt.toISOString()]);
    writeLine(io.stdout, textTable(groupRows));
    writeLine(io.stdout);
    const rows = [['ID', 'STATUS', 'CODE', 'SOURCE', 'LEAD', 'ATTEMPTS', 'CREATED', 'MESSAGE']];
    for (const item of listing.items) {
      rows.push([item.id, item.status, item.errorCode, item.source, cut(item.leadKey, 48), String(item.attempts), item.createdAt.toISOString(), cut(item.message, 72)]);
    }
    writeLine(io.stdout, textTable(rows));
    if (listing.nextCursor !== null) writeLine(io.stdout, `\nMore items: add --cursor ${listing.nextCursor}`);
    writeLine(io.stdout, `\nNext: leadsync dlq show <id> | replay <id> [--dry-run] | discard <id> --config ${config.file}`);
    return EXIT.ok;
  });
}

function notFound(io: CliIo, config: LoadedConfig, id: string): ExitCode {
  writeLine(io.stderr, `leadsync: no DLQ item "${id}" (DLQ_ITEM_NOT_FOUND). List the ids with: leadsync dlq list --config ${config.file} --status all`);
  return EXIT.failed;
}

function notOpen(io: CliIo, item: DeadLetterItem): ExitCode {
  writeLine(io.stderr, `leadsync: DLQ item ${item.id} is not open: ${resolution(item)}; nothing changed (DLQ_ITEM_NOT_OPEN).`);
  return EXIT.failed;
}

function resolution(item: DeadLetterItem): string {
  switch (item.status) {
    case 'open':
      return 'open';
    case 'replayed':
      return `replayed by ${item.resolvedBy} at ${item.resolvedAt.toISOString()} (job ${item.replayJobId})`;
    case 'discarded':
      return `discarded by ${item.resolvedBy} at ${item.resolvedAt.toISOString()}`;
  }
}

async function showCommand(config: LoadedConfig, id: string, options: CommonOptions, io: CliIo): Promise<ExitCode> {
  return withRuntime(config, async (runtime) => {
    const shown = await showDeadLetter(operatorDeps(runtime, () => new Date()).deadLetters, id);
    if (options.json) writeJson(io.stdout, shown, true);
    if (shown.status === 'not_found') return options.json ? EXIT.failed : notFound(io, config, id);
    if (options.json) return EXIT.ok;
    const { item, event } = shown;
    const rows = [
      ['Status', resolution(item)],
      ['Code', `${item.errorCode} — ${item.message}`],
      ['Source', item.source],
      ['Lead', item.leadKey],
      ['Attempts', String(item.attempts)],
      ['Created', item.createdAt.toISOString()],
    ];
    if (event === null) rows.push(['Event', `${item.eventId} (not found in the event store)`]);
    else {
      rows.push(['Event', `${event.eventId} (lead id ${event.leadId}, received ${event.receivedAt.toISOString()}, lane ${event.lane})`]);
      rows.push(['Idempotency key', event.idempotencyKey]);
      rows.push(['Payload hash', `sha256:${event.payloadHash}`]);
      rows.push([
        'Payload',
        event.payload.state === 'purged'
          ? `purged by retention at ${event.payload.purgedAt.toISOString()} (a replay cannot run)`
          : `${event.payload.type}${event.payload.topLevelKeys.length > 0 ? ` with keys: ${event.payload.topLevelKeys.join(', ')}` : ''}`,
      ]);
    }
    writeLine(io.stdout, `DLQ item ${item.id}`);
    writeLine(io.stdout, indent(textTable(rows)));
    writeLine(io.stdout, '\nTrace:');
    writeLine(io.stdout, indent(item.trace));
    if (shown.history.length > 0) {
      const history = [['AUDIT', 'TIME', 'OUTCOME', 'ACTOR', 'ATTEMPT', 'CODE']];
      for (const line of shown.history) history.push([line.auditId, line.time, line.outcome, actorLabel(line.actor), String(line.attempt), line.errorCode ?? '']);
      writeLine(io.stdout, '\nAudit of this event:');
      writeLine(io.stdout, indent(textTable(history)));
    }
    if (item.status === 'open') writeLine(io.stdout, `\nNext: leadsync dlq replay ${item.id} --dry-run --config ${config.file}`);
    return EXIT.ok;
  });
}

async function replayCommand(config: LoadedConfig, id: string, options: ActorOptions, io: CliIo): Promise<ExitCode> {
  const actor = options.actor ?? defaultActor(io.env);
  return withRuntime(config, async (runtime) => {
    const outcome = await replayDeadLetter(operatorDeps(runtime, () => new Date()).deadLetters, id, actor, { dryRun: options.dryRun === true });
    if (options.json) {
      writeJson(io.stdout, outcome, true);
      return replayExitCode(outcome);
    }
    switch (outcome.status) {
      case 'not_found':
        return notFound(io, config, id);
      case 'not_open':
        return notOpen(io, outcome.item);
      case 'replayed':
        writeLine(io.stdout, `Replayed DLQ item ${outcome.item.id}: job ${outcome.jobId} queued for event ${outcome.item.eventId}; the worker plans it with the current mapping. Audited as replayed by ${actor}.`);
        return EXIT.ok;
      case 'dry_run':
        writeLine(io.stdout, `Dry run — nothing was changed. Replaying DLQ item ${outcome.item.id} now would:`);
        writeLine(io.stdout, renderPreview(outcome.preview));
        return replayExitCode(outcome);
    }
  });
}

function renderPreview(preview: ReplayPreview): string {
  if (preview.status === 'cannot_plan') return `  fail: ${preview.code} — ${preview.message}`;
  const verdict = preview.resolves
    ? `  resolve the item (outcome ${preview.plan.outcome}) under mapping ${preview.plan.mapping.name} v${preview.plan.mapping.version}`
    : `  be dead-lettered again (outcome ${preview.plan.outcome}) under mapping ${preview.plan.mapping.name} v${preview.plan.mapping.version}: fix the mapping first`;
  return `${verdict}\n\n${renderPlan(preview.plan)}`;
}

function replayExitCode(outcome: ReplayOutcome): ExitCode {
  switch (outcome.status) {
    case 'replayed':
      return EXIT.ok;
    case 'dry_run':
      // A dry run "fails" when the replay would end in the DLQ again, like `leadsync dry-run` on a rejected event.
      return outcome.preview.status === 'planned' && outcome.preview.resolves ? EXIT.ok : EXIT.failed;
    case 'not_found':
    case 'not_open':
      return EXIT.failed;
  }
}

async function replayAllCommand(config: LoadedConfig, request: ReplayAllRequest, options: ActorOptions, io: CliIo): Promise<ExitCode> {
  const actor = options.actor ?? defaultActor(io.env);
  return withRuntime(config, async (runtime) => {
    const result = await replayAllDeadLetters(operatorDeps(runtime, () => new Date()).deadLetters, request, actor, { dryRun: options.dryRun === true });
    const exitCode = result.results.every((outcome) => replayExitCode(outcome) === EXIT.ok) ? EXIT.ok : EXIT.failed;
    if (options.json) {
      writeJson(io.stdout, result, true);
      return exitCode;
    }
    const scope = `open ${request.code} item${result.results.length === 1 ? '' : 's'}${request.source === undefined ? '' : ` of source ${request.source}`}`;
    if (result.results.length === 0) {
      writeLine(io.stdout, `No ${scope}; nothing to replay.`);
      return EXIT.ok;
    }
    const rows = [['ID', 'LEAD', 'RESULT']];
    for (const outcome of result.results) rows.push(replayRow(outcome));
    if (result.dryRun) writeLine(io.stdout, 'Dry run — nothing was changed.');
    writeLine(io.stdout, textTable(rows));
    const done = result.results.filter((outcome) => replayExitCode(outcome) === EXIT.ok).length;
    writeLine(io.stdout, `\n${result.dryRun ? `${done} of ${result.results.length} ${scope} would be resolved by a replay` : `Replayed ${done} of ${result.results.length} ${scope}; audited as replayed by ${actor}`}.`);
    return exitCode;
  });
}

function replayRow(outcome: ReplayOutcome): string[] {
  switch (outcome.status) {
    case 'not_found':
      return [outcome.id, '', 'not found'];
    case 'not_open':
      return [outcome.item.id, cut(outcome.item.leadKey, 48), `not open: ${resolution(outcome.item)}`];
    case 'replayed':
      return [outcome.item.id, cut(outcome.item.leadKey, 48), `replayed: job ${outcome.jobId} queued`];
    case 'dry_run': {
      const { preview } = outcome;
      const result =
        preview.status === 'cannot_plan'
          ? `would fail: ${preview.code} — ${preview.message}`
          : preview.resolves
            ? `would resolve (${preview.plan.outcome})`
            : `would be dead-lettered again (${preview.plan.outcome})`;
      return [outcome.item.id, cut(outcome.item.leadKey, 48), result];
    }
  }
}

async function discardCommand(config: LoadedConfig, id: string, options: ActorOptions, io: CliIo): Promise<ExitCode> {
  const actor = options.actor ?? defaultActor(io.env);
  return withRuntime(config, async (runtime) => {
    const outcome: DiscardOutcome = await discardDeadLetter(operatorDeps(runtime, () => new Date()).deadLetters, id, actor, { dryRun: options.dryRun === true });
    if (options.json) {
      writeJson(io.stdout, outcome, true);
      return outcome.status === 'discarded' || outcome.status === 'dry_run' ? EXIT.ok : EXIT.failed;
    }
    switch (outcome.status) {
      case 'not_found':
        return notFound(io, config, id);
      case 'not_open':
        return notOpen(io, outcome.item);
      case 'dry_run':
        writeLine(io.stdout, `Dry run — nothing was changed. DLQ item ${outcome.item.id} (${outcome.item.errorCode}, ${outcome.item.leadKey}) is open and would be discarded.`);
        return EXIT.ok;
      case 'discarded':
        writeLine(io.stdout, `Discarded DLQ item ${outcome.item.id}; its event will not be written. Audited as discarded by ${actor}.`);
        return EXIT.ok;
    }
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
