import { api, type Session } from '../api-client.js';
import { ApiError, h } from '../dom.js';

/** The login form: an API token, exchanged for an HttpOnly session cookie. */
export function renderLogin(onLoggedIn: (session: Session) => Promise<void>): HTMLElement {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, placeholder: 'lsk_…', 'aria-describedby': 'token-help' });
  const message = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'login-card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⇄'), ' leadsync'),
    h('p', { class: 'muted' }, 'Lead sync health, dead letters, approvals and the audit trail.'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p', { id: 'token-help', class: 'help' }, 'The first start of the service printed an admin token. An admin creates more with ', h('code', {}, 'leadsync tokens create'), '.'),
    message,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.textContent = '';
    api<Session>('POST', '/v1/session', { token: input.value })
      .then((session) => onLoggedIn(session))
      .catch((error: unknown) => {
        message.textContent = error instanceof ApiError && error.status === 401 ? 'That token is unknown or revoked. Check it, or ask an admin for a new one.' : `Could not log in: ${error instanceof Error ? error.message : String(error)}`;
        input.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  queueMicrotask(() => input.focus());
  return h('div', { class: 'login-wrap' }, form);
}
