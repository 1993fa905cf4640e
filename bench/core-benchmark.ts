import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config-loader.js';
import { planContextFor } from '../src/config/plan-context.js';
import type { CurrentRecord } from '../src/core/merge/plan-types.js';
import { planEvent, prepareEvent } from '../src/core/plan/event-planner.js';
import type { PlanContext } from '../src/core/plan/event-plan-types.js';

// Core engine throughput: normalize + map + validate + merge plan, one core, no I/O.
// Payloads are the preset fixtures with identity, email, title and country varied per event,
// so caches of repeated strings cannot flatter the figure.

const TITLES = ['VP Marketing', 'Sr. Software Engineer', 'Head of Data', 'Chief Revenue Officer', 'Account Executive', 'Director, IT', 'Marketing Operations Specialist', 'Founder & CEO', 'HR Business Partner', 'Staff Product Designer'];
const COUNTRIES = ['United States', 'DE', 'France', 'Brasil', 'Japan', 'U.K.', 'India', 'Canada', 'España', 'Australia'];

export interface CoreBenchResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly heapUsedMb: number;
  readonly outcomes: Record<string, number>;
}

function vary(payload: unknown, index: number): unknown {
  const text = JSON.stringify(payload)
    .replace(/"([a-z0-9._%+-]+)@([a-z0-9.-]+\.[a-z]{2,})"/gi, `"u${index}.$1@$2"`)
    .replace(/"(2026-11-\d\d)T\d\d/g, (_m, day: string) => `"${day}T${String(index % 24).padStart(2, '0')}`);
  const value = JSON.parse(text) as Record<string, unknown>;
  const title = TITLES[index % TITLES.length] ?? '';
  const country = COUNTRIES[(index * 7) % COUNTRIES.length] ?? '';
  const set = (path: string[], v: unknown): void => {
    let node: Record<string, unknown> | undefined = value;
    for (const key of path.slice(0, -1)) node = (node?.[key] ?? undefined) as Record<string, unknown> | undefined;
    const last = path[path.length - 1];
    if (node && last && last in node) node[last] = v;
  };
  for (const path of [['job_title'], ['jobTitle'], ['traits', 'title'], ['person', 'title'], ['person', 'employment', 'title'], ['data', 'job_title']]) set(path, title);
  for (const path of [['country'], ['person', 'country'], ['data', 'location_country'], ['traits', 'address', 'country']]) set(path, country);
  return value;
}

export async function runCoreBenchmark(events = 50_000): Promise<CoreBenchResult> {
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  const fixtures: { context: PlanContext; payload: unknown }[] = [];
  for (const source of readdirSync('test/fixtures')) {
    const runtime = config.sources.get(source);
    if (!runtime) continue;
    for (const file of readdirSync(join('test/fixtures', source))) {
      fixtures.push({ context: planContextFor(config, runtime), payload: JSON.parse(readFileSync(join('test/fixtures', source, file), 'utf8')) as unknown });
    }
  }
  const inputs = Array.from({ length: events }, (_, index) => {
    const fixture = fixtures[index % fixtures.length];
    if (!fixture) throw new Error('no fixtures');
    return { context: fixture.context, payload: vary(fixture.payload, index) };
  });
  const current: CurrentRecord = { id: '1', fields: { firstname: { value: 'Someone', appliedAt: '2026-11-01T00:00:00.000Z', confidence: 0.9, source: 'webform' }, lifecyclestage: { value: 'lead' } } };

  const run = (slice: typeof inputs): Record<string, number> => {
    const outcomes: Record<string, number> = {};
    slice.forEach(({ context, payload }, index) => {
      const prepared = prepareEvent(payload, context);
      const currents = new Map<string, CurrentRecord | null>();
      // Half the events meet an existing record, half create one.
      if (prepared.ok) for (const object of prepared.objects) if (object.status === 'ready') currents.set(object.leadKey, index % 2 === 0 ? current : null);
      const plan = planEvent(prepared, currents, context);
      outcomes[plan.outcome] = (outcomes[plan.outcome] ?? 0) + 1;
    });
    return outcomes;
  };
  run(inputs.slice(0, 2_000)); // warm-up: JIT and lazy tables
  const started = process.hrtime.bigint();
  const outcomes = run(inputs);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { events, seconds, eventsPerSecond: events / seconds, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20, outcomes };
}
