import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { CrmRecordFailure, UpsertResult } from '../../ports/crm-destination.js';
import { callFailure, parseBulkError, recordErrorFailure, type MappingContext } from './salesforce-error-mapping.js';
import type { SalesforceHttpClient } from './salesforce-http-client.js';
import type { SalesforceObjectInfo } from './salesforce-schema-reader.js';
import { csvCell, type PreparedInput } from './salesforce-values.js';

export interface BulkIngestOptions {
  /** Wait between job status polls. */
  readonly pollIntervalMs: number;
  /** Give up polling after this long; the records are then reported retryable. */
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

const FINAL_STATES = new Set(['JobComplete', 'Failed', 'Aborted']);

function unavailable(message: string): CrmRecordFailure {
  return { ok: false, code: 'CRM_UNAVAILABLE', message, retryable: true };
}

/**
 * One Bulk API 2.0 upsert job for records sharing an external id field
 * (CRM-CONTRACTS.md §2.6): create, upload CSV, close, poll, then one result
 * per input from the successful, failed and unprocessed result CSVs, matched
 * on the external id (their row order is not guaranteed). Inputs must have
 * distinct ids.
 */
export async function runBulkUpsert(
  http: SalesforceHttpClient,
  object: SalesforceObjectInfo,
  inputs: readonly PreparedInput[],
  context: MappingContext,
  options: BulkIngestOptions,
): Promise<Map<number, UpsertResult>> {
  const results = new Map<number, UpsertResult>();
  const failAll = (failure: CrmRecordFailure): Map<number, UpsertResult> => {
    for (const input of inputs) results.set(input.index, failure);
    return results;
  };
  const first = inputs[0];
  if (first === undefined) return results;
  const idField = first.idField;
  const columns = [idField.name];
  const seen = new Set(columns);
  for (const input of inputs) {
    for (const name of input.body.keys()) {
      if (seen.has(name)) continue;
      columns.push(name);
      seen.add(name);
    }
  }
  const rows = inputs.map((input) => [input.id, ...columns.slice(1).map((name) => csvCell(input.body.get(name)))]);
  const csv = stringify([columns, ...rows], { record_delimiter: '\n' });

  const created = await http.call('POST', '/jobs/ingest', {
    json: { object: object.name, operation: 'upsert', externalIdFieldName: idField.name, contentType: 'CSV', lineEnding: 'LF', columnDelimiter: 'COMMA' },
  });
  if (created.kind !== 'response' || created.status !== 200) return failAll(callFailure(created, { ...context, notFound: 'CRM_OBJECT_UNKNOWN' }));
  const jobId = (created.json as { id?: unknown } | undefined)?.id;
  if (typeof jobId !== 'string') return failAll(unavailable('Salesforce Bulk API: the job answer has no id'));

  const uploaded = await http.call('PUT', `/jobs/ingest/${jobId}/batches`, { csv });
  if (uploaded.kind !== 'response' || uploaded.status !== 201) return failAll(callFailure(uploaded, context));
  const closed = await http.call('PATCH', `/jobs/ingest/${jobId}`, { json: { state: 'UploadComplete' } });
  if (closed.kind !== 'response' || closed.status !== 200) return failAll(callFailure(closed, context));

  const deadline = Date.now() + options.timeoutMs;
  let info: { state?: string; errorMessage?: string } = {};
  for (;;) {
    const polled = await http.call('GET', `/jobs/ingest/${jobId}`);
    if (polled.kind === 'response' && polled.status === 200) info = polled.json as typeof info;
    else if (polled.kind === 'response' && polled.status < 500) return failAll(callFailure(polled, context));
    // A failed poll (5xx, timeout) is not the job failing: keep polling until the deadline.
    if (FINAL_STATES.has(info.state ?? '')) break;
    if (Date.now() >= deadline) {
      // Stop it so no rows land after the records were reported retryable; an upsert retried later is idempotent either way.
      await http.call('PATCH', `/jobs/ingest/${jobId}`, { json: { state: 'Aborted' } });
      return failAll(unavailable(`Salesforce Bulk API job ${jobId} did not finish within ${options.timeoutMs} ms (state ${info.state ?? 'unknown'}); aborted`));
    }
    await options.sleep(options.pollIntervalMs);
  }

  const said = info.errorMessage === undefined || info.errorMessage === '' ? '' : `: ${info.errorMessage}`;
  // InvalidBatch (a column Salesforce does not know, a malformed CSV) fails every row the same way again; anything else may pass later.
  const notProcessed: CrmRecordFailure = /InvalidBatch/i.test(info.errorMessage ?? '')
    ? { ok: false, code: 'CRM_REJECTED', message: `Salesforce Bulk API job ${jobId} failed${said}`, retryable: false }
    : unavailable(`Salesforce Bulk API job ${jobId} ended ${info.state ?? 'unknown'} without processing this record${said}`);
  const byId = new Map<string, PreparedInput>(inputs.map((input) => [input.id.toLowerCase(), input]));
  const read = async (path: string, each: (row: Record<string, string>, input: PreparedInput) => UpsertResult): Promise<CrmRecordFailure | undefined> => {
    const answer = await http.call('GET', `/jobs/ingest/${jobId}/${path}`, { accept: 'text/csv' });
    if (answer.kind !== 'response' || answer.status !== 200) return callFailure(answer, context);
    const parsed = parse<Record<string, string>>(answer.text, { columns: true, skipEmptyLines: true, bom: true });
    for (const row of parsed) {
      const input = byId.get((row[idField.name] ?? '').toLowerCase());
      if (input !== undefined && !results.has(input.index)) results.set(input.index, each(row, input));
    }
    return undefined;
  };
  const problem =
    (await read('successfulResults', (row) => ({ ok: true, recordId: row['sf__Id'] ?? '', created: row['sf__Created'] === 'true' }))) ??
    (await read('failedResults', (row, input) => recordErrorFailure(parseBulkError(row['sf__Error'] ?? ''), { ...context, body: input.body }))) ??
    (await read('unprocessedrecords', () => notProcessed));
  for (const input of inputs) if (!results.has(input.index)) results.set(input.index, problem ?? notProcessed);
  return results;
}
