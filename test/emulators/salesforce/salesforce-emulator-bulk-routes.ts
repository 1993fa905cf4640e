import type { FastifyInstance } from 'fastify';
import { apiVersionOf, NOT_FOUND, sendErrors, type EmulatorContext } from './salesforce-emulator-context.js';

type JobParams = { version: string; id: string };

/** Bulk API 2.0 ingest endpoints (CRM-CONTRACTS.md §2.6). */
export function registerBulkRoutes(app: FastifyInstance, context: EmulatorContext): void {
  app.post<{ Params: { version: string } }>('/services/data/:version/jobs/ingest', (request, reply) => {
    const version = apiVersionOf(request.params.version);
    if (version === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const object = typeof body['object'] === 'string' ? context.objects.get(body['object'].toLowerCase()) : undefined;
    if (object === undefined) return sendErrors(reply, 400, [{ errorCode: 'INVALIDJOB', message: `InvalidJob : Invalid object: ${String(body['object'])}` }]);
    const operation = body['operation'];
    if (operation !== 'upsert' && operation !== 'insert') return sendErrors(reply, 400, [{ errorCode: 'INVALIDJOB', message: `InvalidJob : the emulator supports operation insert or upsert, got ${String(operation)}` }]);
    const externalName = body['externalIdFieldName'];
    if (operation === 'upsert') {
      const field = typeof externalName === 'string' ? object.byLowerName.get(externalName.toLowerCase()) : undefined;
      if (field === undefined || !(field.externalId || field.name === 'Id')) {
        return sendErrors(reply, 400, [{ errorCode: 'INVALIDJOB', message: `InvalidJob : Field name provided, ${String(externalName)} is not an External ID or indexed field for ${object.name}` }]);
      }
    }
    if ((body['contentType'] ?? 'CSV') !== 'CSV' || (body['columnDelimiter'] ?? 'COMMA') !== 'COMMA') {
      return sendErrors(reply, 400, [{ errorCode: 'INVALIDJOB', message: 'InvalidJob : the emulator supports contentType CSV with columnDelimiter COMMA' }]);
    }
    const lineEnding = body['lineEnding'] === 'CRLF' ? 'CRLF' : 'LF';
    const job = context.bulk.create(object, operation, operation === 'upsert' ? String(externalName) : undefined, lineEnding);
    const info = context.bulk.info(job, version);
    // The create answer carries no counters yet.
    for (const counter of ['jobType', 'numberRecordsProcessed', 'numberRecordsFailed', 'retries', 'totalProcessingTime', 'apiActiveProcessingTime', 'apexProcessingTime']) delete info[counter];
    return info;
  });

  app.put<{ Params: JobParams }>('/services/data/:version/jobs/ingest/:id/batches', (request, reply) => {
    const job = context.bulk.get(request.params.id);
    if (job === undefined || apiVersionOf(request.params.version) === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    if (job.state !== 'Open') return sendErrors(reply, 409, [{ errorCode: 'INVALIDJOBSTATE', message: `Job is not open for data upload: ${job.state}` }]);
    if (typeof request.body !== 'string') return sendErrors(reply, 400, [{ errorCode: 'INVALID_CONTENT_TYPE', message: 'Upload job data as text/csv' }]);
    const problem = context.bulk.upload(job, request.body);
    if (problem !== undefined) return sendErrors(reply, 400, [{ errorCode: 'INVALIDBATCH', message: problem }]);
    return reply.code(201).send();
  });

  app.patch<{ Params: JobParams }>('/services/data/:version/jobs/ingest/:id', (request, reply) => {
    const version = apiVersionOf(request.params.version);
    const job = context.bulk.get(request.params.id);
    if (job === undefined || version === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    const state = (request.body as { state?: unknown } | undefined)?.state;
    if (state !== 'UploadComplete' && state !== 'Aborted') return sendErrors(reply, 400, [{ errorCode: 'INVALIDJOBSTATE', message: `Invalid state: ${String(state)}` }]);
    const allowed = state === 'UploadComplete' ? job.state === 'Open' : job.state === 'Open' || job.state === 'UploadComplete' || job.state === 'InProgress';
    if (!allowed) return sendErrors(reply, 409, [{ errorCode: 'INVALIDJOBSTATE', message: `Cannot change the state of a job in state ${job.state} to ${state}` }]);
    context.bulk.setState(job, state);
    return context.bulk.info(job, version);
  });

  app.get<{ Params: JobParams }>('/services/data/:version/jobs/ingest/:id', (request, reply) => {
    const version = apiVersionOf(request.params.version);
    const job = context.bulk.get(request.params.id);
    if (job === undefined || version === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    return context.bulk.info(job, version);
  });

  app.delete<{ Params: JobParams }>('/services/data/:version/jobs/ingest/:id', (request, reply) => {
    const job = context.bulk.get(request.params.id);
    if (job === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    return reply.code(204).send();
  });

  const results = [
    ['successfulResults', 'successful'],
    ['failedResults', 'failed'],
    ['unprocessedrecords', 'unprocessed'],
  ] as const;
  for (const [path, kind] of results) {
    app.get<{ Params: JobParams }>(`/services/data/:version/jobs/ingest/:id/${path}`, (request, reply) => {
      const job = context.bulk.get(request.params.id);
      if (job === undefined || apiVersionOf(request.params.version) === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
      if (kind !== 'unprocessed' && job.state !== 'JobComplete' && job.state !== 'Failed') {
        return sendErrors(reply, 400, [{ errorCode: 'INVALIDJOBSTATE', message: `Results are available once the job is complete; it is ${job.state}` }]);
      }
      return reply.type('text/csv').send(context.bulk.resultCsv(job, kind));
    });
  }
}
