import { api, canOperate, query, type Session } from '../api-client.js';
import { actionButton, badge, emptyState, errorState, h, replace } from '../dom.js';
import { timeElement } from '../time-format.js';

interface DlqItem {
  readonly id: string;
  readonly eventId: string;
  readonly source: string;
  readonly leadKey: string;
  readonly errorCode: string;
  readonly message: string;
  readonly trace: string;
  readonly attempts: number;
  readonly createdAt: string;
  readonly status: 'open' | 'replayed' | 'discarded';
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
}
interface DlqListing {
  readonly groups: readonly { errorCode: string; count: number; oldestAt: string; newestAt: string }[];
  readonly items: readonly DlqItem[];
  readonly nextCursor: string | null;
}
interface DlqDetail {
  readonly item: DlqItem;
  readonly event: null | { source: string; lane: string; receivedAt: string; leadKey: string; payload: { state: 'kept'; type: string; topLevelKeys?: string[] } | { state: 'purged'; purgedAt: string } };
  readonly history: readonly { auditId: string; time: string; outcome: string; actor: { kind: string; name: string }; errorCode: string | null; attempt: number }[];
}
type Preview = { status: 'planned'; resolves: boolean; plan: { outcome: string; mapping?: { name: string; version: number } } } | { status: 'cannot_plan'; code: string; message: string };
interface ReplayAnswer {
  readonly status: 'dry_run' | 'replayed' | 'discarded';
  readonly item: DlqItem;
  readonly preview?: Preview;
}

const STATUS_TONE = { open: 'bad', replayed: 'ok', discarded: 'muted' } as const;

function previewLine(preview: Preview | undefined): HTMLElement {
  if (!preview) return h('p', {}, 'No preview.');
  if (preview.status === 'cannot_plan') return h('p', { class: 'preview bad' }, `Cannot plan: ${preview.code} — ${preview.message}`);
  const mapping = preview.plan.mapping ? ` with mapping ${preview.plan.mapping.name} v${preview.plan.mapping.version}` : '';
  return preview.resolves
    ? h('p', { class: 'preview ok', 'data-testid': 'preview-result' }, `✓ Would succeed${mapping}: the plan is "${preview.plan.outcome}".`)
    : h('p', { class: 'preview bad', 'data-testid': 'preview-result' }, `✗ Would fail again${mapping}: the plan is "${preview.plan.outcome}". Fix the mapping (Config page) first.`);
}

