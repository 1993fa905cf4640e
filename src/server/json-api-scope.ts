import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERROR_CODES, errorDefinition, LeadsyncError, type ErrorCode } from '../core/errors/error-codes.js';

/** The body of every error answer of the JSON API: a registry code, what went wrong, and what to do. */
export function errorBody(code: ErrorCode, message?: string): { code: ErrorCode; message: string; fix: string } {
  return { code, message: message ?? ERROR_CODES[code].message, fix: ERROR_CODES[code].fix };
}

/** Answers with a registry error, at the code's HTTP status unless one is given. */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string, extra: Record<string, unknown> = {}, status?: number): FastifyReply {
  return reply.code(status ?? errorDefinition(code).httpStatus ?? 400).send({ ...errorBody(code, message), ...extra });
}

const HTTP_USAGE_FIX = 'See docs/http-api.md for the parameters of this route.';

/** Names an unknown parameter plainly; Ajv's own words for it are "property name must be valid". */
function validationMessage(error: FastifyError): string {
  const unknown = error.validation?.find((issue) => issue.keyword === 'propertyNames');
  const name = unknown?.params['propertyName'];
  return typeof name === 'string' ? `${error.validationContext ?? 'request'} has an unknown parameter "${name}"` : error.message;
}

/**
 * The conventions of the operator and dashboard routes, applied to one
 * registered scope: a JSON body parser whose failures are `INPUT_JSON_INVALID`
 * (an empty body is no body), and an error handler that answers
 * LeadsyncErrors with their registry code, and schema or range failures with
 * `USAGE_INVALID`. Anything else (body too large, a bug) goes on to the app's
 * own handler.
 */
export function useJsonApiConventions(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, parsed) => {
    const raw = typeof body === 'string' ? body : body.toString('utf8');
    if (raw.trim() === '') {
      parsed(null, undefined);
      return;
    }
    try {
      parsed(null, JSON.parse(raw));
    } catch (error) {
      parsed(new LeadsyncError('INPUT_JSON_INVALID', `the body is not valid JSON: ${(error as Error).message}`, { cause: error }), undefined);
    }
  });
  scope.setErrorHandler((error: FastifyError | LeadsyncError, _request, reply) => {
    if (error instanceof LeadsyncError) return sendError(reply, error.code, error.message);
    if (error.validation) return reply.code(400).send({ code: 'USAGE_INVALID', message: validationMessage(error), fix: HTTP_USAGE_FIX });
    if (error instanceof RangeError) return reply.code(400).send({ code: 'USAGE_INVALID', message: error.message, fix: HTTP_USAGE_FIX });
    throw error;
  });
}
