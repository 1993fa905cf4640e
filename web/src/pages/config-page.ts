import { api, isAdmin, type Session } from '../api-client.js';
import { actionButton, badge, emptyState, errorState, h, replace } from '../dom.js';
import { timeElement } from '../time-format.js';

interface CheckResult {
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly schemaVersion: string;
  readonly findings: readonly { code: string; where: string; message: string; suggestions?: string[] }[];
}
interface ConfigView {
  readonly file: string;
  readonly loadedAt: string;
  readonly readOnly: boolean;
  readonly schemaVersion: string;
  readonly sources: readonly { name: string; lane: string; mapping: string; mappingVersion: number; objects: { object: string; match: string; fields: number }[] }[];
  readonly lastCheck: CheckResult | null;
}
interface Token {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

function checkView(check: CheckResult | null): HTMLElement {
  if (check === null) return emptyState('Not checked yet', 'Run the check to compare every mapping with the CRM schema before anything is written.');
  if (check.ok) return h('p', { class: 'preview ok', 'data-testid': 'check-result' }, `✓ No problems: every mapping fits CRM schema ${check.schemaVersion}. Checked `, timeElement(check.checkedAt), '.');
  return h(
    'div',
    { 'data-testid': 'check-result' },
    h('p', { class: 'preview bad' }, `✗ ${check.findings.length} problem${check.findings.length === 1 ? '' : 's'} against CRM schema ${check.schemaVersion}. Checked `, timeElement(check.checkedAt), '.'),
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Code'), h('th', {}, 'Where'), h('th', {}, 'Problem'))), h('tbody', {}, ...check.findings.map((f) => h('tr', {}, h('td', {}, h('code', {}, f.code)), h('td', {}, h('code', {}, f.where)), h('td', {}, f.message, f.suggestions && f.suggestions.length > 0 ? h('span', { class: 'muted' }, ` (nearest: ${f.suggestions.join(', ')})`) : ''))))),
  );
}

/** Config: sources and mapping versions, the check, reload (admin), API tokens (admin). */
export async function renderConfig(main: HTMLElement, session: Session): Promise<void> {
  const admin = isAdmin(session);
  const head = h('section', { class: 'panel' });
  const checkBox = h('div', {});
  const tokensBox = h('section', { class: 'panel' });
  const actionResult = h('div', { 'aria-live': 'polite' });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Config')), head, admin ? tokensBox : null);

  const draw = (config: ConfigView): void => {
    replace(
      head,
      h('dl', { class: 'facts' }, h('dt', {}, 'File'), h('dd', {}, h('code', {}, config.file)), h('dt', {}, 'Loaded'), h('dd', {}, timeElement(config.loadedAt)), h('dt', {}, 'CRM schema'), h('dd', {}, config.schemaVersion), h('dt', {}, 'Mode'), h('dd', {}, config.readOnly ? badge('read-only', 'warn') : badge('read-write', 'ok'))),
      h('h2', {}, 'Sources and mapping versions'),
      h(
        'table',
        { class: 'table', 'data-testid': 'sources-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Source'), h('th', {}, 'Lane'), h('th', {}, 'Mapping'), h('th', {}, 'Version'), h('th', {}, 'Writes to'))),
        h('tbody', {}, ...config.sources.map((s) => h('tr', {}, h('td', {}, s.name), h('td', {}, s.lane), h('td', {}, h('code', {}, s.mapping)), h('td', {}, `v${s.mappingVersion}`), h('td', {}, s.objects.map((o) => `${o.object} (${o.fields} fields, matched on ${o.match})`).join('; '))))),
      ),
      h('h2', {}, 'Check against the CRM schema'),
      checkBox,
      admin
        ? h(
            'div',
            { class: 'actions' },
            actionButton('Run check now', async () => {
              try {
                replace(checkBox, checkView(await api<CheckResult>('POST', '/v1/config/check')));
              } catch (error) {
                replace(checkBox, errorState(error));
              }
            }, { kind: 'primary', testId: 'run-check' }),
            actionButton('Reload config from file', async () => {
              try {
                const next = await api<ConfigView>('POST', '/v1/config/reload');
                draw(next);
                replace(actionResult, h('p', { class: 'preview ok', 'data-testid': 'reload-result' }, 'Reloaded: new events and replays use these mappings now.'));
              } catch (error) {
                replace(actionResult, errorState(error));
              }
            }, { testId: 'reload-config' }),
          )
        : h('p', { class: 'muted' }, 'An admin can run the check and reload the config here (or send the service SIGHUP).'),
      actionResult,
    );
    replace(checkBox, checkView(config.lastCheck));
  };

  const drawTokens = async (created?: { name: string; secret: string }): Promise<void> => {
    const tokens = await api<{ items: Token[] }>('GET', '/v1/tokens');
    const nameInput = h('input', { name: 'name', required: true, placeholder: 'who uses it, e.g. maria', maxlength: 80 });
    const roleSelect = h('select', { name: 'role' }, h('option', { value: 'viewer' }, 'viewer — reads, PII masked'), h('option', { value: 'operator' }, 'operator — replays, approves'), h('option', { value: 'admin' }, 'admin — tokens and config'));
    const message = h('div', { 'aria-live': 'polite' });
    const form = h('form', { class: 'search-form' }, h('label', {}, 'Name', nameInput), h('label', {}, 'Role', roleSelect), h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      api<{ token: Token; secret: string }>('POST', '/v1/tokens', { name: nameInput.value, role: roleSelect.value })
        .then((answer) => drawTokens({ name: answer.token.name, secret: answer.secret }))
        .catch((error: unknown) => replace(message, errorState(error)));
    });
    replace(
      tokensBox,
      h('h2', {}, 'API tokens'),
      created ? h('div', { class: 'secret', role: 'status' }, h('strong', {}, `Token for ${created.name} — copy it now, it is not shown again:`), h('code', { 'data-testid': 'new-secret' }, created.secret)) : null,
      h(
        'table',
        { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Role'), h('th', {}, 'Created'), h('th', {}, 'Last used'), h('th', {}, 'State'))),
        h(
          'tbody',
          {},
          ...tokens.items.map((t) =>
            h('tr', {}, h('td', {}, t.name), h('td', {}, badge(t.role, 'info')), h('td', {}, timeElement(t.createdAt)), h('td', {}, timeElement(t.lastUsedAt)), h('td', {}, t.revokedAt ? ['revoked ', timeElement(t.revokedAt)] : session.readOnly ? 'active' : actionButton('Revoke', async () => {
              await api('POST', `/v1/tokens/${encodeURIComponent(t.id)}/revoke`).catch((error: unknown) => replace(message, errorState(error)));
              await drawTokens();
            }, { kind: 'danger' }))),
          ),
        ),
      ),
      session.readOnly ? null : form,
      message,
    );
  };

  try {
    draw(await api<ConfigView>('GET', '/v1/config'));
    if (admin) await drawTokens();
  } catch (error) {
    replace(head, errorState(error));
  }
}
