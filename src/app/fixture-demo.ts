import type { ApiResponse, LeadsyncApi } from '../ports/leadsync-api.js';
import { admitPayload, parsePayloadJson, type IngestSource } from './event-ingestion.js';

/** One preset fixture to post: its source and its exact bytes. */
export interface DemoFixture {
  readonly source: IngestSource;
  /** Shown to the user, e.g. `webform/demo-request.json`. */
  readonly name: string;
  readonly body: Buffer;
}

/** What the service answered to one fixture. */
export type DemoPost =
  | {
      readonly kind: 'accepted';
      readonly fixture: string;
      readonly httpStatus: number;
      readonly status: 'queued' | 'duplicate';
      readonly eventId: string;
      /** The key the event's jobs run under (its audit entries carry it). */
      readonly leadKey: string;
      /** Every CRM record the event writes. */
      readonly recordKeys: readonly string[];
    }
  | { readonly kind: 'refused'; readonly fixture: string; readonly httpStatus: number; readonly code: string; readonly message: string };

export interface DemoLead {
  readonly leadKey: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface DemoDeadLetter {
  readonly fixture: string;
  readonly leadKey: string;
  readonly errorCode: string;
  readonly message: string;
}

export interface DemoApproval {
  readonly fixture: string;
  readonly leadKey: string;
  readonly field: string;
  readonly before: unknown;
  readonly proposed: unknown;
  readonly source: string;
}

export type DemoOutcome =
  | { readonly kind: 'unreachable'; readonly url: string; readonly reason: string }
  | {
      readonly kind: 'ran';
      readonly posts: readonly DemoPost[];
      /** Fixtures whose events reached no outcome before the wait ran out (no worker running?). */
      readonly unprocessed: readonly string[];
      readonly leads: readonly DemoLead[];
      readonly deadLetters: readonly DemoDeadLetter[];
      readonly approvals: readonly DemoApproval[];
    };

export interface DemoOptions {
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long to wait for the worker to process the events. (Default: 30000) */
  readonly timeoutMs?: number;
  /** Pause between looks at the service. (Default: 200) */
  readonly pollMs?: number;
  /** Called as soon as each fixture is answered. Must not throw. */
  readonly onPosted?: (post: DemoPost) => void;
}

type Unreachable = Extract<DemoOutcome, { kind: 'unreachable' }>;

/**
 * `leadsync demo`: posts each fixture as its provider would, waits (bounded)
 * until the service's worker has processed every accepted event (an audit
 * entry, a DLQ item or an approval carries its event id), then reads what
 * landed: the CRM records the events wrote, their DLQ items and approvals.
 */
export async function runDemo(fixtures: readonly DemoFixture[], api: LeadsyncApi, options: DemoOptions): Promise<DemoOutcome> {
  const posts: DemoPost[] = [];
  for (const fixture of fixtures) {
    const post = await postFixture(fixture, api, options.nowMs());
    if ('reason' in post) return post;
    posts.push(post);
    options.onPosted?.(post);
  }

  const accepted = posts.filter((post) => post.kind === 'accepted');
  const fixtureByEvent = new Map(accepted.map((post) => [post.eventId, post.fixture]));
  const waited = await waitProcessed(accepted, api, options);
  if (waited.kind === 'unreachable') return waited;

  const leads: DemoLead[] = [];
  for (const leadKey of new Set(accepted.flatMap((post) => post.recordKeys))) {
    const response = await api.get(`/v1/leads/${encodeURIComponent(leadKey)}`);
    if (response.kind === 'unreachable') return response;
    const record = response.status === 200 ? asRecord(asRecord(response.body)?.['record']) : undefined;
    const properties = asRecord(record?.['properties']);
    if (properties) leads.push({ leadKey, properties });
  }

  const deadLetters: DemoDeadLetter[] = [];
  const dlq = await api.get('/v1/dlq');
  if (dlq.kind === 'unreachable') return dlq;
  for (const item of listOf(dlq, 'items')) {
    const fixture = fixtureByEvent.get(text(item['eventId']));
    if (fixture) deadLetters.push({ fixture, leadKey: text(item['leadKey']), errorCode: text(item['errorCode']), message: text(item['message']) });
  }

  const approvals: DemoApproval[] = [];
  const pending = await api.get('/v1/approvals');
  if (pending.kind === 'unreachable') return pending;
  for (const item of listOf(pending, 'items')) {
    const fixture = fixtureByEvent.get(text(item['eventId']));
    if (fixture) approvals.push({ fixture, leadKey: text(item['leadKey']), field: text(item['field']), before: item['before'] ?? null, proposed: item['proposed'] ?? null, source: text(item['source']) });
  }

  return { kind: 'ran', posts, unprocessed: waited.unprocessed, leads, deadLetters, approvals };
}

async function postFixture(fixture: DemoFixture, api: LeadsyncApi, nowMs: number): Promise<DemoPost | Unreachable> {
  // The lead key comes from the step the service itself runs, so both agree on it.
  const parsed = parsePayloadJson(fixture.body);
  const admission = parsed.ok ? admitPayload(fixture.source, parsed.payload, new Date(nowMs)) : undefined;
  const response = await api.postEvent(fixture.source.name, fixture.source.signature, fixture.body);
  if (response.kind === 'unreachable') return response;
  const body = asRecord(response.body) ?? {};
  const status = body['status'];
  const eventId = body['eventId'];
  if ((response.status === 202 || response.status === 200) && (status === 'queued' || status === 'duplicate') && typeof eventId === 'string' && admission?.ok) {
    return { kind: 'accepted', fixture: fixture.name, httpStatus: response.status, status, eventId, leadKey: admission.event.leadKey, recordKeys: admission.recordKeys };
  }
  return { kind: 'refused', fixture: fixture.name, httpStatus: response.status, code: text(body['code']) || 'UNKNOWN', message: text(body['message']) || JSON.stringify(response.body) };
}

async function waitProcessed(
  accepted: readonly Extract<DemoPost, { kind: 'accepted' }>[],
  api: LeadsyncApi,
  options: DemoOptions,
): Promise<{ readonly kind: 'done'; readonly unprocessed: readonly string[] } | Unreachable> {
  const deadline = options.nowMs() + (options.timeoutMs ?? 30_000);
  const waiting = new Map(accepted.map((post) => [post.eventId, post]));
  for (;;) {
    const seen = new Set<string>();
    for (const path of ['/v1/dlq', '/v1/approvals']) {
      const response = await api.get(path);
      if (response.kind === 'unreachable') return response;
      for (const item of listOf(response, 'items')) seen.add(text(item['eventId']));
    }
    for (const leadKey of new Set([...waiting.values()].map((post) => post.leadKey))) {
      const response = await api.get(`/v1/leads/${encodeURIComponent(leadKey)}/audit`);
      if (response.kind === 'unreachable') return response;
      for (const entry of listOf(response, 'entries')) seen.add(text(entry['eventId']));
    }
    for (const eventId of seen) waiting.delete(eventId);
    if (waiting.size === 0 || options.nowMs() >= deadline) {
      return { kind: 'done', unprocessed: [...waiting.values()].map((post) => post.fixture) };
    }
    await options.sleep(options.pollMs ?? 200);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function listOf(response: Extract<ApiResponse, { kind: 'answered' }>, key: string): Record<string, unknown>[] {
  const list = asRecord(response.body)?.[key];
  if (!Array.isArray(list)) return [];
  const records: Record<string, unknown>[] = [];
  for (const item of list) {
    const record = asRecord(item);
    if (record) records.push(record);
  }
  return records;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? '' : JSON.stringify(value);
}
