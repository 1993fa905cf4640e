import { api, canOperate, query, type Session } from '../api-client.js';
import { actionButton, badge, emptyState, errorState, h, replace } from '../dom.js';
import { timeElement } from '../time-format.js';
import { leadLink } from './dlq-page.js';

interface ApprovalItem {
  readonly id: string;
  readonly leadKey: string;
  readonly object: string;
  readonly field: string;
  readonly before: unknown;
  readonly proposed: unknown;
  readonly confidence: number;
  readonly reason: string;
  readonly source: string;
  readonly createdAt: string;
  readonly status: 'pending' | 'approved' | 'rejected' | 'expired';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
}

export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '(empty)';
  if (Array.isArray(value)) return value.join('; ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Before → after, the old value struck through. */
export function diff(before: unknown, after: unknown): HTMLElement {
  return h('span', { class: 'diff' }, h('del', { class: before === null ? 'empty' : '' }, valueText(before)), h('span', { class: 'arrow', 'aria-label': 'becomes' }, ' → '), h('ins', { class: after === null ? 'empty' : '' }, valueText(after)));
}

const TONE = { pending: 'warn', approved: 'ok', rejected: 'bad', expired: 'muted' } as const;

/** Approvals: changes to approval-policy fields (owners) waiting for a person. */
export async function renderApprovals(main: HTMLElement, session: Session, params: URLSearchParams): Promise<void> {
  const status = params.get('status') ?? 'pending';
  const operate = canOperate(session);
  const list = h('section', { class: 'panel' });
  const statusSelect = h('select', { 'aria-label': 'Status' }, ...['pending', 'approved', 'rejected', 'expired'].map((s) => h('option', { value: s, selected: s === status }, s)));
  statusSelect.addEventListener('change', () => (location.hash = `#/approvals${query({ status: statusSelect.value })}`));
  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Approvals'), h('label', { class: 'inline' }, 'Status ', statusSelect)),
    h('p', { class: 'lead-text' }, `Changes to fields with the approval policy (such as owners) wait here for a person. Approving writes the one field to the CRM; rejecting leaves the CRM as it is. Both are audited with your name (${session.name}).`),
    !operate ? h('p', { class: 'notice' }, session.readOnly ? 'The service is in read-only mode: approve and reject are off.' : `Your role (${session.role}) can look but not decide.`) : null,
    list,
  );

  const load = async (): Promise<void> => {
    const listing = await api<{ items: ApprovalItem[]; nextCursor: string | null; expired: number }>('GET', `/v1/approvals${query({ status, limit: 200 })}`);
    if (listing.items.length === 0) {
      replace(list, emptyState(status === 'pending' ? 'Nothing waits for approval' : `No ${status} approvals`, status === 'pending' ? 'When a source proposes an owner change, it shows up here.' : 'Choose another status above.'));
      return;
    }
    replace(
      list,
      listing.expired > 0 ? h('p', { class: 'notice' }, `${listing.expired} overdue item${listing.expired === 1 ? ' was' : 's were'} expired just now.`) : null,
      h(
        'table',
        { class: 'table', 'data-testid': 'approvals-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Lead'), h('th', {}, 'Field'), h('th', {}, 'Change'), h('th', { class: 'num' }, 'Confidence'), h('th', {}, 'Why'), h('th', {}, 'Proposed'), h('th', {}, status === 'pending' ? 'Decide' : 'Decision'))),
        h(
          'tbody',
          {},
          ...listing.items.map((item) => {
            const result = h('div', { class: 'row-result', 'aria-live': 'polite' });
            const decide = async (verb: 'approve' | 'reject'): Promise<void> => {
              try {
                await api('POST', `/v1/approvals/${encodeURIComponent(item.id)}/${verb}`);
                await load();
              } catch (error) {
                replace(result, errorState(error));
              }
            };
            const decision =
              item.status === 'pending'
                ? operate
                  ? h('div', { class: 'actions' }, actionButton('Approve', () => decide('approve'), { kind: 'primary', testId: `approve-${item.id}` }), actionButton('Reject', () => decide('reject'), { kind: 'danger', testId: `reject-${item.id}` }), result)
                  : badge('pending', 'warn')
                : h('span', {}, badge(item.status, TONE[item.status]), item.decidedBy ? ` by ${item.decidedBy} ` : ' ', timeElement(item.decidedAt));
            return h('tr', { 'data-testid': `approval-row-${item.id}` }, h('td', {}, leadLink(item.leadKey)), h('td', {}, h('code', {}, `${item.object}.${item.field}`)), h('td', {}, diff(item.before, item.proposed)), h('td', { class: 'num' }, `${Math.round(item.confidence * 100)}%`), h('td', {}, item.reason), h('td', {}, `${item.source} `, timeElement(item.createdAt)), h('td', {}, decision));
          }),
        ),
      ),
    );
  };
  await load().catch((error: unknown) => replace(list, errorState(error)));
}
