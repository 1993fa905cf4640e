import { api, query, type Session } from '../api-client.js';
import { errorState, h, replace } from '../dom.js';
import { duration, localTime, timeElement } from '../time-format.js';

interface Overview {
  readonly generatedAt: string;
  readonly since: string;
  readonly totals: readonly { source: string; lane: string; metric: string; n: number }[];
  readonly queue: readonly { lane: string; depth: number; oldestEnqueuedAt: string | null }[];
  readonly deadLettersOpen: number;
  readonly approvalsPending: number;
  readonly crmRateLimit: { destination: string; reported: false } | { destination: string; remaining: number; max: number; intervalMs: number; dailyRemaining?: number };
}

interface Timeseries {
  readonly bucketMinutes: number;
  readonly buckets: readonly string[];
  readonly series: readonly { source: string; lane: string; metric: string; counts: readonly number[] }[];
}

/** The charted metrics, in legend order, with their colours. */
const METRICS = [
  { metric: 'received', label: 'Received', color: '#4c6ef5' },
  { metric: 'written', label: 'Written', color: '#2f9e44' },
  { metric: 'rejected', label: 'Rejected', color: '#e8590c' },
  { metric: 'dead_lettered', label: 'Dead-lettered', color: '#c92a2a' },
] as const;

const RANGES = [
  { key: '1h', label: 'Last hour', hours: 1, bucketMinutes: 1 },
  { key: '24h', label: 'Last 24 hours', hours: 24, bucketMinutes: 30 },
  { key: '7d', label: 'Last 7 days', hours: 168, bucketMinutes: 360 },
] as const;

function sum(totals: Overview['totals'], metric: string, source?: string, lane?: string): number {
  return totals.filter((t) => t.metric === metric && (source === undefined || t.source === source) && (lane === undefined || t.lane === lane)).reduce((n, t) => n + t.n, 0);
}

function card(label: string, value: string | number, detail: Node | string, options: { tone?: 'bad' | 'warn' | 'ok'; href?: string; testId?: string } = {}): HTMLElement {
  const body = [h('div', { class: 'card-label' }, label), h('div', { class: 'card-value', 'data-testid': options.testId }, String(value)), h('div', { class: 'card-detail' }, detail)];
  return options.href ? h('a', { class: `card card-link ${options.tone ? `tone-${options.tone}` : ''}`, href: options.href }, ...body) : h('div', { class: `card ${options.tone ? `tone-${options.tone}` : ''}` }, ...body);
}

