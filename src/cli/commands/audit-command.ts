import type { Command } from 'commander';
import { leadHistory, verifyAudit, type LeadHistory } from '../../app/audit-queries.js';
import type { LoadedConfig } from '../../config/config-loader.js';
import { ERROR_CODES } from '../../core/errors/error-codes.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { actorLabel, cut, formatConfidence, formatValue } from '../operator-format.js';
import { withRuntime } from '../runtime-session.js';
import { textTable } from '../text-table.js';

interface AuditOptions {
  readonly config: string;
  readonly json?: boolean;
}

/** Registers `leadsync audit <leadKey>` and `leadsync audit verify`. */
export function registerAuditCommand(program: Command, context: CommandContext): void {
  program
    .command('audit')
    .description('`audit <leadKey>`: each field\'s history (before → after, confidence, reason, mapping, actor). `audit verify`: recompute the hash chain.')
    .argument('<leadKey|verify>', 'a lead key such as contacts:ada@example.com, or "verify"')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--json', 'print JSON')
    .action(async (target: string, options: AuditOptions) => {
      const config = await context.load(options.config);
      // Lead keys always hold a colon (object:matchValue), so "verify" cannot be one.
      context.setExitCode(target === 'verify' ? await verifyCommand(config, options, context.io) : await historyCommand(config, target, options, context.io));
    });
}

async function verifyCommand(config: LoadedConfig, options: AuditOptions, io: CliIo): Promise<ExitCode> {
  return withRuntime(config, async (runtime) => {
    const result = await verifyAudit(runtime.storage.audit);
    if (options.json) writeJson(io.stdout, result, true);
    else if (result.ok) writeLine(io.stdout, `OK  audit chain verified: ${result.rows} row${result.rows === 1 ? '' : 's'}, head ${result.headHash}`);
    else {
      writeLine(io.stdout, `BROKEN  audit row ${result.firstBrokenId}: ${result.reason} — ${result.detail}`);
      writeLine(io.stdout, `${result.rows} row${result.rows === 1 ? '' : 's'} verified before it. AUDIT_CHAIN_BROKEN: ${ERROR_CODES.AUDIT_CHAIN_BROKEN.fix}`);
    }
    return result.ok ? EXIT.ok : EXIT.failed;
  });
}

async function historyCommand(config: LoadedConfig, leadKey: string, options: AuditOptions, io: CliIo): Promise<ExitCode> {
  return withRuntime(config, async (runtime) => {
    const history = await leadHistory(runtime.storage.audit, leadKey);
    if (options.json) {
      writeJson(io.stdout, history, true);
      return history.timeline.length === 0 ? EXIT.failed : EXIT.ok;
    }
    if (history.timeline.length === 0) {
      writeLine(io.stderr, `leadsync: no audit entries for "${leadKey}" in ${config.file}'s storage. Lead keys look like contacts:ada@example.com (object, colon, match value); \`leadsync dlq list --config ${config.file}\` and \`leadsync approvals list --config ${config.file}\` show some.`);
      return EXIT.failed;
    }
    writeLine(io.stdout, renderHistory(history));
    return EXIT.ok;
  });
}

/** The readable form: one table of field changes grouped by field, then every entry in order. */
export function renderHistory(history: LeadHistory): string {
  const fieldRows = [['FIELD', 'TIME', 'BEFORE → AFTER', 'CONF', 'OUTCOME', 'ACTOR', 'MAPPING', 'REASON']];
  for (const field of history.fields) {
    field.entries.forEach((entry, index) => {
      fieldRows.push([
        index === 0 ? field.field : '',
        entry.time,
        // A before value leadsync did not read from the CRM is its own last write, and says so.
        `${entry.beforeRead === false ? '(not read) ' : ''}${formatValue(entry.before, 28)} → ${formatValue(entry.after, 28)}`,
        formatConfidence(entry.confidence),
        entry.outcome,
        actorLabel(entry.actor),
        entry.mappingVersion ?? '–',
        cut(entry.reason, 72),
      ]);
    });
  }
  const timelineRows = [['AUDIT', 'TIME', 'OUTCOME', 'ACTOR', 'EVENT', 'MAPPING', 'CODE', 'FIELDS']];
  for (const entry of history.timeline) {
    timelineRows.push([entry.auditId, entry.time, entry.outcome, actorLabel(entry.actor), entry.eventId ?? '–', entry.mappingVersion ?? '–', entry.errorCode ?? '', cut(entry.fields.join(', '), 60)]);
  }
  const count = history.timeline.length;
  const parts = [`${history.leadKey}: ${count} audit entr${count === 1 ? 'y' : 'ies'}, ${history.fields.length} field${history.fields.length === 1 ? '' : 's'}`];
  if (history.fields.length > 0) parts.push('', 'Fields', textTable(fieldRows));
  parts.push('', 'Timeline', textTable(timelineRows));
  return parts.join('\n');
}
