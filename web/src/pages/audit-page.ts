import { api, query, type Session } from '../api-client.js';
import { actionButton, badge, emptyState, errorState, h, replace } from '../dom.js';
import { fromLocalInput, timeElement } from '../time-format.js';
import { leadLink } from './dlq-page.js';

export interface AuditEntry {
  readonly id: string;
  readonly time: string;
  readonly leadKey: string;
  readonly source: string | null;
  readonly eventId: string | null;
  readonly mappingVersion: string | null;
  readonly object: string | null;
  readonly changes: readonly { field: string; before: unknown; after: unknown; confidence: number; reason: string }[];
  readonly actor: { kind: string; name: string };
  readonly outcome: string;
  readonly attempt: number;
  readonly errorCode: string | null;
}

export const OUTCOMES = ['written', 'no_change', 'duplicate', 'stale', 'pending_approval', 'rejected', 'dead_lettered', 'replayed', 'approved', 'discarded'] as const;

export function outcomeBadge(outcome: string): HTMLElement {
  const tone = ['written', 'approved', 'replayed'].includes(outcome) ? 'ok' : ['rejected', 'dead_lettered'].includes(outcome) ? 'bad' : outcome === 'pending_approval' ? 'warn' : 'muted';
  return badge(outcome, tone);
}

/** Audit search: lead key, source, outcome, time range; newest first, keyset pages. */
export async function renderAudit(main: HTMLElement, _session: Session, params: URLSearchParams): Promise<void> {
  const config = await api<{ sources: { name: string }[] }>('GET', '/v1/config').catch(() => ({ sources: [] as { name: string }[] }));
  const leadInput = h('input', { name: 'leadKey', type: 'search', placeholder: 'contacts:ada@example.com', value: params.get('leadKey') ?? '', size: 36 });
  const sourceSelect = h('select', { name: 'source' }, h('option', { value: '' }, 'Any source'), ...config.sources.map((s) => h('option', { value: s.name, selected: s.name === params.get('source') }, s.name)));
  const outcomeSelect = h('select', { name: 'outcome' }, h('option', { value: '' }, 'Any outcome'), ...OUTCOMES.map((o) => h('option', { value: o, selected: o === params.get('outcome') }, o)));
  const fromInput = h('input', { name: 'from', type: 'datetime-local', value: params.get('from') ?? '' });
  const toInput = h('input', { name: 'to', type: 'datetime-local', value: params.get('to') ?? '' });
  const form = h(
    'form',
    { class: 'search-form', role: 'search', 'aria-label': 'Search the audit log' },
    h('label', {}, 'Lead key', leadInput),
    h('label', {}, 'Source', sourceSelect),
    h('label', {}, 'Outcome', outcomeSelect),
    h('label', {}, 'From (local time)', fromInput),
    h('label', {}, 'To (local time)', toInput),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'), h('a', { href: '#/audit', class: 'btn btn-plain' }, 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/audit${query({ leadKey: leadInput.value.trim(), source: sourceSelect.value, outcome: outcomeSelect.value, from: fromInput.value, to: toInput.value })}`;
  });
  const results = h('section', { class: 'panel' });
  const leadKey = params.get('leadKey') ?? '';
  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit search')),
    h('p', { class: 'lead-text' }, 'Every change leadsync made or refused, newest first. Open a lead to see each field\'s history.'),
    form,
    leadKey !== '' ? h('p', {}, h('a', { href: `#/lead?key=${encodeURIComponent(leadKey)}`, class: 'btn btn-plain' }, `Open the timeline of ${leadKey} →`)) : null,
    results,
  );

  const entries: AuditEntry[] = [];
  let cursor: string | null = null;
  const filters = {
    leadKey: leadKey || undefined,
    source: params.get('source') ?? undefined,
    outcome: params.get('outcome') ?? undefined,
    from: fromLocalInput(params.get('from') ?? ''),
    to: fromLocalInput(params.get('to') ?? ''),
  };
  const load = async (): Promise<void> => {
    const page = await api<{ items: AuditEntry[]; nextCursor: string | null }>('GET', `/v1/audit${query({ ...filters, limit: 50, cursor: cursor ?? undefined })}`);
    entries.push(...page.items);
    cursor = page.nextCursor;
    replace(
      results,
      h('h2', {}, `${entries.length}${cursor !== null ? '+' : ''} entr${entries.length === 1 ? 'y' : 'ies'}`),
      entries.length === 0
        ? emptyState('No audit entries match', 'Widen the time range or clear a filter. Lead keys look like contacts:ada@example.com.')
        : h(
            'table',
            { class: 'table', 'data-testid': 'audit-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Lead'), h('th', {}, 'Source'), h('th', {}, 'Outcome'), h('th', {}, 'Changes'), h('th', {}, 'Actor'), h('th', {}, 'Mapping'))),
            h(
              'tbody',
              {},
              ...entries.map((entry) =>
                h(
                  'tr',
                  {},
                  h('td', {}, timeElement(entry.time)),
                  h('td', {}, leadLink(entry.leadKey)),
                  h('td', {}, entry.source ?? '—'),
                  h('td', {}, outcomeBadge(entry.outcome), entry.errorCode ? h('div', { class: 'small' }, h('code', {}, entry.errorCode)) : null),
                  h('td', {}, entry.changes.length === 0 ? h('span', { class: 'muted' }, 'none') : entry.changes.map((c) => c.field).join(', ')),
                  h('td', {}, `${entry.actor.name}`, h('span', { class: 'muted small' }, ` (${entry.actor.kind})`)),
                  h('td', {}, entry.mappingVersion ?? '—'),
                ),
              ),
            ),
          ),
      cursor !== null ? actionButton('Load more', load) : null,
    );
  };
  await load().catch((error: unknown) => replace(results, errorState(error)));
}
