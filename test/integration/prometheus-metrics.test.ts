import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusPipelineMetrics } from '../../src/adapters/prometheus/prometheus-pipeline-metrics.js';
import { loadConfig, type LoadedConfig } from '../../src/config/config-loader.js';
import { LeadsyncApiClient } from '../../src/server/leadsync-api-client.js';
import { startService, type RunningService } from '../../src/server/leadsync-service.js';
import { createLogger } from '../../src/server/logger.js';
import { parseExposition, sampleValue, type MetricFamily } from '../support/prometheus-exposition.js';
import { waitUntil } from '../support/wait-for.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// The real service on a temp SQLite file, its worker in a worker thread (so job and CRM counts reach
// /metrics through the thread-registry merge): a small run (written, dead-lettered, pending approval,
// batch lane, refused deliveries), then a scrape of GET /metrics checked for names, labels and values.

let service: RunningService;
let config: LoadedConfig;
let dir: string;

const EMAIL = /[^\s@"{},=]+@[^\s@"{},=]+\.[a-z]{2,}/i;
const PHONE = /\+?\d[\d\s().-]{6,}\d/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const LEAD_KEY = /^(contacts|companies):/;

/** Prometheus naming: https://prometheus.io/docs/practices/naming/ */
const NAME = /^[a-z][a-z0-9_]*$/;
const BASE_UNITS = /_(seconds|bytes|total|info|ratio|items|jobs|calls)$/;
const NOT_BASE_UNITS = /_(ms|milliseconds|minutes|hours|kb|mb|percent)(_|$)/;

beforeAll(async () => {
  dir = makeTempDir('leadsync-metrics-');
  const loaded = await loadConfig('examples/leadsync.yaml', { env: {} });
  config = {
    ...loaded,
    document: {
      ...loaded.document,
      storage: { ...loaded.document.storage, file: join(dir, 'leadsync.db'), synchronous: 'normal' },
      lanes: { ...loaded.document.lanes, batch: { ...loaded.document.lanes.batch, maxAgeMs: 100 } },
    },
  };
  service = await startService(config, { port: 0, host: '127.0.0.1', worker: true, log: () => undefined, logger: createLogger({ level: 'silent' }) });

  const api = new LeadsyncApiClient(service.url);
  const post = async (source: string, fixture: string): Promise<number> => {
    const signature = config.sources.get(source)?.config.signature;
    if (!signature) throw new Error(`no source ${source}`);
    const response = await api.postEvent(source, signature, readFileSync(join('test/fixtures', fixture)));
    if (response.kind !== 'answered') throw new Error(`service unreachable: ${response.reason}`);
    return response.status;
  };
  expect(await post('webform', 'webform/demo-request.json')).toBe(202);
  expect(await post('webform', 'webform/demo-request.json')).toBe(200);
  expect(await post('webform', 'webform/bad-lead-source.json')).toBe(202);
  expect(await post('zoominfo', 'zoominfo/contact-record.json')).toBe(202);
  expect(await post('clearbit', 'clearbit/person-company.json')).toBe(202);
  await waitForEmptyQueue();
  expect(await post('webform', 'webform/owner-change.json')).toBe(202);
  // Refused: a bad signature, and a source that does not exist.
  const badSignature = await fetch(`${service.url}/v1/events/segment`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': 'sha256=00' }, body: '{}' });
  expect(badSignature.status).toBe(401);
  const unknown = await fetch(`${service.url}/v1/events/ada.lovelace@example.com`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(unknown.status).toBe(404);
  await waitForEmptyQueue();
});

afterAll(async () => {
  await service.stop();
  removeTempDir(dir);
});

async function waitForEmptyQueue(): Promise<void> {
  await waitUntil(async () => Object.values(await service.storage.jobs.depth()).every((n) => n === 0), 'the worker to empty the queue', { intervalMs: 50 });
}

async function scrape(url = `${service.url}/metrics`): Promise<{ text: string; families: Map<string, MetricFamily>; contentType: string | null }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, families: parseExposition(text), contentType: response.headers.get('content-type') };
}

