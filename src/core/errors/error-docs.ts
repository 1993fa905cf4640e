import { ERROR_CODES, type ErrorDefinition } from './error-codes.js';

/** docs/errors.md, generated from the registry so the two never disagree. */
export function renderErrorDocs(): string {
  const groups = new Map<string, [string, ErrorDefinition][]>();
  for (const [code, definition] of Object.entries(ERROR_CODES) as [string, ErrorDefinition][]) {
    const group = code.split('_')[0] ?? code;
    groups.set(group, [...(groups.get(group) ?? []), [code, definition]]);
  }
  const lines = [
    '# Error codes',
    '',
    'Every error leadsync reports carries one of these stable codes: in CLI output, HTTP',
    'responses, DLQ items, alerts and audit records. Codes are never reused or renamed.',
    '"Retryable" means the same work may succeed later without a change by a person;',
    'the worker retries those and dead-letters the rest at once.',
    '',
    'Generated from `src/core/errors/error-codes.ts` by `npm run docs:errors`; a test keeps it current.',
  ];
  for (const [group, entries] of groups) {
    lines.push('', `## ${group}`, '', '| Code | Meaning | Retryable | HTTP | What to do |', '|---|---|---|---|---|');
    for (const [code, definition] of entries) {
      lines.push(`| \`${code}\` | ${definition.message} | ${definition.retryable ? 'yes' : 'no'} | ${definition.httpStatus ?? '–'} | ${definition.fix.replace(/\|/g, '\\|')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
