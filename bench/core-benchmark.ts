import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config-loader.js';
import { planContextFor } from '../src/config/plan-context.js';
import type { CurrentRecord } from '../src/core/merge/plan-types.js';
import { planEvent, prepareEvent } from '../src/core/plan/event-planner.js';
import type { PlanContext } from '../src/core/plan/event-plan-types.js';

// Core engine throughput: normalize + map + validate + merge plan, one core, no I/O.
// Payloads are the preset fixtures with identity, email, title, company, website and country
// varied per event. Emails are unique; titles, companies and countries are drawn from a
// Zipf-like distribution over a large vocabulary (a few common values, a long tail), the way a
// lead stream repeats them, so memos of recent normalizer results are measured at a realistic
// hit rate rather than flattered by a handful of repeated strings.

const SENIORITY_WORDS = ['', 'Senior ', 'Sr. ', 'Junior ', 'Lead ', 'Principal ', 'Head of ', 'VP ', 'VP of ', 'Director of ', 'Director, ', 'Manager, ', 'Chief ', 'Associate ', 'Staff '];
const FUNCTION_WORDS = [
  'Marketing', 'Software Engineer', 'Data', 'Revenue Officer', 'Account Executive', 'IT', 'Marketing Operations Specialist', 'Product Designer',
  'HR Business Partner', 'Sales', 'Demand Generation', 'Customer Success', 'Finance', 'Procurement', 'Legal Counsel', 'Security Engineer',
  'Data Scientist', 'Product Manager', 'Recruiter', 'Operations', 'Growth', 'Brand Manager', 'Solutions Architect', 'Support Engineer',
];
const TITLE_TAILS = ['', ', EMEA', ' (Remote)', ' - North America', ', Enterprise', ' & Analytics'];
const COUNTRIES = ['United States', 'US', 'USA', 'DE', 'Germany', 'Deutschland', 'France', 'FR', 'Brasil', 'Brazil', 'Japan', 'JP', 'U.K.', 'United Kingdom', 'GB', 'India', 'Canada', 'CA', 'España', 'Spain', 'Australia', 'AU', 'Netherlands', 'NL', 'Sweden', 'Italia', 'Mexico', 'Singapore', 'Ireland', 'Österreich', 'Schweiz', 'Poland'];
const SYLLABLES = ['ac', 'me', 'no', 'va', 'tek', 'lu', 'ra', 'zen', 'bri', 'ght', 'ko', 'sta', 'mi', 'dor', 'qua', 'ni', 'vel', 'ox', 'ter', 'pa'];
const COMPANY_WORDS = ['', ' Systems', ' Labs', ' Analytics', ' Software', ' Holdings', ' Logistics', ' Health', ' Capital', ' Energy'];
const LEGAL_FORMS = ['', ' Inc.', ' GmbH', ' Ltd', ', LLC', ' S.A.', ' AG', ' Corp.', ' PLC', ' B.V.'];
const TLDS = ['com', 'io', 'de', 'co.uk', 'fr', 'com.br', 'co.jp', 'net'];

const TITLE_COUNT = SENIORITY_WORDS.length * FUNCTION_WORDS.length * TITLE_TAILS.length; // 2,160
const ACCOUNT_COUNT = 20_000;

function titleAt(rank: number): string {
  const seniority = SENIORITY_WORDS[rank % SENIORITY_WORDS.length] ?? '';
  const fn = FUNCTION_WORDS[Math.floor(rank / SENIORITY_WORDS.length) % FUNCTION_WORDS.length] ?? '';
  const tail = TITLE_TAILS[Math.floor(rank / (SENIORITY_WORDS.length * FUNCTION_WORDS.length)) % TITLE_TAILS.length] ?? '';
  return `${seniority}${fn}${tail}`;
}

function accountAt(rank: number): { name: string; website: string } {
  let stem = '';
  for (let n = rank + 1; n > 0; n = Math.floor(n / SYLLABLES.length)) stem += SYLLABLES[n % SYLLABLES.length] ?? '';
  const word = COMPANY_WORDS[rank % COMPANY_WORDS.length] ?? '';
  const legal = LEGAL_FORMS[Math.floor(rank / 7) % LEGAL_FORMS.length] ?? '';
  const proper = stem.charAt(0).toUpperCase() + stem.slice(1);
  // One account in five is typed in capitals, as some sources send it.
  const name = rank % 5 === 4 ? `${proper}${word}${legal}`.toUpperCase() : `${proper}${word}${legal}`;
  const host = `${stem}${word.trim().toLowerCase()}.${TLDS[rank % TLDS.length] ?? 'com'}`;
  return { name, website: rank % 3 === 0 ? `https://www.${host}/` : rank % 3 === 1 ? `www.${host}` : host };
}

