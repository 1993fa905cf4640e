import { api, type Session } from '../api-client.js';
import { emptyState, errorState, h, replace } from '../dom.js';
import { timeElement } from '../time-format.js';
import { diff, valueText } from './approvals-page.js';
import { outcomeBadge, type AuditEntry } from './audit-page.js';

/** One lead: the CRM record now, each field's changes (before → after, confidence, reason, mapping, actor), every audit entry. */
export async function renderTimeline(main: HTMLElement, _session: Session, params: URLSearchParams): Promise<void> {
  const leadKey = params.get('key') ?? '';
  const input = h('input', { type: 'search', name: 'key', value: leadKey, placeholder: 'contacts:ada@example.com', size: 40, 'aria-label': 'Lead key' });
  const form = h('form', { class: 'search-form', role: 'search' }, h('label', {}, 'Lead key', input), h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Open')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/lead?key=${encodeURIComponent(input.value.trim())}`;
  });
  const body = h('div', {});
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Lead timeline'), h('a', { href: '#/audit', class: 'btn btn-plain' }, '← Audit search')), form, body);
  if (leadKey === '') {
    replace(body, emptyState('Which lead?', 'Type a lead key (object, colon, match value), or open one from the audit search or a DLQ item.'));
    return;
  }
  try {
    const history = await api<{ leadKey: string; entries: AuditEntry[] }>('GET', `/v1/leads/${encodeURIComponent(leadKey)}/audit`);
    const record = await api<{ record: { id: string; updatedAt: string; properties: Record<string, unknown> } | null }>('GET', `/v1/leads/${encodeURIComponent(leadKey)}`).catch(() => ({ record: null }));
    if (history.entries.length === 0) {
      replace(body, emptyState('No history for this lead', 'Check the key: contacts are keyed by email (contacts:ada@example.com), companies by domain.'));
      return;
    }
    // Per field, every change in time order, with where it came from.
    const fields = new Map<string, { entry: AuditEntry; change: AuditEntry['changes'][number] }[]>();
    for (const entry of history.entries) {
      for (const change of entry.changes) {
        const key = `${entry.object ?? ''}.${change.field}`;
        const list = fields.get(key) ?? [];
        list.push({ entry, change });
        fields.set(key, list);
      }
    }
    replace(
      body,
      h('h2', { class: 'lead-title' }, leadKey),
      record.record
        ? h('p', { class: 'muted' }, `CRM record ${record.record.id}, last changed `, timeElement(record.record.updatedAt))
        : h('p', { class: 'muted' }, 'No CRM record (the lead was never written, or the CRM could not be read).'),
      h('section', { class: 'panel' }, h('h2', {}, 'Fields'), h(
        'table',
        { class: 'table', 'data-testid': 'field-timeline' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'When'), h('th', {}, 'Before → after'), h('th', { class: 'num' }, 'Confidence'), h('th', {}, 'Reason'), h('th', {}, 'Mapping'), h('th', {}, 'Actor'), h('th', {}, 'Now in CRM'))),
        h(
          'tbody',
          {},
          ...[...fields.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([key, changes]) =>
            changes.map(({ entry, change }, index) =>
              h(
                'tr',
                { class: index === 0 ? 'group-start' : '' },
                h('td', {}, index === 0 ? h('code', {}, key) : ''),
                h('td', {}, timeElement(entry.time)),
                h('td', {}, diff(change.before, change.after)),
                h('td', { class: 'num' }, `${Math.round(change.confidence * 100)}%`),
                h('td', {}, change.reason),
                h('td', {}, entry.mappingVersion ?? '—'),
                h('td', { 'data-testid': 'actor' }, `${entry.actor.name} `, h('span', { class: 'muted small' }, `(${entry.actor.kind}, ${entry.outcome})`)),
                h('td', {}, index === changes.length - 1 && record.record ? valueText(record.record.properties[change.field]) : ''),
              ),
            ),
          ),
        ),
      )),
      h('section', { class: 'panel' }, h('h2', {}, 'Every audit entry'), h(
        'ol',
        { class: 'history' },
        ...history.entries.map((entry) => h('li', {}, timeElement(entry.time), ' ', outcomeBadge(entry.outcome), ` ${entry.actor.name} (${entry.actor.kind})`, entry.source ? ` · ${entry.source}` : '', entry.mappingVersion ? ` · ${entry.mappingVersion}` : '', entry.errorCode ? ` · ${entry.errorCode}` : '', entry.changes.length > 0 ? ` · ${entry.changes.length} field${entry.changes.length === 1 ? '' : 's'}` : '')),
      )),
    );
  } catch (error) {
    replace(body, errorState(error));
  }
}