describe('GET /metrics', () => {
  it('follows the Prometheus naming conventions', async () => {
    const { families, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const problems: string[] = [];
    for (const family of families.values()) {
      const { name, type } = family;
      if (!NAME.test(name)) problems.push(`${name}: not snake_case`);
      if (family.help === '') problems.push(`${name}: no HELP`);
      if (NOT_BASE_UNITS.test(name)) problems.push(`${name}: not in base units`);
      // Node.js and process metrics keep their standard names (docs/metrics.md); everything else is ours.
      const standard = name.startsWith('process_') || name.startsWith('nodejs_');
      if (!standard && !name.startsWith('leadsync_')) problems.push(`${name}: no leadsync_ prefix`);
      if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter without _total`);
      // prom-client's nodejs_active_{handles,requests,resources}_total are gauges under those names; its names are not ours to change.
      if (type !== 'counter' && name.endsWith('_total') && !standard) problems.push(`${name}: _total on a ${type}`);
      if (type === 'histogram' && !standard && !/_(seconds|bytes)$/.test(name)) problems.push(`${name}: histogram without a unit`);
      if (!standard && !BASE_UNITS.test(name) && type !== 'gauge') problems.push(`${name}: no unit suffix`);
      if (!standard && type === 'gauge' && !BASE_UNITS.test(name)) problems.push(`${name}: gauge without a unit suffix`);
      for (const sample of family.samples) {
        for (const label of Object.keys(sample.labels)) if (!NAME.test(label) && label !== 'le') problems.push(`${name}: label ${label} not snake_case`);
      }
    }
    expect(problems).toEqual([]);
    expect([...families.keys()].filter((name) => name.startsWith('leadsync_')).sort()).toEqual(
      expect.arrayContaining([
        'leadsync_approvals_pending_items',
        'leadsync_crm_request_duration_seconds',
        'leadsync_dead_letters_total',
        'leadsync_dlq_open_items',
        'leadsync_events_received_total',
        'leadsync_events_rejected_total',
        'leadsync_job_retries_total',
        'leadsync_jobs_processed_total',
        'leadsync_queue_jobs',
        'leadsync_queue_oldest_job_age_seconds',
      ]),
    );
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
  });

  it('has no label value that looks like an email, phone number, uuid or lead key', async () => {
    const { families } = await scrape();
    const values = [...families.values()].flatMap((family) => family.samples.flatMap((sample) => Object.entries(sample.labels).map(([label, value]) => `${family.name}{${label}="${value}"}`)));
    expect(values.length).toBeGreaterThan(20);
    const leaks = values.filter((entry) => {
      const value = /="(.*)"\}$/.exec(entry)?.[1] ?? '';
      return EMAIL.test(value) || PHONE.test(value) || UUID.test(value) || LEAD_KEY.test(value);
    });
    expect(leaks).toEqual([]);
  });

  it('counts what the run did', async () => {
    const { families } = await scrape();
    const value = (name: string, labels: Record<string, string> = {}): number | undefined => sampleValue(families, name, labels);
    expect(value('leadsync_events_received_total', { source: 'webform', outcome: 'queued' })).toBe(3);
    expect(value('leadsync_events_received_total', { source: 'webform', outcome: 'duplicate' })).toBe(1);
    expect(value('leadsync_events_received_total', { source: 'zoominfo', outcome: 'queued' })).toBe(1);
    expect(value('leadsync_events_received_total', { source: 'segment', outcome: 'rejected' })).toBe(1);
    expect(value('leadsync_events_rejected_total', { source: 'segment', code: 'INGEST_SIGNATURE_INVALID' })).toBe(1);
    // The unknown source is counted without its name (it was an email address here).
    expect(value('leadsync_events_rejected_total', { source: '(unknown)', code: 'MAPPING_SOURCE_UNKNOWN' })).toBe(1);

    expect(value('leadsync_jobs_processed_total', { lane: 'realtime', outcome: 'completed' })).toBe(2);
    expect(value('leadsync_jobs_processed_total', { lane: 'realtime', outcome: 'dead_lettered' })).toBe(1);
    expect(value('leadsync_jobs_processed_total', { lane: 'batch', outcome: 'completed' })).toBe(2);
    expect(value('leadsync_dead_letters_total', { lane: 'realtime', code: 'CRM_PICKLIST_MISMATCH' })).toBe(1);

    expect(value('leadsync_dlq_open_items', { code: 'CRM_PICKLIST_MISMATCH' })).toBe(1);
    expect(value('leadsync_approvals_pending_items')).toBe(1);
    expect(value('leadsync_queue_jobs', { lane: 'realtime' })).toBe(0);
    expect(value('leadsync_queue_jobs', { lane: 'batch' })).toBe(0);
    expect(value('leadsync_queue_oldest_job_age_seconds', { lane: 'batch' })).toBe(0);

    const upserts = value('leadsync_crm_request_duration_seconds_count', { destination: 'sandbox', operation: 'upsert', status_class: 'ok' });
    expect(upserts).toBeGreaterThanOrEqual(3);
    const reads = value('leadsync_crm_request_duration_seconds_count', { destination: 'sandbox', operation: 'read', status_class: 'ok' });
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(value('leadsync_crm_request_duration_seconds_bucket', { destination: 'sandbox', operation: 'upsert', status_class: 'ok', le: '+Inf' })).toBe(upserts);
  });

  it('merges another registry (a worker thread\'s snapshot) into the scrape', async () => {
    const before = sampleValue((await scrape()).families, 'leadsync_jobs_processed_total', { lane: 'batch', outcome: 'completed' }) ?? 0;
    const thread = new PrometheusPipelineMetrics();
    thread.jobProcessed('batch', 'completed');
    thread.jobProcessed('batch', 'completed');
    thread.crmRequest('sandbox', 'upsert', 'transient', 0.2);
    service.metrics.addRemote(() => thread.snapshot());
    const { families } = await scrape();
    expect(sampleValue(families, 'leadsync_jobs_processed_total', { lane: 'batch', outcome: 'completed' })).toBe(before + 2);
    expect(sampleValue(families, 'leadsync_crm_request_duration_seconds_count', { operation: 'upsert', status_class: 'transient' })).toBe(1);
    // Storage gauges are not doubled by the merge.
    expect(sampleValue(families, 'leadsync_approvals_pending_items')).toBe(1);
  });
});

describe('leadsync worker --metrics-port', () => {
  it('serves /metrics from a process without the HTTP API', async () => {
    const worker = await startService(config, { host: '127.0.0.1', worker: true, http: false, metricsPort: 0, log: () => undefined, logger: createLogger({ level: 'silent' }) });
    try {
      expect(worker.url).toBe('');
      expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const { families } = await scrape(`${worker.metricsUrl}/metrics`);
      expect(sampleValue(families, 'leadsync_dlq_open_items', { code: 'CRM_PICKLIST_MISMATCH' })).toBe(1);
      expect((await fetch(`${worker.metricsUrl}/v1/dlq`)).status).toBe(404);
    } finally {
      await worker.stop();
    }
  });
});
