import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { ResolvedObject } from './salesforce-emulator-schema.js';
import type { SalesforceEmulatorStore, SfRecordError } from './salesforce-emulator-store.js';
import { coerceCsvValue, sfDateTime, type SfValue } from './salesforce-emulator-values.js';
import { USER_ID } from './salesforce-emulator-oauth.js';

/** Bulk API 2.0 ingest job states (CRM-CONTRACTS.md §2.6). */
export const INGEST_STATES = ['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted'] as const;
export type IngestState = (typeof INGEST_STATES)[number];

export interface IngestJob {
  readonly id: string;
  readonly object: ResolvedObject;
  readonly operation: 'upsert' | 'insert';
  readonly externalIdFieldName: string | undefined;
  readonly lineEnding: 'LF' | 'CRLF';
  readonly createdDate: string;
  state: IngestState;
  systemModstamp: string;
  errorMessage: string | undefined;
  /** Uploaded rows; the first upload's header names the columns. */
  header: string[] | undefined;
  rows: string[][];
  successful: string[][];
  failed: string[][];
  unprocessed: string[][];
  startedAt: number | undefined;
  finishedAt: number | undefined;
}

export interface BulkKnobs {
  /** Delay before each state transition after UploadComplete. */
  processingDelayMs: number;
  /** When set, the next job fails after processing this many rows, leaving the rest unprocessed. */
  failNextJobAfterRows: number | undefined;
}

function bulkErrorText(error: SfRecordError): string {
  return `${error.statusCode}:${error.message}:${error.fields.join(',')} --`;
}

/** Ingest jobs: creation, CSV upload, close, asynchronous processing and result CSVs. */
export class SalesforceEmulatorBulk {
  private readonly jobs = new Map<string, IngestJob>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private counter = 0;

  constructor(
    private readonly store: SalesforceEmulatorStore,
    readonly knobs: BulkKnobs,
  ) {}

  get(id: string): IngestJob | undefined {
    return this.jobs.get(id);
  }