/** Deterministic draws from a Zipf distribution (exponent 1) over `count` ranks. */
function zipf(count: number): (index: number) => number {
  const cumulative = new Float64Array(count);
  let total = 0;
  for (let rank = 0; rank < count; rank += 1) cumulative[rank] = total += 1 / (rank + 1);
  return (index: number) => {
    // A fixed pseudo-random number per index (an integer hash), so every run draws the same sequence.
    let x = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    const target = (((x ^ (x >>> 16)) >>> 0) / 2 ** 32) * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

const drawTitle = zipf(TITLE_COUNT);
const drawAccount = zipf(ACCOUNT_COUNT);
const drawCountry = zipf(COUNTRIES.length);

export interface CoreBenchResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** CPU seconds of this process during the timed run: less sensitive to other work on the machine than wall time. */
  readonly cpuSeconds: number;
  readonly eventsPerCpuSecond: number;
  readonly heapUsedMb: number;
  readonly outcomes: Record<string, number>;
}

function vary(payload: unknown, index: number): unknown {
  const text = JSON.stringify(payload)
    .replace(/"([a-z0-9._%+-]+)@([a-z0-9.-]+\.[a-z]{2,})"/gi, `"u${index}.$1@$2"`)
    .replace(/"(2026-11-\d\d)T\d\d/g, (_m, day: string) => `"${day}T${String(index % 24).padStart(2, '0')}`);
  const value = JSON.parse(text) as Record<string, unknown>;
  const title = titleAt(drawTitle(index));
  const account = accountAt(drawAccount(index * 3 + 1));
  const country = COUNTRIES[drawCountry(index * 5 + 2)] ?? '';
  const set = (path: string[], v: unknown): void => {
    let node: Record<string, unknown> | undefined = value;
    for (const key of path.slice(0, -1)) node = (node?.[key] ?? undefined) as Record<string, unknown> | undefined;
    const last = path[path.length - 1];
    // Only strings are replaced: "company" is a name in one preset and an object in another.
    if (node && last && typeof node[last] === 'string') node[last] = v;
  };
  for (const path of [['job_title'], ['jobTitle'], ['traits', 'title'], ['person', 'title'], ['person', 'employment', 'title'], ['data', 'job_title']]) set(path, title);
  for (const path of [['country'], ['person', 'country'], ['data', 'location_country'], ['traits', 'address', 'country']]) set(path, country);
  for (const path of [['company'], ['companyName'], ['person', 'organization', 'name'], ['company', 'name'], ['person', 'employment', 'name'], ['data', 'job_company_name'], ['traits', 'company', 'name']]) {
    set(path, account.name);
  }
  for (const path of [['website'], ['companyWebsite'], ['person', 'organization', 'website_url'], ['company', 'domain'], ['person', 'employment', 'domain'], ['data', 'job_company_website']]) {
    set(path, account.website);
  }
  return value;
}

/** The benchmark's inputs and its per-event loop, apart from timing (profiling scripts use them too). */
export async function coreBenchmarkWorkload(events: number): Promise<{ inputs: readonly { context: PlanContext; payload: unknown }[]; run: (slice: readonly { context: PlanContext; payload: unknown }[]) => Record<string, number> }> {
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

  const run = (slice: readonly { context: PlanContext; payload: unknown }[]): Record<string, number> => {
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
  return { inputs, run };
}

export async function runCoreBenchmark(events = 50_000): Promise<CoreBenchResult> {
  const { inputs, run } = await coreBenchmarkWorkload(events);
  run(inputs.slice(0, 2_000)); // warm-up: JIT and lazy tables
  const cpuStarted = process.cpuUsage();
  const started = process.hrtime.bigint();
  const outcomes = run(inputs);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { events, seconds, eventsPerSecond: events / seconds, cpuSeconds, eventsPerCpuSecond: events / cpuSeconds, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20, outcomes };
}
