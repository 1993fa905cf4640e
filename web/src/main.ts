import { api, whenUnauthorized, type Session } from './api-client.js';
import { h, replace, errorState } from './dom.js';
import { renderApprovals } from './pages/approvals-page.js';
import { renderAudit } from './pages/audit-page.js';
import { renderConfig } from './pages/config-page.js';
import { renderDeadLetters } from './pages/dlq-page.js';
import { renderLogin } from './pages/login-page.js';
import { renderOverview } from './pages/overview-page.js';
import { renderTimeline } from './pages/timeline-page.js';

/** Every page draws into `main` and may return a cleanup (timers, charts). */
export type PageRenderer = (main: HTMLElement, session: Session, params: URLSearchParams) => Promise<(() => void) | void>;

interface Route {
  readonly path: string;
  readonly label: string;
  readonly render: PageRenderer;
  readonly inNav: boolean;
}

const ROUTES: readonly Route[] = [
  { path: 'overview', label: 'Overview', render: renderOverview, inNav: true },
  { path: 'dlq', label: 'Dead letters', render: renderDeadLetters, inNav: true },
  { path: 'approvals', label: 'Approvals', render: renderApprovals, inNav: true },
  { path: 'audit', label: 'Audit search', render: renderAudit, inNav: true },
  { path: 'lead', label: 'Lead timeline', render: renderTimeline, inNav: false },
  { path: 'config', label: 'Config', render: renderConfig, inNav: true },
];

const root = document.getElementById('app');
let session: Session | null = null;
let cleanup: (() => void) | void = undefined;

function parseHash(): { path: string; params: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?');
  return { path: path === '' ? 'overview' : path, params: new URLSearchParams(search) };
}

async function logout(): Promise<void> {
  await api('POST', '/v1/session/logout');
  session = null;
  await show();
}

function shell(current: Session, activePath: string): HTMLElement {
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Pages' },
    ...ROUTES.filter((route) => route.inNav).map((route) =>
      h('a', { href: `#/${route.path}`, class: route.path === activePath || (activePath === 'lead' && route.path === 'audit') ? 'active' : '', 'aria-current': route.path === activePath ? 'page' : undefined }, route.label),
    ),
  );
  const logoutButton = h('button', { type: 'button', class: 'btn btn-plain', 'data-testid': 'logout' }, 'Log out');
  logoutButton.addEventListener('click', () => void logout());
  return h(
    'div',
    { class: 'layout' },
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '#/overview' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⇄'), 'leadsync'),
      current.readOnly ? h('span', { class: 'badge badge-warn', title: 'service.readOnly is on: nothing can be changed from here' }, 'Read-only mode') : null,
      h(
        'div',
        { class: 'who' },
        h('span', { 'data-testid': 'who' }, current.name),
        h('span', { class: `badge badge-role role-${current.role}`, title: 'viewer: read, personal data masked · operator: replay, discard, approve, reject · admin: tokens and config' }, current.role),
        logoutButton,
      ),
    ),
    nav,
    h('main', { id: 'page', class: 'page', tabindex: '-1' }),
  );
}

async function show(): Promise<void> {
  if (!root) return;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  if (session === null) {
    try {
      session = await api<Session>('GET', '/v1/session');
    } catch {
      session = null;
    }
  }
  if (session === null) {
    replace(root, renderLogin(async (who) => {
      session = who;
      if (location.hash === '' || location.hash === '#/login') location.hash = '#/overview';
      await show();
    }));
    return;
  }
  const { path, params } = parseHash();
  const route = ROUTES.find((candidate) => candidate.path === path) ?? ROUTES[0];
  if (!route) return;
  const layout = shell(session, route.path);
  replace(root, layout);
  const main = layout.querySelector<HTMLElement>('#page');
  if (!main) return;
  document.title = `${route.label} · leadsync`;
  try {
    cleanup = await route.render(main, session, params);
  } catch (error) {
    replace(main, errorState(error));
  }
}

whenUnauthorized(() => {
  session = null;
  void show();
});
window.addEventListener('hashchange', () => void show());
void show();
