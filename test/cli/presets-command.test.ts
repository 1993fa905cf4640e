import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadedConfig, type RuntimeSource } from '../../src/config/config-loader.js';
import { planContextFor } from '../../src/config/plan-context.js';
import { SOURCE_PRESETS } from '../../src/config/presets/source-presets.js';
import { planEvent, prepareEvent } from '../../src/core/plan/event-planner.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { webformV2Mapping } from '../support/operator-workspace.js';
import { runCli, runCliAsync } from './run-cli.js';

// `leadsync presets list|show` on the built bin. The promise of `show`: its output, pasted into
// leadsync.yaml as it is, is a mapping that plans every fixture exactly as the preset does.
const SLOW = { timeout: 300_000 };
const PRESETS = Object.keys(SOURCE_PRESETS);
const EXAMPLE = readFileSync('examples/leadsync.yaml', 'utf8');
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
let dir: string;
let presetConfig: LoadedConfig;

beforeAll(async () => {
  dir = makeTempDir('leadsync-presets-');
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  presetConfig = await loadConfig('examples/leadsync.yaml', { env: {} });
});

afterAll(() => removeTempDir(dir));

/** examples/leadsync.yaml with source `source` pointed at mapping `mapping`, and `yaml` pasted at the end. */
function configWith(source: string, mapping: string, yaml: string): string {
  const line = `  ${source}:\n`;
  expect(EXAMPLE).toContain(line);
  const file = join(dir, `${source}-${mapping}.yaml`);
  writeFileSync(file, `${EXAMPLE.replace(line, `${line}    mapping: ${mapping}\n`)}\n${yaml}`);
  return file;
}

function sourceOf(config: LoadedConfig, name: string): RuntimeSource {
  const source = config.sources.get(name);
  if (!source) throw new Error(`no source ${name} in ${config.file}`);
  return source;
}

/** Every fixture of `source` planned against an empty CRM, as test/golden does, with the mapping name left out. */
function fixturePlans(config: LoadedConfig, source: string): Record<string, unknown> {
  const runtime = sourceOf(config, source);
  const context = planContextFor(config, runtime);
  const plans: Record<string, unknown> = {};
  const files = readdirSync(join('test/fixtures', source)).filter((file) => file.endsWith('.json'));
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const plan = planEvent(prepareEvent(JSON.parse(readFileSync(join('test/fixtures', source, file), 'utf8')), context), new Map(), context);
    plans[file] = JSON.parse(JSON.stringify({ ...plan, mapping: { ...plan.mapping, name: '(mapping)' } }));
  }
  return plans;
}

