/** Times as the reader's local clock, with a relative hint ("3 min ago"); the UTC instant in the tooltip. */

const absolute = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

export function relativeTime(date: Date, now = new Date()): string {
  const delta = date.getTime() - now.getTime();
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  }
  return '';
}

export function localTime(date: Date): string {
  return absolute.format(date);
}

/** A <time> element: local time, relative hint, UTC ISO in the title. */
export function timeElement(iso: string | null | undefined): HTMLElement {
  if (iso === null || iso === undefined) {
    const none = document.createElement('span');
    none.className = 'muted';
    none.textContent = '—';
    return none;
  }
  const date = new Date(iso);
  const element = document.createElement('time');
  element.dateTime = iso;
  element.title = `${date.toISOString()} (UTC)`;
  const main = document.createElement('span');
  main.textContent = localTime(date);
  const hint = document.createElement('span');
  hint.className = 'rel';
  hint.textContent = relativeTime(date);
  element.append(main, ' ', hint);
  return element;
}

/** A duration in words: "4 s", "3 min", "2 h 5 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  const hours = Math.floor(ms / 3_600_000);
  return `${hours} h ${Math.round((ms - hours * 3_600_000) / 60_000)} min`;
}

/** A value for <input type="datetime-local"> → ISO, or undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
