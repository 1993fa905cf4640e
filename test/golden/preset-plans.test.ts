import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../src/config/config-loader.js';
import { planContextFor } from '../../src/config/plan-context.js';
import { planEvent, prepareEvent } from '../../src/core/plan/event-planner.js';

// Every preset fixture → its plan against an empty CRM, compared with the committed
// plan in test/golden/plans/. A mapping or normalizer change shows up as a reviewed diff:
// regenerate with UPDATE_GOLDEN=1 npx vitest run test/golden and read `git diff`.

const fixturesDir = 'test/fixtures';
const plansDir = 'test/golden/plans';
const update = process.env['UPDATE_GOLDEN'] === '1';
// Regenerating compares each plan with itself: never where the golden plans are meant to be checked.
if (update && process.env['CI']) throw new Error('UPDATE_GOLDEN=1 regenerates the golden plans instead of checking them: not in CI');
let config: LoadedConfig;

beforeAll(async () => {
  config = await loadConfig('examples/leadsync.yaml', { env: {} });
});

const cases = readdirSync(fixturesDir).flatMap((source) =>
  readdirSync(join(fixturesDir, source))
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ source, file })),
);

describe('golden plans of the preset fixtures', () => {
  it('covers every preset', () => {
    expect(new Set(cases.map((c) => c.source))).toEqual(new Set(['webform', 'segment', 'clearbit', 'apollo', 'pdl', 'zoominfo']));
  });

  it.each(cases)('$source/$file', ({ source, file }) => {
    const runtime = config.sources.get(source);
    expect(runtime, `source ${source} in examples/leadsync.yaml`).toBeDefined();
    if (!runtime) return;
    const context = planContextFor(config, runtime);
    const payload: unknown = JSON.parse(readFileSync(join(fixturesDir, source, file), 'utf8'));
    const prepared = prepareEvent(payload, context);
    const plan = planEvent(prepared, new Map(), context);
    const actual = `${JSON.stringify(plan, null, 2)}\n`;
    const goldenFile = join(plansDir, source, file.replace(/\.json$/, '.plan.json'));
    if (update || !existsSync(goldenFile)) {
      mkdirSync(join(plansDir, source), { recursive: true });
      writeFileSync(goldenFile, actual);
      if (!update) throw new Error(`no golden plan yet: wrote ${goldenFile}; review it and commit it`);
    }
    expect(actual).toBe(readFileSync(goldenFile, 'utf8'));
  });
});