/** The DLQ: groups by error code, items, detail with trace, and dry-run-first replay / discard. */
export async function renderDeadLetters(main: HTMLElement, session: Session, params: URLSearchParams): Promise<void> {
  const status = params.get('status') ?? 'open';
  const code = params.get('code') ?? '';
  const operate = canOperate(session);
  const detail = h('section', { class: 'panel detail', 'aria-live': 'polite' });
  const listBox = h('section', { class: 'panel' });
  const groupsBox = h('section', { class: 'groups', 'aria-label': 'Error codes' });
  const statusSelect = h('select', { 'aria-label': 'Status' }, ...['open', 'replayed', 'discarded', 'all'].map((s) => h('option', { value: s, selected: s === status }, s)));
  statusSelect.addEventListener('change', () => (location.hash = `#/dlq${query({ status: statusSelect.value, code: code || undefined })}`));

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Dead letters'), h('label', { class: 'inline' }, 'Status ', statusSelect)),
    h('p', { class: 'lead-text' }, 'Events that could not be written. Fix the cause (usually the mapping, on the Config page), preview a replay, then replay. Discard what should never be written.'),
    !operate ? h('p', { class: 'notice' }, session.readOnly ? 'The service is in read-only mode: replay and discard are off.' : `Your role (${session.role}) can look but not replay or discard.`) : null,
    groupsBox,
    h('div', { class: 'split' }, listBox, detail),
  );
  replace(detail, h('p', { class: 'muted' }, 'Select an item to see its error trace and history.'));

  let cursor: string | null = null;
  const items: DlqItem[] = [];

  const showDetail = async (id: string): Promise<void> => {
    replace(detail, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const shown = await api<DlqDetail>('GET', `/v1/dlq/${encodeURIComponent(id)}`);
      const item = shown.item;
      const result = h('div', { class: 'action-result', 'aria-live': 'polite' });
      const actions = h('div', { class: 'actions' });
      const reloadAll = async (): Promise<void> => {
        await loadList(true);
        await showDetail(id);
      };
      if (operate && item.status === 'open') {
        actions.append(
          actionButton('Preview replay', async () => {
            try {
              const dry = await api<ReplayAnswer>('POST', `/v1/dlq/${encodeURIComponent(id)}/replay?dryRun=true`);
              replace(
                result,
                previewLine(dry.preview),
                h('div', { class: 'actions' }, actionButton('Replay now', async () => {
                  try {
                    await api<ReplayAnswer>('POST', `/v1/dlq/${encodeURIComponent(id)}/replay`);
                    await reloadAll();
                  } catch (error) {
                    replace(result, errorState(error));
                  }
                }, { kind: 'primary', testId: 'replay-confirm' })),
              );
            } catch (error) {
              replace(result, errorState(error));
            }
          }, { kind: 'primary', testId: 'replay-preview' }),
          actionButton('Discard…', () => {
            replace(
              result,
              h('p', { class: 'preview' }, 'Discarding closes the item for good; its event is never written. This is audited with your name.'),
              h('div', { class: 'actions' }, actionButton('Discard now', async () => {
                try {
                  await api<ReplayAnswer>('POST', `/v1/dlq/${encodeURIComponent(id)}/discard`);
                  await reloadAll();
                } catch (error) {
                  replace(result, errorState(error));
                }
              }, { kind: 'danger', testId: 'discard-confirm' })),
            );
            return Promise.resolve();
          }, { testId: 'discard-preview' }),
        );
      }
      const payload = shown.event?.payload;
      replace(
        detail,
        h('div', { class: 'detail-head' }, h('h2', {}, `Item ${item.id}`), badge(item.status, STATUS_TONE[item.status])),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Lead'), h('dd', {}, leadLink(item.leadKey)),
          h('dt', {}, 'Source'), h('dd', {}, `${item.source}${shown.event ? ` · ${shown.event.lane} lane` : ''}`),
          h('dt', {}, 'Error'), h('dd', {}, h('code', {}, item.errorCode)),
          h('dt', {}, 'Dead-lettered'), h('dd', {}, timeElement(item.createdAt), ` after ${item.attempts} attempt${item.attempts === 1 ? '' : 's'}`),
          item.resolvedBy ? [h('dt', {}, 'Resolved'), h('dd', {}, `${item.status} by ${item.resolvedBy} `, timeElement(item.resolvedAt))] : null,
          h('dt', {}, 'Payload'),
          h('dd', {}, payload === undefined ? 'the event is gone' : payload.state === 'purged' ? ['purged by retention ', timeElement(payload.purgedAt), ' — it cannot be replayed'] : `kept · fields: ${(payload.topLevelKeys ?? []).join(', ')}`),
        ),
        h('h3', {}, 'Message'),
        h('p', { class: 'message' }, item.message),
        h('details', { open: true }, h('summary', {}, 'Error trace'), h('pre', { class: 'trace', 'data-testid': 'trace' }, item.trace)),
        actions,
        result,
        h('h3', {}, 'History of this event'),
        h('ol', { class: 'history' }, ...shown.history.map((line) => h('li', {}, timeElement(line.time), ' ', badge(line.outcome, line.outcome === 'dead_lettered' ? 'bad' : 'info'), ` ${line.actor.kind} ${line.actor.name}`, line.errorCode ? ` · ${line.errorCode}` : ''))),
      );
    } catch (error) {
      replace(detail, errorState(error));
    }
  };

  const loadList = async (reset: boolean): Promise<void> => {
    if (reset) {
      cursor = null;
      items.length = 0;
    }
    const listing = await api<DlqListing>('GET', `/v1/dlq${query({ status, code: code || undefined, cursor: cursor ?? undefined, limit: 50 })}`);
    items.push(...listing.items);
    cursor = listing.nextCursor;
    const total = listing.groups.reduce((n, g) => n + g.count, 0);
    replace(
      groupsBox,
      h('a', { class: `group ${code === '' ? 'active' : ''}`, href: `#/dlq${query({ status })}` }, h('span', { class: 'group-code' }, 'All codes'), h('span', { class: 'group-count' }, String(total))),
      ...listing.groups.map((group) => {
        const groupResult = h('div', { class: 'group-result', 'aria-live': 'polite' });
        const box = h(
          'div',
          { class: `group ${group.errorCode === code ? 'active' : ''}`, 'data-testid': `group-${group.errorCode}` },
          h('a', { href: `#/dlq${query({ status, code: group.errorCode })}` }, h('span', { class: 'group-code' }, group.errorCode), h('span', { class: 'group-count' }, String(group.count))),
          h('span', { class: 'muted small' }, 'newest ', timeElement(group.newestAt)),
        );
        if (operate && status === 'open') {
          box.append(
            actionButton(`Preview replay of all ${group.count}`, async () => {
              try {
                const dry = await api<{ results: ReplayAnswer[] }>('POST', '/v1/dlq/replay', { code: group.errorCode, dryRun: true });
                const ok = dry.results.filter((r) => r.preview?.status === 'planned' && r.preview.resolves).length;
                replace(
                  groupResult,
                  h('p', { class: `preview ${ok === dry.results.length ? 'ok' : 'bad'}` }, `${ok} of ${dry.results.length} would succeed with the current mapping.`),
                  actionButton(`Replay all ${dry.results.length}`, async () => {
                    try {
                      await api('POST', '/v1/dlq/replay', { code: group.errorCode });
                      await loadList(true);
                    } catch (error) {
                      replace(groupResult, errorState(error));
                    }
                  }, { kind: 'primary' }),
                );
              } catch (error) {
                replace(groupResult, errorState(error));
              }
            }),
            groupResult,
          );
        }
        return box;
      }),
    );

    const more = cursor !== null ? actionButton('Load more', () => loadList(false)) : null;
    replace(
      listBox,
      h('h2', {}, `${items.length}${cursor !== null ? '+' : ''} ${status === 'all' ? '' : status} item${items.length === 1 ? '' : 's'}`),
      items.length === 0
        ? emptyState(status === 'open' ? 'The DLQ is empty' : `No ${status} items`, status === 'open' ? 'Every event that came in could be written, or was replayed or discarded.' : 'Choose another status above.')
        : h(
            'table',
            { class: 'table clickable', 'data-testid': 'dlq-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'ID'), h('th', {}, 'When'), h('th', {}, 'Lead'), h('th', {}, 'Error'), status === 'open' ? null : h('th', {}, 'Status'))),
            h(
              'tbody',
              {},
              ...items.map((item) => {
                const open = h('button', { type: 'button', class: 'link', 'aria-label': `Show DLQ item ${item.id}` }, item.id);
                open.addEventListener('click', () => void showDetail(item.id));
                return h('tr', { 'data-testid': `dlq-row-${item.id}` }, h('td', {}, open), h('td', {}, timeElement(item.createdAt)), h('td', { class: 'lead' }, item.leadKey, h('div', { class: 'muted small' }, item.source)), h('td', {}, h('code', { class: 'small' }, item.errorCode)), status === 'open' ? null : h('td', {}, badge(item.status, STATUS_TONE[item.status])));
              }),
            ),
          ),
      more,
    );
  };

  try {
    await loadList(true);
    const first = items[0];
    if (first) await showDetail(first.id);
  } catch (error) {
    replace(listBox, errorState(error));
  }
}

/** A link to the lead's timeline; masked keys (viewer tokens) cannot be looked up, so they stay text. */
export function leadLink(leadKey: string): HTMLElement {
  if (leadKey.includes('***') || leadKey.includes('[phone]')) return h('span', { class: 'lead', title: 'masked for your role' }, leadKey);
  return h('a', { class: 'lead', href: `#/lead?key=${encodeURIComponent(leadKey)}` }, leadKey);
}