/** Overview: counts, queue and lag, DLQ and approvals, CRM budget, and the throughput chart. */
export async function renderOverview(main: HTMLElement, _session: Session, params: URLSearchParams): Promise<() => void> {
  const range = RANGES.find((candidate) => candidate.key === params.get('range')) ?? RANGES[1];
  const sourceFilter = params.get('source') ?? '';
  const laneFilter = params.get('lane') ?? '';
  const cards = h('section', { class: 'cards', 'aria-label': 'Health at a glance' });
  const chartBox = h('div', { class: 'chart', 'aria-label': 'Events over time chart', role: 'img' });
  const legend = h('div', { class: 'chart-legend' }, ...METRICS.map((m) => h('span', {}, h('i', { style: `background:${m.color}` }), m.label)));
  const bySource = h('section', { class: 'panel' });
  const updated = h('span', { class: 'muted small' });

  const filters = h('form', { class: 'filters', 'aria-label': 'Chart filters' });
  const rangeSelect = h('select', { name: 'range', 'aria-label': 'Time range' }, ...RANGES.map((r) => h('option', { value: r.key, selected: r.key === range.key }, r.label)));
  const sourceSelect = h('select', { name: 'source', 'aria-label': 'Source' }, h('option', { value: '' }, 'All sources'));
  const laneSelect = h('select', { name: 'lane', 'aria-label': 'Lane' }, h('option', { value: '' }, 'All lanes'), h('option', { value: 'realtime', selected: laneFilter === 'realtime' }, 'realtime'), h('option', { value: 'batch', selected: laneFilter === 'batch' }, 'batch'));
  for (const select of [rangeSelect, sourceSelect, laneSelect]) {
    select.addEventListener('change', () => {
      location.hash = `#/overview${query({ range: rangeSelect.value, source: sourceSelect.value, lane: laneSelect.value })}`;
    });
  }
  append(filters, [h('label', {}, 'Range ', rangeSelect), h('label', {}, 'Source ', sourceSelect), h('label', {}, 'Lane ', laneSelect)]);

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), updated),
    cards,
    h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Events over time'), filters), chartBox, legend),
    bySource,
  );

  let plot: uPlot | undefined;

  const load = async (): Promise<void> => {
    const to = new Date();
    const from = new Date(to.getTime() - range.hours * 3_600_000);
    const [overview, series] = await Promise.all([
      api<Overview>('GET', `/v1/stats/overview${query({ hours: range.hours })}`),
      api<Timeseries>('GET', `/v1/stats/timeseries${query({ from: from.toISOString(), to: to.toISOString(), bucketMinutes: range.bucketMinutes, source: sourceFilter || undefined })}`),
    ]);
    updated.textContent = `Updated ${localTime(new Date(overview.generatedAt))} · refreshes every 10 s`;
    const t = overview.totals;
    const rate = overview.crmRateLimit;
    const queueCards = overview.queue.map((lane) => {
      const lag = lane.oldestEnqueuedAt === null ? 0 : Date.now() - new Date(lane.oldestEnqueuedAt).getTime();
      return card(`Queue · ${lane.lane}`, lane.depth, lane.depth === 0 ? 'empty, no lag' : `oldest waiting ${duration(lag)}`, { tone: lag > 300_000 ? 'warn' : 'ok', testId: `queue-${lane.lane}` });
    });
    replace(
      cards,
      card(`Received · ${range.label.toLowerCase()}`, sum(t, 'received'), 'events accepted by ingest'),
      card('Written', sum(t, 'written'), 'records changed in the CRM'),
      card('Rejected', sum(t, 'rejected'), 'nothing could be written', { tone: sum(t, 'rejected') > 0 ? 'warn' : 'ok' }),
      card('Dead-lettered', sum(t, 'dead_lettered'), 'sent to the DLQ in this range', { tone: sum(t, 'dead_lettered') > 0 ? 'bad' : 'ok' }),
      card('DLQ open', overview.deadLettersOpen, overview.deadLettersOpen === 0 ? 'nothing waiting' : 'waiting for a fix → open DLQ', { tone: overview.deadLettersOpen > 0 ? 'bad' : 'ok', href: '#/dlq', testId: 'dlq-open' }),
      card('Approvals pending', overview.approvalsPending, overview.approvalsPending === 0 ? 'nothing to decide' : 'waiting for a person → review', { tone: overview.approvalsPending > 0 ? 'warn' : 'ok', href: '#/approvals', testId: 'approvals-pending' }),
      ...queueCards,
      'reported' in rate
        ? card(`CRM rate limit · ${rate.destination}`, '—', 'not reported by this destination', { testId: 'crm-rate' })
        : card(`CRM rate limit · ${rate.destination}`, `${Math.round(((rate.max - rate.remaining) / Math.max(1, rate.max)) * 100)}%`, `${rate.remaining} of ${rate.max} calls left per ${duration(rate.intervalMs)}${rate.dailyRemaining === undefined ? '' : ` · ${rate.dailyRemaining} left today`}`, { tone: rate.remaining < rate.max * 0.1 ? 'warn' : 'ok', testId: 'crm-rate' }),
    );

    // Sources seen in this range fill the source filter.
    const sources = [...new Set(t.map((total) => total.source))].sort();
    if (sourceSelect.options.length === 1) append(sourceSelect, sources.map((s) => h('option', { value: s, selected: s === sourceFilter }, s)));

    const x = series.buckets.map((iso) => new Date(iso).getTime() / 1000);
    const lines = METRICS.map((m) => {
      const values = new Array<number>(x.length).fill(0);
      for (const s of series.series) {
        if (s.metric !== m.metric || (laneFilter !== '' && s.lane !== laneFilter)) continue;
        s.counts.forEach((n, i) => (values[i] = (values[i] ?? 0) + n));
      }
      return values;
    });
    const data: uPlot.AlignedData = [x, ...lines];
    const width = Math.max(320, chartBox.clientWidth);
    if (plot) plot.setData(data);
    else {
      plot = new uPlot(
        {
          width,
          height: 260,
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { y: { range: (_self, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
          axes: [{ stroke: '#5c6370', grid: { stroke: '#eceef2', width: 1 } }, { stroke: '#5c6370', grid: { stroke: '#eceef2', width: 1 }, size: 48 }],
          series: [{}, ...METRICS.map((m) => ({ label: m.label, stroke: m.color, width: 2, points: { show: false } }))],
        },
        data,
        chartBox,
      );
    }

    // Per source and lane: the table of totals.
    const keys = [...new Set(t.filter((total) => total.lane !== 'none').map((total) => `${total.source}\u0000${total.lane}`))].sort();
    replace(
      bySource,
      h('h2', {}, `By source and lane · ${range.label.toLowerCase()}`),
      keys.length === 0
        ? h('p', { class: 'empty-inline' }, 'No events in this range yet. Send one with ', h('code', {}, 'leadsync send'), ' or ', h('code', {}, 'leadsync demo'), '.')
        : h(
            'table',
            { class: 'table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Source'), h('th', {}, 'Lane'), ...METRICS.map((m) => h('th', { class: 'num' }, m.label)))),
            h(
              'tbody',
              {},
              ...keys.map((key) => {
                const [source = '', lane = ''] = key.split('\u0000');
                return h('tr', {}, h('td', {}, source), h('td', {}, lane), ...METRICS.map((m) => h('td', { class: 'num' }, String(sum(t, m.metric, source, lane)))));
              }),
            ),
          ),
      h('p', { class: 'muted small' }, 'Counted since ', timeElement(overview.since), '. Operator actions (replays, approvals) are counted under their source.'),
    );
  };

  const refresh = (): void => {
    load().catch((error: unknown) => {
      replace(cards, errorState(error));
    });
  };
  await load().catch((error: unknown) => replace(cards, errorState(error)));
  const timer = window.setInterval(refresh, 10_000);
  const onResize = (): void => plot?.setSize({ width: Math.max(320, chartBox.clientWidth), height: 260 });
  window.addEventListener('resize', onResize);
  return () => {
    window.clearInterval(timer);
    window.removeEventListener('resize', onResize);
    plot?.destroy();
  };
}

function append(parent: Node, children: Node[]): void {
  for (const child of children) parent.appendChild(child);
}
