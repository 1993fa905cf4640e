import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestSource } from '../../../src/app/event-ingestion.js';
import { runDemo, type DemoFixture } from '../../../src/app/fixture-demo.js';
import { loadConfig } from '../../../src/config/config-loader.js';
import { planContextFor } from '../../../src/config/plan-context.js';
import type { ApiResponse, LeadsyncApi } from '../../../src/ports/leadsync-api.js';

// runDemo against a scripted API and a clock that moves only when it sleeps.

let fixtures: DemoFixture[];

beforeAll(async () => {
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  const runtimeSource = config.sources.get('webform');
  if (!runtimeSource) throw new Error('no webform source');
  const source: IngestSource = { name: 'webform', signature: runtimeSource.config.signature, lane: 'realtime', context: planContextFor(config, runtimeSource) };
  fixtures = ['demo-request.json', 'bad-lead-source.json'].map((name) => ({ source, name: `webform/${name}`, body: readFileSync(`test/fixtures/webform/${name}`) }));
});

const ADA = 'contacts:ada.lovelace@acme-analytics.co.uk';
const GRACE = 'contacts:grace.hopper@navy-labs.example.com';

class ScriptedApi implements LeadsyncApi {
  readonly baseUrl = 'http://service.test';
  readonly gets: string[] = [];
  private posted = 0;
  constructor(private readonly processedAfterPolls: number, private readonly refuseSecond = false) {}

  postEvent(): Promise<ApiResponse> {
    this.posted += 1;
    if (this.refuseSecond && this.posted === 2) return Promise.resolve({ kind: 'answered', status: 401, body: { status: 'rejected', code: 'INGEST_SIGNATURE_INVALID', message: 'no match' } });
    return Promise.resolve({ kind: 'answered', status: 202, body: { status: 'queued', eventId: String(this.posted) } });
  }

  get(path: string): Promise<ApiResponse> {
    this.gets.push(path);
    const polls = this.gets.filter((p) => p === '/v1/dlq').length;
    const done = polls > this.processedAfterPolls;
    const answer = (body: unknown): Promise<ApiResponse> => Promise.resolve({ kind: 'answered', status: 200, body });
    if (path === '/v1/dlq') return answer({ items: done ? [{ eventId: '2', leadKey: GRACE, errorCode: 'CRM_PICKLIST_MISMATCH', message: 'nearest: partner' }] : [] });
    if (path === '/v1/approvals') return answer({ items: [] });
    if (path.endsWith('/audit')) return answer({ entries: done ? [{ eventId: '1', outcome: 'written' }] : [] });
    if (path === `/v1/leads/${encodeURIComponent(ADA)}`) return answer({ record: { properties: { firstname: 'Ada' } } });
    return Promise.resolve({ kind: 'answered', status: 404, body: { code: 'LEAD_NOT_FOUND' } });
  }
}

function clock(): { nowMs: () => number; sleep: (ms: number) => Promise<void> } {
  let now = 0;
  return { nowMs: () => now, sleep: (ms) => Promise.resolve(void (now += ms)) };
}

describe('runDemo', () => {
  it('posts every fixture, waits until each event has an outcome, then reads what landed', async () => {
    const api = new ScriptedApi(3);
    const outcome = await runDemo(fixtures, api, { ...clock(), pollMs: 100, timeoutMs: 10_000 });
    expect(outcome).toMatchObject({
      kind: 'ran',
      unprocessed: [],
      leads: [{ leadKey: ADA, properties: { firstname: 'Ada' } }],
      deadLetters: [{ fixture: 'webform/bad-lead-source.json', errorCode: 'CRM_PICKLIST_MISMATCH', leadKey: GRACE }],
      approvals: [],
    });
    if (outcome.kind === 'ran') expect(outcome.posts.map((post) => post.kind === 'accepted' && post.leadKey)).toEqual([ADA, GRACE]);
  });

  it('gives up after the timeout and names the fixtures still queued', async () => {
    const outcome = await runDemo(fixtures, new ScriptedApi(Number.POSITIVE_INFINITY), { ...clock(), pollMs: 1000, timeoutMs: 5000 });
    expect(outcome).toMatchObject({ kind: 'ran', unprocessed: ['webform/demo-request.json', 'webform/bad-lead-source.json'] });
  });

  it('reports a refused fixture with its code and does not wait for it', async () => {
    const outcome = await runDemo(fixtures, new ScriptedApi(0, true), { ...clock(), timeoutMs: 5000 });
    expect(outcome).toMatchObject({ kind: 'ran', unprocessed: [] });
    if (outcome.kind === 'ran') expect(outcome.posts[1]).toEqual({ kind: 'refused', fixture: 'webform/bad-lead-source.json', httpStatus: 401, code: 'INGEST_SIGNATURE_INVALID', message: 'no match' });
  });

  it('stops at once when the service cannot be reached', async () => {
    const api: LeadsyncApi = {
      baseUrl: 'http://service.test',
      postEvent: () => Promise.resolve({ kind: 'unreachable', url: 'http://service.test/v1/events/webform', reason: 'ECONNREFUSED' }),
      get: () => Promise.reject(new Error('must not be called')),
    };
    expect(await runDemo(fixtures, api, clock())).toEqual({ kind: 'unreachable', url: 'http://service.test/v1/events/webform', reason: 'ECONNREFUSED' });
  });
});