describe('leadsync presets show', SLOW, () => {
  it.each(PRESETS)('%s: the printed YAML, pasted as it is, plans every fixture as the preset does', async (preset) => {
    const show = await runCliAsync(['presets', 'show', preset]);
    expect(show.stderr).toBe('');
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^# The built-in \`${preset}\` preset \\(version 1\\) as the mapping \`${preset}\`, version 1\\.\\n# Made with leadsync ${VERSION.replaceAll('.', '\\.')}: leadsync presets show ${preset}\\n`));

    const file = configWith(preset, preset, show.stdout);
    const config = await loadConfig(file, { env: {} });
    const shown = sourceOf(config, preset).mapping;
    const original = sourceOf(presetConfig, preset).mapping;
    expect({ shown: shown.name, original: original.name }).toEqual({ shown: preset, original: `preset:${preset}` });
    expect({ ...shown, name: '' }).toEqual({ ...original, name: '' });
    expect(fixturePlans(config, preset)).toEqual(fixturePlans(presetConfig, preset));

    const check = await runCliAsync(['check', '--json', '--config', file]);
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
    expect((JSON.parse(check.stdout) as { sources: unknown[] }).sources).toContainEqual({ name: preset, mapping: preset, version: 1 });
  });

  it('--as and --version name the mapping; with one synonym more it is examples/webform-v2-mapping.yaml', async () => {
    const show = await runCliAsync(['presets', 'show', 'webform', '--as', 'webform-v2', '--version', '2']);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`# Made with leadsync ${VERSION}: leadsync presets show webform --as webform-v2 --version 2\n`);
    expect(show.stdout).toContain('set `mapping: webform-v2` on the source');
    const shown = (parse(show.stdout) as { mappings: Record<string, unknown> }).mappings;
    expect(Object.keys(shown)).toEqual(['webform-v2']);

    // The edit the example's header describes: one lead_source synonym and a description.
    const edited = show.stdout
      .replace('              webinar: event\n', '              webinar: event\n              partner referal: partner\n')
      .replace(/^ {4}description: .*$/m, '    description: webform preset plus a lead_source synonym for partner referrals');
    const example = (parse(readFileSync('examples/webform-v2-mapping.yaml', 'utf8')) as { mappings: Record<string, unknown> }).mappings;
    expect((parse(edited) as { mappings: Record<string, unknown> }).mappings).toEqual(example);
    expect(example['webform-v2']).toEqual(JSON.parse(JSON.stringify(webformV2Mapping())));

    const config = await loadConfig(configWith('webform', 'webform-v2', edited), { env: {} });
    const plan = planEvent(prepareEvent(JSON.parse(readFileSync('test/fixtures/webform/bad-lead-source.json', 'utf8')), planContextFor(config, sourceOf(config, 'webform'))), new Map(), planContextFor(config, sourceOf(config, 'webform')));
    expect(plan.mapping).toEqual({ name: 'webform-v2', version: 2 });
    expect(plan.outcome).toBe('write');
  });

  it('--json gives the mapping as an object and the same YAML text', async () => {
    const [json, text] = await Promise.all([runCliAsync(['presets', 'show', 'pdl', '--as', 'my-pdl', '--version', '7', '--json']), runCliAsync(['presets', 'show', 'pdl', '--as', 'my-pdl', '--version', '7'])]);
    expect(json.status).toBe(0);
    const output = JSON.parse(json.stdout) as { preset: string; presetVersion: number; leadsyncVersion: string; name: string; version: number; mapping: unknown; yaml: string };
    expect(output).toMatchObject({ preset: 'pdl', presetVersion: 1, leadsyncVersion: VERSION, name: 'my-pdl', version: 7 });
    expect(output.yaml).toBe(text.stdout);
    expect(output.mapping).toEqual({ ...JSON.parse(JSON.stringify(SOURCE_PRESETS['pdl'])), version: 7 });
    expect((parse(output.yaml) as { mappings: Record<string, unknown> }).mappings).toEqual({ 'my-pdl': output.mapping });
  });

  it('an unknown preset, a bad --version or --as exit 2 and say why', async () => {
    const [unknown, unknownJson, zero, word, fraction, missing, badName] = await Promise.all([
      runCliAsync(['presets', 'show', 'hubspot-forms']),
      runCliAsync(['presets', 'show', 'hubspot-forms', '--json']),
      runCliAsync(['presets', 'show', 'webform', '--version', '0']),
      runCliAsync(['presets', 'show', 'webform', '--version', 'two']),
      runCliAsync(['presets', 'show', 'webform', '--version', '1.5']),
      runCliAsync(['presets', 'show', 'webform', '--version']),
      runCliAsync(['presets', 'show', 'webform', '--as', 'web form']),
    ]);
    for (const run of [unknown, unknownJson, zero, word, fraction, missing, badName]) expect({ status: run.status, said: run.stderr !== '' }).toEqual({ status: 2, said: true });
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('no preset "hubspot-forms" (presets: webform, segment, clearbit, apollo, pdl, zoominfo)');
    expect(JSON.parse(unknownJson.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE_INVALID', message: expect.stringContaining('presets: webform, segment') as unknown }, exitCode: 2 });
    expect(zero.stderr).toContain('--version must be a positive whole number, got "0"');
    expect(word.stderr).toContain('--version must be a positive whole number, got "two"');
    expect(fraction.stderr).toContain('--version must be a positive whole number, got "1.5"');
    expect(missing.stderr).toContain("option '--version <n>' argument missing");
    expect(badName.stderr).toContain('--as "web form" is not a mapping name: a name of letters, digits, "_" or "-", starting with a letter');
  });

  it('leadsync --version still prints the version', () => {
    const run = runCli(['--version']);
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: `${VERSION}\n` });
  });
});

describe('leadsync presets list', SLOW, () => {
  it('names every preset with its version, objects, field count and description', async () => {
    const [text, json] = await Promise.all([runCliAsync(['presets', 'list']), runCliAsync(['presets', 'list', '--json'])]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^NAME +VERSION +OBJECTS +FIELDS +DESCRIPTION\n/);
    expect(text.stdout).toMatch(/\nwebform +1 +contacts, companies +21 +Flat web-form submission: one JSON object of form fields\.\n/);
    expect(json.status).toBe(0);
    const { presets } = JSON.parse(json.stdout) as { presets: { name: string; version: number; description: string; objects: string[]; fields: number }[] };
    expect(presets.map((preset) => preset.name)).toEqual(['webform', 'segment', 'clearbit', 'apollo', 'pdl', 'zoominfo']);
    for (const preset of presets) {
      const mapping = SOURCE_PRESETS[preset.name];
      expect(preset).toEqual({
        name: preset.name,
        version: mapping?.version,
        description: mapping?.description,
        objects: Object.keys(mapping?.objects ?? {}),
        fields: Object.values(mapping?.objects ?? {}).reduce((count, object) => count + object.fields.length, 0),
      });
      expect(text.stdout).toContain(`\n${preset.name} `);
    }
  });
});
