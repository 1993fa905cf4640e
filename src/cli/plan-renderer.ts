import type { FieldValue } from '../core/crm-schema/crm-schema-types.js';
import type { EventPlan, ObjectPlan } from '../core/plan/event-plan-types.js';
import type { FieldPlan } from '../core/merge/plan-types.js';
import { textTable } from './text-table.js';

const MAX_CELL = 48;

/** The human form of a plan: a header, then one table per CRM record. */
export function renderPlan(plan: EventPlan): string {
  const header = textTable([
    ['Outcome', plan.outcome.toUpperCase()],
    ['Source', `${plan.source} (mapping ${plan.mapping.name} v${plan.mapping.version}, schema ${plan.schemaVersion})`],
    ['Lead id', plan.leadId ?? '–'],
    ['Updated at', plan.sourceUpdatedAt ?? '–'],
    ['Idempotency key', plan.idempotencyKey ?? '–'],
    ['Payload hash', `sha256:${plan.payloadHash}`],
  ]);
  const parts = [header];
  if (plan.rejection) parts.push(`\nRejected: ${plan.rejection.code} — ${plan.rejection.message}`);
  for (const object of plan.objects) parts.push(`\n${renderObject(object)}`);
  return parts.join('\n');
}

function renderObject(object: ObjectPlan): string {
  if (object.status === 'skipped') return `${object.object}: skipped — ${object.detail}`;
  if (object.status === 'rejected') return `${object.leadKey ?? object.object}: REJECTED ${object.rejection.code} — ${object.rejection.message}`;
  const title = `${object.leadKey} (${object.recordId === null ? 'new record' : `record ${object.recordId}`}, matched on ${object.match.field})`;
  const rows: string[][] = [['FIELD', 'ACTION', 'BEFORE', 'AFTER', 'CONF', 'WHY']];
  for (const field of object.fields) rows.push(fieldRow(field));
  return `${title}\n${indent(textTable(rows))}`;
}

function fieldRow(field: FieldPlan): string[] {
  switch (field.kind) {
    case 'change':
      return [field.field, 'change', show(field.before), show(field.after), field.confidence.toFixed(2), field.reason];
    case 'skip':
      return [field.field, `skip:${field.skip}`, show(field.before), show(field.proposed), '', field.detail];
    case 'pending_approval':
      return [field.field, 'approval', show(field.before), show(field.proposed), field.confidence.toFixed(2), field.reason];
    case 'rejected': {
      const hint = field.suggestions && field.suggestions.length > 0 ? ` (did you mean ${field.suggestions.join(', ')}?)` : '';
      return [field.field, 'REJECTED', '', cut(safeString(field.value)), '', `${field.code}: ${field.message}${hint}`];
    }
  }
}

function show(value: FieldValue): string {
  if (value === null) return '–';
  return cut(typeof value === 'string' ? value : JSON.stringify(value));
}

function safeString(value: unknown): string {
  if (value === undefined || value === null) return '–';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function cut(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