  create(object: ResolvedObject, operation: 'upsert' | 'insert', externalIdFieldName: string | undefined, lineEnding: 'LF' | 'CRLF'): IngestJob {
    this.counter += 1;
    const now = sfDateTime(new Date());
    const job: IngestJob = {
      id: `7505e${String(this.counter).padStart(10, '0')}${randomBytes(2).toString('hex').toUpperCase().slice(0, 3)}`,
      object,
      operation,
      externalIdFieldName,
      lineEnding,
      createdDate: now,
      state: 'Open',
      systemModstamp: now,
      errorMessage: undefined,
      header: undefined,
      rows: [],
      successful: [],
      failed: [],
      unprocessed: [],
      startedAt: undefined,
      finishedAt: undefined,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  /** Adds uploaded CSV to an open job; returns an error message when the CSV is unusable. */
  upload(job: IngestJob, csv: string): string | undefined {
    let rows: string[][];
    try {
      rows = parse(csv, { relaxColumnCount: false, skipEmptyLines: true });
    } catch (error) {
      return `InvalidBatch : Failed to parse CSV: ${(error as Error).message}`;
    }
    const [header, ...data] = rows;
    if (header === undefined) return undefined;
    if (job.header === undefined) job.header = header;
    else if (header.join(',') !== job.header.join(',')) return 'InvalidBatch : the header of this upload differs from the first upload';
    job.rows.push(...data);
    return undefined;
  }

  setState(job: IngestJob, state: 'UploadComplete' | 'Aborted'): void {
    job.state = state;
    job.systemModstamp = sfDateTime(new Date());
    if (state === 'UploadComplete') this.later(() => this.start(job));
  }

  info(job: IngestJob, apiVersion: string): Record<string, unknown> {
    const ms = job.startedAt === undefined ? 0 : (job.finishedAt ?? Date.now()) - job.startedAt;
    return {
      id: job.id,
      operation: job.operation,
      object: job.object.name,
      createdById: USER_ID,
      createdDate: job.createdDate,
      systemModstamp: job.systemModstamp,
      state: job.state,
      ...(job.externalIdFieldName === undefined ? {} : { externalIdFieldName: job.externalIdFieldName }),
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(apiVersion),
      contentUrl: `services/data/v${apiVersion}/jobs/ingest/${job.id}/batches`,
      lineEnding: job.lineEnding,
      columnDelimiter: 'COMMA',
      jobType: 'V2Ingest',
      numberRecordsProcessed: job.successful.length + job.failed.length,
      numberRecordsFailed: job.failed.length,
      retries: 0,
      totalProcessingTime: ms,
      apiActiveProcessingTime: ms,
      apexProcessingTime: 0,
      ...(job.errorMessage === undefined ? {} : { errorMessage: job.errorMessage }),
    };
  }

  resultCsv(job: IngestJob, kind: 'successful' | 'failed' | 'unprocessed'): string {
    const header = job.header ?? [];
    const lead = kind === 'successful' ? ['sf__Id', 'sf__Created'] : kind === 'failed' ? ['sf__Id', 'sf__Error'] : [];
    const rows = kind === 'successful' ? job.successful : kind === 'failed' ? job.failed : job.unprocessed;
    return stringify([[...lead, ...header], ...rows], { quoted: true, record_delimiter: job.lineEnding === 'CRLF' ? '\r\n' : '\n' });
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  reset(): void {
    this.close();
    this.jobs.clear();
  }

  private later(work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, this.knobs.processingDelayMs);
    this.timers.add(timer);
  }

  private start(job: IngestJob): void {
    if (job.state !== 'UploadComplete') return;
    job.state = 'InProgress';
    job.startedAt = Date.now();
    job.systemModstamp = sfDateTime(new Date());
    this.later(() => this.process(job));
  }

  private process(job: IngestJob): void {
    if (job.state !== 'InProgress') return;
    const header = job.header ?? [];
    const object = job.object;
    const unknown = header.find((name) => object.byLowerName.get(name.toLowerCase()) === undefined);
    const externalName = job.externalIdFieldName ?? 'Id';
    const externalColumn = header.findIndex((name) => name.toLowerCase() === externalName.toLowerCase());
    if (unknown !== undefined || (job.operation === 'upsert' && externalColumn < 0)) {
      this.finish(job, 'Failed', unknown !== undefined ? `InvalidBatch : Field name not found : ${unknown}` : `InvalidBatch : Field name not provided: ${externalName}`);
      job.unprocessed = job.rows;
      return;
    }
    const externalField = object.byLowerName.get(externalName.toLowerCase());
    const failAfter = this.knobs.failNextJobAfterRows;
    this.knobs.failNextJobAfterRows = undefined;
    const idCounts = new Map<string, number>();
    for (const row of job.rows) {
      const key = (row[externalColumn] ?? '').toLowerCase();
      idCounts.set(key, (idCounts.get(key) ?? 0) + 1);
    }
    job.rows.forEach((row, index) => {
      if (failAfter !== undefined && index >= failAfter) {
        job.unprocessed.push(row);
        return;
      }
      const externalValue = job.operation === 'upsert' ? (row[externalColumn] ?? '') : '';
      const failure = (error: SfRecordError): void => {
        job.failed.push(['', bulkErrorText(error), ...row]);
      };
      if (job.operation === 'upsert' && (idCounts.get(externalValue.toLowerCase()) ?? 0) > 1) {
        failure({ statusCode: 'DUPLICATE_EXTERNAL_ID', message: `Duplicate external id specified: ${externalValue}`, fields: [externalName] });
        return;
      }
      const values = new Map<string, SfValue | null>();
      for (const [column, name] of header.entries()) {
        if (column === externalColumn && job.operation === 'upsert') continue;
        const field = object.byLowerName.get(name.toLowerCase());
        if (field === undefined) continue;
        const coerced = coerceCsvValue(field, row[column] ?? '');
        if (coerced === undefined) continue;
        if (!coerced.ok) {
          failure({ statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: coerced.message, fields: [field.name] });
          return;
        }
        values.set(field.name, coerced.value);
      }
      if (externalField === undefined || (job.operation === 'upsert' && externalValue === '')) {
        failure({ statusCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${externalName}]`, fields: [externalName] });
        return;
      }
      const outcome = this.store.upsert(object, externalField, externalValue, values, new Date());
      if (outcome.kind === 'saved') job.successful.push([outcome.id, String(outcome.created), ...row]);
      else if (outcome.kind === 'multiple') {
        failure({ statusCode: 'DUPLICATE_EXTERNAL_ID', message: `${externalField.name}: more than one record found for external id field: [${outcome.ids.join(', ')}]`, fields: [externalField.name] });
      } else failure(outcome.error);
    });
    if (failAfter !== undefined && job.unprocessed.length > 0) this.finish(job, 'Failed', `InternalServerError : processing stopped after ${failAfter} records (emulator knob)`);
    else this.finish(job, 'JobComplete', undefined);
  }

  private finish(job: IngestJob, state: 'JobComplete' | 'Failed', errorMessage: string | undefined): void {
    job.state = state;
    job.errorMessage = errorMessage;
    job.finishedAt = Date.now();
    job.systemModstamp = sfDateTime(new Date());
  }
}
