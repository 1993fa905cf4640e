import type { FastifyInstance, FastifyRequest } from 'fastify';
import { approveApproval, listApprovals, rejectApproval } from '../app/approval-actions.js';
import { searchAudit, verifyAudit } from '../app/audit-queries.js';
import {
  discardDeadLetter,
  listDeadLetters,
  replayAllDeadLetters,
  replayDeadLetter,
  showDeadLetter,
  type DeadLetterListStatus,
} from '../app/dead-letter-actions.js';
import type { AuditOutcome } from '../core/audit/audit-record-types.js';
import { ERROR_CODES, errorDefinition, type ErrorCode } from '../core/errors/error-codes.js';
import type { ApprovalStatus } from '../ports/approval-store.js';
import { sendError, useJsonApiConventions } from './json-api-scope.js';
import { operatorDeps } from './operator-deps.js';
import { operatorSchemas as schemas } from './operator-route-schemas.js';
import type { Runtime } from './runtime.js';

/** What the operator routes need besides the runtime. */
export interface OperatorRouteDeps {
  /** Time of decisions, replays and expiry. */
  readonly now: () => Date;
}

interface IdParams {
  readonly id: string;
}
interface DryRunQuery {
  readonly dryRun?: boolean;
}
interface PageQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

/** The person acting: the name of the token the request authenticated with, recorded as the audit actor. */
function actorOf(request: FastifyRequest): string {
  // Access control (access-control.ts) has authenticated every operator route by now.
  if (request.apiToken === null) throw new Error(`${request.method} ${request.url} ran without an authenticated token`);
  return request.apiToken.name;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The operator API: DLQ (list, show, replay, discard, replay by code),
 * approvals (list, approve, reject) and audit (search, verify). Registered in
 * its own encapsulated scope so its JSON body parser and error answers do
 * not change the ingest route, which needs the raw bytes.
 */
export function registerOperatorRoutes(app: FastifyInstance, runtime: Runtime, deps: OperatorRouteDeps): void {
  const { deadLetters, approvals } = operatorDeps(runtime, deps.now);
  const audit = runtime.storage.audit;

  void app.register((scope, _options, done) => {
    useJsonApiConventions(scope);

    // --- DLQ -----------------------------------------------------------------

    scope.get<{ Querystring: PageQuery & { status?: DeadLetterListStatus; code?: ErrorCode; source?: string } }>(
      '/v1/dlq',
      { schema: schemas.listDeadLetters },
      async (request) => {
        const { status, code, source, limit, cursor } = request.query;
        return listDeadLetters(deadLetters, { ...optional('status', status), ...optional('code', code), ...optional('source', source), ...optional('limit', limit), ...optional('cursor', cursor) });
      },
    );

    scope.get<{ Params: IdParams }>('/v1/dlq/:id', { schema: schemas.showDeadLetter }, async (request, reply) => {
      const shown = await showDeadLetter(deadLetters, request.params.id);
      if (shown.status === 'not_found') return sendError(reply, 'DLQ_ITEM_NOT_FOUND', `no DLQ item "${request.params.id}"`);
      return { item: shown.item, event: shown.event, history: shown.history };
    });

    scope.post<{ Body: { code: ErrorCode; source?: string; dryRun?: boolean } }>(
      '/v1/dlq/replay',
      { schema: schemas.replayAllDeadLetters },
      async (request) => {
        const { code, source, dryRun } = request.body;
        return replayAllDeadLetters(deadLetters, { code, ...optional('source', source) }, actorOf(request), { dryRun: dryRun === true });
      },
    );

    scope.post<{ Params: IdParams; Querystring: DryRunQuery}>(
      '/v1/dlq/:id/replay',
      { schema: schemas.replayDeadLetter },
      async (request, reply) => {
        const outcome = await replayDeadLetter(deadLetters, request.params.id, actorOf(request), { dryRun: request.query.dryRun === true });
        switch (outcome.status) {
          case 'not_found':
            return sendError(reply, 'DLQ_ITEM_NOT_FOUND', `no DLQ item "${outcome.id}"`);
          case 'not_open':
            return sendError(reply, 'DLQ_ITEM_NOT_OPEN', `DLQ item ${outcome.item.id} is ${outcome.item.status}; nothing changed`, { item: outcome.item });
          case 'replayed':
          case 'dry_run':
            return outcome;
        }
      },
    );

    scope.post<{ Params: IdParams; Querystring: DryRunQuery}>(
      '/v1/dlq/:id/discard',
      { schema: schemas.discardDeadLetter },
      async (request, reply) => {
        const outcome = await discardDeadLetter(deadLetters, request.params.id, actorOf(request), { dryRun: request.query.dryRun === true });
        switch (outcome.status) {
          case 'not_found':
            return sendError(reply, 'DLQ_ITEM_NOT_FOUND', `no DLQ item "${outcome.id}"`);
          case 'not_open':
            return sendError(reply, 'DLQ_ITEM_NOT_OPEN', `DLQ item ${outcome.item.id} is ${outcome.item.status}; nothing changed`, { item: outcome.item });
          case 'discarded':
          case 'dry_run':
            return outcome;
        }
      },
    );

    // --- approvals -------------------------------------------------------------

    scope.get<{ Querystring: PageQuery & { status?: ApprovalStatus; leadKey?: string } }>(
      '/v1/approvals',
      { schema: schemas.listApprovals },
      async (request) => {
        const { status, leadKey, limit, cursor } = request.query;
        return listApprovals(approvals, { ...optional('status', status), ...optional('leadKey', leadKey), ...optional('limit', limit), ...optional('cursor', cursor) });
      },
    );

    scope.post<{ Params: IdParams; Querystring: DryRunQuery}>(
      '/v1/approvals/:id/approve',
      { schema: schemas.approve },
      async (request, reply) => {
        const outcome = await approveApproval(approvals, request.params.id, actorOf(request), { dryRun: request.query.dryRun === true });
        switch (outcome.status) {
          case 'not_found':
            return sendError(reply, 'APPROVAL_NOT_FOUND', `no approval "${outcome.id}"`);
          case 'not_pending':
            return sendError(reply, 'APPROVAL_NOT_PENDING', `approval ${outcome.item.id} is ${outcome.item.status}; nothing changed`, { item: outcome.item });
          case 'stale':
            return sendError(reply, 'APPROVAL_STALE', `${outcome.message}; nothing was written or marked`, { item: outcome.item, reason: outcome.reason });
          case 'cannot_write':
            // A CRM failure keeps its own code; a CRM with no HTTP status of its own is a bad gateway.
            return sendError(reply, outcome.code, outcome.message, { item: outcome.item, retryable: outcome.retryable }, errorDefinition(outcome.code).httpStatus ?? 502);
          case 'approved':
          case 'dry_run':
            return outcome;
        }
      },
    );

    scope.post<{ Params: IdParams; Querystring: DryRunQuery}>(
      '/v1/approvals/:id/reject',
      { schema: schemas.reject },
      async (request, reply) => {
        const outcome = await rejectApproval(approvals, request.params.id, actorOf(request), { dryRun: request.query.dryRun === true });
        switch (outcome.status) {
          case 'not_found':
            return sendError(reply, 'APPROVAL_NOT_FOUND', `no approval "${outcome.id}"`);
          case 'not_pending':
            return sendError(reply, 'APPROVAL_NOT_PENDING', `approval ${outcome.item.id} is ${outcome.item.status}; nothing changed`, { item: outcome.item });
          case 'rejected':
          case 'dry_run':
            return outcome;
        }
      },
    );

    // --- audit -----------------------------------------------------------------

    scope.get<{ Querystring: PageQuery & { leadKey?: string; source?: string; outcome?: AuditOutcome; from?: string; to?: string } }>(
      '/v1/audit',
      { schema: schemas.searchAudit },
      async (request) => {
        const { leadKey, source, outcome, from, to, limit, cursor } = request.query;
        return searchAudit(audit, {
          ...optional('leadKey', leadKey),
          ...optional('source', source),
          ...optional('outcome', outcome),
          ...optional('from', from === undefined ? undefined : new Date(from)),
          ...optional('to', to === undefined ? undefined : new Date(to)),
          ...optional('limit', limit),
          ...optional('cursor', cursor),
        });
      },
    );

    scope.get('/v1/audit/verify', { schema: schemas.verifyAudit }, async () => {
      const result = await verifyAudit(audit);
      return result.ok ? result : { ...result, code: 'AUDIT_CHAIN_BROKEN', fix: ERROR_CODES.AUDIT_CHAIN_BROKEN.fix };
    });

    done();
  });
}
