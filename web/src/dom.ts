/** Tiny DOM builder: no framework, no innerHTML with data (text goes in as text nodes). */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces everything inside `parent`. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A button that runs an async action, disabled (and labelled busy) while it runs. */
export function actionButton(label: string, action: () => Promise<void>, options: { kind?: 'primary' | 'danger' | 'plain'; busyLabel?: string; testId?: string } = {}): HTMLButtonElement {
  const button = h('button', { type: 'button', class: `btn btn-${options.kind ?? 'plain'}`, 'data-testid': options.testId }, label);
  button.addEventListener('click', () => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = options.busyLabel ?? `${label}…`;
    action()
      .catch((error: unknown) => {
        console.error(error);
      })
      .finally(() => {
        if (!button.isConnected) return;
        button.disabled = false;
        button.removeAttribute('aria-busy');
        button.textContent = label;
      });
  });
  return button;
}

/** An empty state: what is (not) here and what to do about it. */
export function emptyState(title: string, hint: string): HTMLElement {
  return h('div', { class: 'empty', role: 'status' }, h('strong', {}, title), h('p', {}, hint));
}

/** An error box with the API's code, message and fix. */
export function errorState(error: unknown): HTMLElement {
  const details = error instanceof ApiError ? error : undefined;
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('strong', {}, details ? `${details.code}` : 'Something went wrong'),
    h('p', {}, error instanceof Error ? error.message : String(error)),
    details?.fix ? h('p', { class: 'fix' }, details.fix) : null,
  );
}

/** An answer of the API that is not 2xx, with its registered code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fix: string | undefined,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted' = 'muted'): HTMLElement {
  return h('span', { class: `badge badge-${tone}` }, text);
}
