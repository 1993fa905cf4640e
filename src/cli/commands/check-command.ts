import type { LoadedConfig } from '../../config/config-loader.js';
import { checkMappings } from '../../core/check/mapping-checker.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import { textTable } from '../text-table.js';

/**
 * `leadsync check --config F`: the config loaded (already validated by then),
 * then every mapping checked against the CRM schema. Exit 1 on any finding.
 */
export function checkCommand(config: LoadedConfig, options: { json?: boolean }, io: CliIo): ExitCode {
  const sources = [...config.sources.values()].map((source) => ({ name: source.name, mapping: source.mapping }));
  const findings = checkMappings({ sources, schema: config.schema, policies: config.policies.fields });
  if (options.json) {
    writeJson(io.stdout, { ok: findings.length === 0, schemaVersion: config.schema.version, sources: sources.map((s) => ({ name: s.name, mapping: s.mapping.name, version: s.mapping.version })), findings }, true);
  } else if (findings.length === 0) {
    writeLine(io.stdout, `OK  ${config.file}: ${sources.length} sources, ${sources.reduce((n, s) => n + s.mapping.objects.reduce((m, o) => m + o.fields.length, 0), 0)} mapped fields checked against CRM schema ${config.schema.version}`);
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
