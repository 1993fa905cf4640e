import type { LoadedConfig } from '../../config/config-loader.js';
import { checkMappings } from '../../core/check/mapping-checker.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import { textTable } from '../text-table.js';
import type { CheckSchemaSource } from './schema-command.js';

/**
 * `leadsync check --config F`: the config loaded (already validated by then),
 * then every mapping checked against the CRM schema. Exit 1 on any finding.
 */
export function checkCommand(config: LoadedConfig, options: { json?: boolean }, io: CliIo, against?: CheckSchemaSource): ExitCode {
  const sources = [...config.sources.values()].map((source) => ({ name: source.name, mapping: source.mapping }));
  const schema = against?.schema ?? config.schema;
  const findings = checkMappings({ sources, schema, policies: config.policies.fields });
  if (against?.integrity === 'edited' && !options.json) {
    writeLine(io.stderr, `warning: ${against.source} was edited after \`leadsync schema pull\` (its objects no longer match its sha256); pull again to compare with the CRM as it is.`);
  }
  if (options.json) {
    writeJson(io.stdout, { ok: findings.length === 0, schemaVersion: schema.version, ...(against ? { schemaSource: against.source, schemaIntegrity: against.integrity } : {}), sources: sources.map((s) => ({ name: s.name, mapping: s.mapping.name, version: s.mapping.version })), findings }, true);
  } else if (findings.length === 0) {
    writeLine(io.stdout, `OK  ${config.file}: ${sources.length} sources, ${sources.reduce((n, s) => n + s.mapping.objects.reduce((m, o) => m + o.fields.length, 0), 0)} mapped fields checked against CRM schema ${schema.version}${against && against.source !== 'inline' ? ` (${against.source === 'live' ? 'described live' : against.source})` : ''}`);
  } else {
    const rows = [['CODE', 'WHERE', 'PROBLEM']];
    for (const finding of findings) {
      const hint = finding.suggestions && finding.suggestions.length > 0 ? ` (nearest: ${finding.suggestions.join(', ')})` : '';
      rows.push([finding.code, finding.where, `${finding.message}${hint}`]);
    }
    writeLine(io.stdout, textTable(rows));
    writeLine(io.stdout, `\n${findings.length} problem${findings.length === 1 ? '' : 's'} in ${config.file}; fix them before any lead is written (docs/errors.md explains each code).`);
  }
  return findings.length === 0 ? EXIT.ok : EXIT.failed;
}
