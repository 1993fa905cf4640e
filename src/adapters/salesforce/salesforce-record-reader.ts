import type { CrmRecordFailure } from '../../ports/crm-destination.js';
import { callFailure, type MappingContext } from './salesforce-error-mapping.js';
import type { SalesforceHttpClient } from './salesforce-http-client.js';
import type { SalesforceFieldInfo, SalesforceObjectInfo } from './salesforce-schema-reader.js';
import { soqlLiteral } from './salesforce-values.js';

/** A record as a SOQL query returns it: field name → JSON value. */
export type SalesforceRecord = Readonly<Record<string, unknown>>;

/** Most values in one `IN (…)`; the URL length is also kept under {@link MAX_QUERY_URL}. */
const MAX_IN_VALUES = 200;
/** Salesforce refuses request URIs above 16,384 characters; stay well below. */
const MAX_QUERY_URL = 12_000;

/**
 * Records whose `field` equals one of `values`, by lower-cased value (SOQL
 * compares text case-insensitively, as Salesforce matches external ids).
 * Values are sent in as few `SELECT … WHERE field IN (…)` queries as the URL
 * length allows; pages (`nextRecordsUrl`) are followed.
 */
export async function queryByField(
  http: SalesforceHttpClient,
  object: SalesforceObjectInfo,
  field: SalesforceFieldInfo,
  values: readonly string[],
  select: readonly string[],
  context: MappingContext,
): Promise<Map<string, SalesforceRecord[]> | CrmRecordFailure> {
  const found = new Map<string, SalesforceRecord[]>();
  const columns = [...new Set(['Id', field.name, ...select])];
  const head = `SELECT ${columns.join(', ')} FROM ${object.name} WHERE ${field.name} IN (`;
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let length = encodeURIComponent(head).length;
  for (const value of [...new Set(values)]) {
    const literal = soqlLiteral(value);
    const added = encodeURIComponent(literal).length + 3;
    if (chunk.length > 0 && (chunk.length >= MAX_IN_VALUES || length + added > MAX_QUERY_URL)) {
      chunks.push(chunk);
      chunk = [];
      length = encodeURIComponent(head).length;
    }
    chunk.push(literal);
    length += added;
  }
  if (chunk.length > 0) chunks.push(chunk);
  for (const literals of chunks) {
    let path: string | undefined = `/query?q=${encodeURIComponent(`${head}${literals.join(', ')})`)}`;
    while (path !== undefined) {
      const answer = await http.call('GET', path);
      if (answer.kind !== 'response' || answer.status !== 200) return callFailure(answer, { ...context, notFound: 'CRM_OBJECT_UNKNOWN' });
      const page = answer.json as { records?: unknown; done?: unknown; nextRecordsUrl?: unknown };
      if (!Array.isArray(page.records)) return { ok: false, code: 'CRM_UNAVAILABLE', message: 'Salesforce query answer has no records[]', retryable: true };
      for (const record of page.records as SalesforceRecord[]) {
        const raw = record[field.name];
        const key = (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '').toLowerCase();
        const list = found.get(key) ?? [];
        list.push(record);
        found.set(key, list);
      }
      path = page.done === false && typeof page.nextRecordsUrl === 'string' ? page.nextRecordsUrl : undefined;
    }
  }
  return found;
}
