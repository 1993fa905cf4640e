import type { Command } from 'commander';
import { leadsyncConfig } from '../../config/config-schema.js';
import { renderMappingYaml } from '../../config/mapping-yaml-renderer.js';
import type { MappingInput } from '../../config/presets/preset-types.js';
import { SOURCE_PRESETS } from '../../config/presets/source-presets.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { parsePositiveInt } from '../operator-format.js';
import { textTable } from '../text-table.js';
import { UsageError } from '../usage-error.js';
import { packageVersion } from '../package-paths.js';

interface ShowOptions {
  readonly as?: string;
  readonly version?: string;
  readonly json?: boolean;
}

/**
 * Registers `leadsync presets list|show`: the built-in mapping presets, and
 * each one as a `mappings:` block of leadsync.yaml to start a mapping from.
 * Neither reads a config: the presets are part of leadsync.
 */
export function registerPresetsCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const presets = program.command('presets').description('The built-in mapping presets (webform, segment, clearbit, …), and each as YAML to start your own mapping from.');

  presets
    .command('list')
    .description('Every built-in preset: name, version, CRM objects, field count, description.')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      context.setExitCode(listCommand(options, io));
    });

  presets
    .command('show')
    .description('Print a preset as a `mappings:` block of leadsync.yaml: paste it, edit it, point the source\'s `mapping:` at it.')
    .argument('<name>', 'preset name (`leadsync presets list`)')
    .option('--as <mapping-name>', 'name of the mapping in the YAML (default: the preset name)')
    .option('--version <n>', 'mapping version to write, a positive whole number (default: the preset\'s version)')
    .option('--json', 'print JSON: the mapping as an object and the YAML text')
    .action((name: string, options: ShowOptions) => {
      context.setExitCode(showCommand(name, options, io));
    });
}

/** What `presets list` says about a preset. */
export interface PresetSummary {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly objects: readonly string[];
  /** Mapped fields over every object. */
  readonly fields: number;
}

/** Every built-in preset, in the order `SOURCE_PRESETS` declares them. */
export function presetSummaries(): PresetSummary[] {
  return Object.entries(SOURCE_PRESETS).map(([name, preset]) => ({
    name,
    version: preset.version,
    description: preset.description ?? '',
    objects: Object.keys(preset.objects),
    fields: Object.values(preset.objects).reduce((count, object) => count + object.fields.length, 0),
  }));
}

function listCommand(options: { json?: boolean }, io: CliIo): ExitCode {
  const summaries = presetSummaries();
  if (options.json) {
    writeJson(io.stdout, { presets: summaries }, true);
    return EXIT.ok;
  }
  const rows = [['NAME', 'VERSION', 'OBJECTS', 'FIELDS', 'DESCRIPTION']];
  for (const preset of summaries) rows.push([preset.name, String(preset.version), preset.objects.join(', '), String(preset.fields), preset.description]);
  writeLine(io.stdout, textTable(rows));
  writeLine(io.stdout, '\nA source uses one with `preset: <name>`. To change one: leadsync presets show <name> --as my-<name> --version 2');
  return EXIT.ok;
}

/** The preset of that name, or a usage error listing the names. */
function presetNamed(name: string): MappingInput {
  const preset = Object.hasOwn(SOURCE_PRESETS, name) ? SOURCE_PRESETS[name] : undefined;
  if (preset === undefined) throw new UsageError(`no preset "${name}" (presets: ${Object.keys(SOURCE_PRESETS).join(', ')}); \`leadsync presets list\` describes them`);
  return preset;
}

/** Checks `--as` with the config's own rule for mapping names, so the printed YAML loads. */
function checkMappingName(name: string, mapping: MappingInput): void {
  const parsed = leadsyncConfig.shape.mappings.safeParse({ [name]: mapping });
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const reason = issue?.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : (issue?.message ?? 'not valid');
  throw new UsageError(`--as "${name}" is not a mapping name: ${reason}`);
}

function showCommand(presetName: string, options: ShowOptions, io: CliIo): ExitCode {
  const preset = presetNamed(presetName);
  const mappingName = options.as ?? presetName;
  const version = parsePositiveInt('--version', options.version) ?? preset.version;
  const mapping: MappingInput = { ...preset, version };
  checkMappingName(mappingName, mapping);
  const command = ['leadsync presets show', presetName, ...(options.as === undefined ? [] : ['--as', mappingName]), ...(options.version === undefined ? [] : ['--version', String(version)])].join(' ');
  const yaml = renderMappingYaml(mappingName, mapping, { comment: presetComment({ presetName, preset, mappingName, version, command }) });
  if (options.json) {
    writeJson(io.stdout, { preset: presetName, presetVersion: preset.version, leadsyncVersion: packageVersion(), name: mappingName, version, mapping, yaml }, true);
    return EXIT.ok;
  }
  io.stdout.write(yaml);
  return EXIT.ok;
}

/** The header of `presets show`: where the YAML came from and how to use it. */
function presetComment(input: { presetName: string; preset: MappingInput; mappingName: string; version: number; command: string }): string {
  const { presetName, preset, mappingName, version, command } = input;
  return [
    ` The built-in \`${presetName}\` preset (version ${preset.version}) as the mapping \`${mappingName}\`, version ${version}.`,
    ` Made with leadsync ${packageVersion()}: ${command}`,
    ' To use it: paste everything from `mappings:` down into leadsync.yaml (or under its existing',
    ` \`mappings:\` key), set \`mapping: ${mappingName}\` on the source, edit it, and run \`leadsync check\`.`,
    ' Bump `version` on every change: it is recorded with every plan and audit entry.',
  ].join('\n');
}
