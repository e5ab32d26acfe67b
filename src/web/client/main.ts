/**
 * The verification page in the browser. Two sources, one page: the box's JSON API (live, with
 * server-sent events) or the data inlined in an exported HTML file (backtest / report, offline).
 */
import {
  AreaSeries,
  ColorType,
  createChart,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type Time,
} from 'lightweight-charts';
import type { DayView, EquityPoint, ReportView, TradeJson } from '../day-view.js';
import { escapeHtml } from '../../lib/html.js';
import { bucketIst, centre, IndexChart, ist, isoToEpochS, OptionChart } from './charts.js';

interface StaticData {
  kind: 'backtest' | 'report';
  report: ReportView;
  days: Record<string, DayView>;
}

/** /api/state: the appliance state (as on MQTT) plus the page's extras. */
interface LiveState {
  mode: string;
  session: string;
  day: string;
  trading: 'active' | 'halted';
  haltReason: string | null;
  feed: { connected: boolean; lastTickAgeMs: number | null };
  spot: number | null;
  position: {
    side: string;
    symbol: string;
    quantity: number;
    entryPrice: number;
    ltp: number;
    sl: number;
    tp1: number;
    tp1Hit: boolean;
    unrealizedPnl: number;
    greeks?: {
      source: 'upstox' | 'black76';
      iv: number;
      delta: number;
      gamma: number;
      theta: number;
      vega: number;
    } | null;
  } | null;
  pnl: { realized: number; unrealized: number; charges: number; net: number; trades: number; wins: number };
  clock: { synced: boolean; skewMs: number | null };
  alarms: { code: string; message: string }[];
  guards: Record<string, string>;
  loginUrl: string | null;
  /** The last daily report's verify verdict (three-way: agrees, tick-fills, differs). */
  verify?: { day: string; verdict: 'agrees' | 'tick-fills' | 'differs'; summary: string } | null;
  ts: number;
  page: { allowRemoteResume: boolean };
}

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const esc = (s: unknown) => escapeHtml(String(s));
const RUPEES = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
const money = (x: number) =>
  `<span ` +
  `class="${x > 0 ? 'pos' : x < 0 ? 'neg' : ''}">${x < 0 ? '−' : ''}₹` +
  `${Math.abs(x).toLocaleString('en-IN', RUPEES)}</span>`;
const num = (x: number, d = 2) => `<span class="${x > 0 ? 'pos' : x < 0 ? 'neg' : ''}">${x.toFixed(d)}</span>`;
const hhmm = (iso: string) => iso.slice(11, 16);

function showError(msg: string): void {
  const el = $('#error');
  el.style.display = msg ? 'block' : 'none';
  el.textContent = msg;
}

const staticEl = document.getElementById('niftybox-data');
const STATIC: StaticData | null = staticEl ? (JSON.parse(staticEl.textContent ?? 'null') as StaticData) : null;
const CSRF = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

function layout(): void {
  $('#app').innerHTML =
    `
<header>
  <h1>niftybox</h1>
  <span id="status-pill" class="pill warn">…</span>
  <span id="pnl-head" class="dim"></span>
  <span style="flex:1"></span>
  <label class="dim">Day <select id="day"></select></label>
  <button id="prev" title="previous day">‹</button><button id="next" title="next day">›</button>
  <span id="controls"></span>
</header>
<main>
  <section id="status-sec"><h2>Status</h2><div id="status" class="kv"></div></section>
  <section id="report-sec" style="display:none"></section>
  <section><h2 id="index-title">NIFTY 50 · 5 min</h2><div class="legend" id="index-legend">` +
    `candles · EMA (amber) · MACD histogram · CHOP with the chopMax line</div>` +
    `<div id="index-chart" class="chart tall"></div></section>
  <div class="grid2">
    <section><h2 id="ce-title">CE</h2><div id="ce-chart" class="chart"></div></section>
    <section><h2 id="pe-title">PE</h2><div id="pe-chart" class="chart"></div></section>
  </div>
  <section><h2 id="trades-title">Trades</h2><div class="scroll"><table id="trades"></table></div></section>
  <section id="recon-sec"><h2>Reconciliation</h2><div id="recon" class="dim"></div></section>
  <section><h2>Equity over all days</h2>` +
    `<div class="legend">cumulative net P&amp;L (after charges) · drawdown below</div>` +
    `<div id="equity-chart" class="chart short"></div></section>
  <section id="all-trades-sec" style="display:none"><h2>Every trade</h2>` +
    `<div class="scroll"><table id="all-trades"></table></div></section>
</main>`;
}

// ------------------------------------------------------------------ state

let indexChart: IndexChart;
let ceChart: OptionChart;
let peChart: OptionChart;
let equity: { chart: IChartApi; eq: ISeriesApi<'Line'>; dd: ISeriesApi<'Area'> } | null = null;
let days: string[] = [];
let current: DayView | null = null;
let liveState: LiveState | null = null;
let loadedOnce = new Set<string>();
/** Once the reader zooms, scrolls or picks a trade, live updates stop re-fitting the charts. */
let userMoved = false;

/** What the browser test reads: the markers as the charts hold them, and the day on show. */
const testHook = {
  day: '' as string,
  trades: [] as TradeJson[],
  loads: 0,
  markers: () => ({ CE: ceChart.markers.markers(), PE: peChart.markers.markers() }),
  /** The candles forming now (index, and the held contract's side), as last drawn; updates drawn so far. */
  forming: () => ({ index: forming.index, option: forming.option, updates: forming.updates }),
  /** Times the page re-read everything after its event stream reconnected. */
  resyncs: 0,
  /** The NIFTY chart's visible time range, in the charts' IST-shifted seconds. */
  visibleRange: () => indexChart.chart.timeScale().getVisibleRange(),
};
(window as unknown as { niftybox: typeof testHook }).niftybox = testHook;

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new Error(body.error ?? `${path}: HTTP ${r.status}`);
  return body;
}

async function fetchDay(day: string): Promise<DayView | null> {
  if (STATIC) return STATIC.days[day] ?? null;
  return getJson<DayView>(`/api/day/${day}`);
}

/**
 * The 5-minute candles forming now, from the live state's last prices (the index's spot, the held
 * contract's ltp): the state comes over SSE at most twice a second, so this draws at most that often.
 * Bars of a day not on show are not drawn; a new bucket starts a new bar.
 */
type Bar = { time: Time; open: number; high: number; low: number; close: number };
const forming = { index: null as Bar | null, option: null as (Bar & { side: 'CE' | 'PE' }) | null, updates: 0 };
function grow(bar: Bar | null, time: Time, price: number): Bar {
  if (!bar || bar.time !== time) return { time, open: price, high: price, low: price, close: price };
  return { time, open: bar.open, high: Math.max(bar.high, price), low: Math.min(bar.low, price), close: price };
}
/**
 * Whether a bar at `time` comes after every closed candle of `rows` (lightweight-charts cannot update an older bar).
 */
function afterClosed(time: Time, rows: readonly (readonly number[])[] | undefined): boolean {
  const last = rows?.at(-1)?.[0];
  return last === undefined || (time as number) > (ist(last) as number);
}
function drawForming(s: LiveState): void {
  if (!current || current.day !== s.day || s.session !== 'open') return;
  const time = bucketIst((s.ts - (s.feed.lastTickAgeMs ?? 0)) / 1000) as Time;
  if (s.spot !== null && afterClosed(time, current.index.candles)) {
    forming.index = grow(forming.index, time, s.spot);
    indexChart.forming(forming.index);
  }
  const p = s.position;
  if (p && (p.side === 'CE' || p.side === 'PE') && afterClosed(time, current.options[p.side]?.candles)) {
    const prev = forming.option?.side === p.side ? forming.option : null;
    forming.option = { ...grow(prev, time, p.ltp), side: p.side };
    const { side, ...bar } = forming.option;
    (side === 'CE' ? ceChart : peChart).forming(bar);
  } else if (!p) forming.option = null;
  forming.updates++;
}
/** After the closed candles are redrawn, the forming ones go back on top (unless their bucket has closed). */
function redrawForming(v: DayView): void {
  if (forming.index && afterClosed(forming.index.time, v.index.candles)) indexChart.forming(forming.index);
  else forming.index = null;
  if (forming.option && afterClosed(forming.option.time, v.options[forming.option.side]?.candles)) {
    const { side, ...bar } = forming.option;
    (side === 'CE' ? ceChart : peChart).forming(bar);
  } else forming.option = null;
}

function renderDay(v: DayView, opts: { fit: boolean }): void {
  if (current?.day !== v.day) {
    forming.index = null;
    forming.option = null;
  }
  current = v;
  indexChart.set(v);
  ceChart.set(
    v.options.CE,
    v.trades.filter((t) => t.side === 'CE'),
    v.position?.side === 'CE' ? v.position : null,
  );
  peChart.set(
    v.options.PE,
    v.trades.filter((t) => t.side === 'PE'),
    v.position?.side === 'PE' ? v.position : null,
  );
  redrawForming(v);
  $('#index-title').textContent = `NIFTY 50 · 5 min · ${v.day}`;
  $('#index-legend').textContent = [
    'candles',
    `strategy ${v.strategy.name}:`,
    ...v.strategy.plots.map(
      (p) =>
        (p.reading === 'hist' ? 'MACD histogram' : p.reading.toUpperCase()) +
        (p.level ? ` with the ${p.level.name} line` : ''),
    ),
  ].join(' · ');
  $('#ce-title').textContent = v.options.CE
    ? (v.options.CE.symbol ?? `CE ${v.options.CE.instrumentKey}`)
    : 'CE (no candles recorded)';
  $('#pe-title').textContent = v.options.PE
    ? (v.options.PE.symbol ?? `PE ${v.options.PE.instrumentKey}`)
    : 'PE (no candles recorded)';
  renderTrades(v);
  if (opts.fit) for (const c of [indexChart.chart, ceChart.chart, peChart.chart]) c.timeScale().fitContent();
  testHook.day = v.day;
  testHook.trades = v.trades;
  testHook.loads++;
}

function tradeRows(trades: TradeJson[], withDay: boolean): string {
  const head =
    `<thead><tr>${withDay ? '<th class="l">day</th>' : ''}<th ` +
    `class="l">time</th><th class="l">contract</th><th>entry → exit</th><th ` +
    `class="l">reason</th><th>points</th><th>gross</th><th>charges</th><th>net</th></tr></thead>`;
  const rows = trades
    .map(
      (t) =>
        `<tr data-id="${t.id}" ` +
        `data-day="${t.day}">${withDay ? `<td class="l">${t.day}</td>` : ''}<td ` +
        `class="l">${hhmm(t.entryTime)}–${hhmm(t.exitTime)}</td><td ` +
        `class="l">${esc(t.symbol)}</td>` +
        (`<td>${t.entryPrice.toFixed(2)} → ${t.exitPrice.toFixed(2)}</td><td ` +
          `class="l">${t.reason}</td><td>${num(t.points)}</td>` +
          `<td>${money(t.grossPnl)}</td><td>${money(-t.charges)}</td><td>${money(t.netPnl)}</td></tr>`),
    )
    .join('');
  return `${head}<tbody>${rows || `<tr><td class="l dim" colspan="9">no closed trades</td></tr>`}</tbody>`;
}

function renderTrades(v: DayView): void {
  const net = v.trades.reduce((a, t) => a + t.netPnl, 0);
  $('#trades-title').innerHTML =
    `Trades · ${v.day} · ${v.trades.length} · net ${money(Math.round(net * 100) / 100)}` +
    (v.position ? ' · 1 open' : '');
  $('#trades').innerHTML = tradeRows(v.trades, false);
}

function focusTrade(t: TradeJson): void {
  document.querySelectorAll('tr.sel').forEach((r) => r.classList.remove('sel'));
  document.querySelectorAll(`tr[data-id="${t.id}"]`).forEach((r) => r.classList.add('sel'));
  userMoved = true;
  centre([indexChart.chart, ceChart.chart, peChart.chart], isoToEpochS(t.entryTime), isoToEpochS(t.exitTime));
}

async function showDay(day: string, focusId?: number): Promise<void> {
  try {
    const v = await fetchDay(day);
    if (!v) throw new Error(`no data for ${day}`);
    userMoved = false;
    renderDay(v, { fit: true });
    ($('#day') as HTMLSelectElement).value = day;
    if (focusId !== undefined) {
      const t = v.trades.find((x) => x.id === focusId);
      if (t) focusTrade(t);
    }
    void showReconciliation(day);
    showError('');
  } catch (err) {
    showError(`Could not load ${day}: ${(err as Error).message}`);
  }
}

async function showReconciliation(day: string): Promise<void> {
  const el = $('#recon');
  if (STATIC) {
    el.textContent =
      STATIC.kind === 'backtest'
        ? 'These are the recorded official candles the backtest ran on; there is nothing to reconcile.'
        : 'Offline file: open the page on the box to check its tick-built candles against Upstox.';
    return;
  }
  el.textContent = 'checking the ledger candles against the official candles…';
  try {
    const r = await getJson<{ available: boolean; why?: string; compared?: number; maxDev?: number; where?: string }>(
      `/api/day/${day}/reconcile`,
    );
    if (current?.day !== day) return;
    el.innerHTML = !r.available
      ? `Not possible: ${esc(r.why ?? 'unknown')}.`
      : r.compared === 0
        ? 'No official candle to compare with yet.'
        : `${r.compared} candles compared with the official 5-minute candles; ` +
          `largest deviation <b>${(r.maxDev ?? 0).toFixed(2)} pt</b>` +
          (r.where && r.where !== '-' ? ` (${esc(r.where)})` : '') +
          ` ` +
          `(checked ${new Date(Date.now() + 19_800_000).toISOString().slice(11, 16)} ` +
          `IST).`;
  } catch (err) {
    el.textContent = `Not possible: ${(err as Error).message}`;
  }
}

function fillDays(list: string[], select?: string): void {
  days = list;
  const sel = $('#day') as HTMLSelectElement;
  const keep = select ?? sel.value;
  sel.innerHTML = [...list]
    .reverse()
    .map((d) => `<option value="${d}">${d}</option>`)
    .join('');
  if (keep && list.includes(keep)) sel.value = keep;
}

function step(delta: number): void {
  const i = days.indexOf(($('#day') as HTMLSelectElement).value);
  const d = days[i + delta];
  if (d) void showDay(d);
}

// ------------------------------------------------------------------ equity

function renderEquity(points: EquityPoint[]): void {
  if (!equity) {
    const chart = createChart($('#equity-chart'), {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#171b21' }, textColor: '#c3cad3', fontSize: 11 },
      grid: { vertLines: { color: '#20262e' }, horzLines: { color: '#20262e' } },
      timeScale: { borderColor: '#2a3039' },
    });
    const eq = chart.addSeries(LineSeries, { color: '#4fc3f7', lineWidth: 2, title: 'equity' });
    const dd = chart.addSeries(
      AreaSeries,
      {
        lineColor: '#ef5350',
        topColor: 'rgba(239,83,80,0.1)',
        bottomColor: 'rgba(239,83,80,0.5)',
        lineWidth: 1,
        title: 'drawdown',
        invertFilledArea: true,
      },
      1,
    );
    chart.panes()[0]?.setStretchFactor(3);
    chart.panes()[1]?.setStretchFactor(1);
    chart.subscribeClick((p) => {
      if (typeof p.time === 'string' && days.includes(p.time)) void showDay(p.time);
    });
    equity = { chart, eq, dd };
  }
  equity.eq.setData(points.map((p) => ({ time: p.day as Time, value: p.equity })));
  equity.dd.setData(points.map((p) => ({ time: p.day as Time, value: p.drawdown })));
  equity.chart.timeScale().fitContent();
}

// ------------------------------------------------------------------ live status

const VERDICT_LABEL: Record<string, string> = {
  agrees: 'agrees',
  'tick-fills': 'differs only as tick fills must',
  differs: 'differs',
};

function renderStatus(s: LiveState): void {
  liveState = s;
  const pill = $('#status-pill');
  const alarm = s.alarms[0];
  pill.className = `pill ${s.trading === 'halted' ? 'bad' : alarm ? 'warn' : 'ok'}`;
  pill.textContent = s.trading === 'halted' ? `HALTED` : alarm ? `ACTIVE · ${alarm.code}` : 'TRADING';
  $('#pnl-head').innerHTML = `net ${money(s.pnl.net)}`;
  const age =
    s.feed.lastTickAgeMs === null
      ? '—'
      : `${(s.feed.lastTickAgeMs / 1000).toFixed(s.feed.lastTickAgeMs < 10_000 ? 1 : 0)} s`;
  const clock = new Date(s.ts + 19_800_000).toISOString().slice(11, 19);
  const guards = Object.entries(s.guards);
  const p = s.position;
  const trading =
    s.trading === 'halted'
      ? `<b class="neg">halted</b> — ${esc(s.haltReason ?? 'no reason given')}`
      : '<b class="pos">active</b>';
  const guardList = guards.map(([k, m]) => `<b class="neg" title="${esc(m)}">${esc(k)}</b>`).join(' ');
  const position = p
    ? `${esc(p.symbol)} ×${p.quantity} · ${p.entryPrice.toFixed(2)} → ${p.ltp.toFixed(2)} · ` +
      `SL ${p.sl.toFixed(2)} · TP1 ${p.tp1.toFixed(2)}${p.tp1Hit ? ' ✓' : ''} · ${money(p.unrealizedPnl)}`
    : 'flat';
  $('#status').innerHTML = [
    `<div><span>mode</span>${esc(s.mode)} · ${esc(s.session.replace('_', ' '))}</div>`,
    `<div><span>trading</span>${trading}</div>`,
    `<div><span>feed</span>${s.feed.connected ? '● connected' : '○ disconnected'} · last tick ${age}</div>`,
    `<div><span>clock</span>${clock} IST · ` +
      `${s.clock.synced ? 'synced' : '<b class="neg">not synced</b>'}` +
      `${s.clock.skewMs !== null ? ` (${s.clock.skewMs} ms)` : ''}</div>`,
    `<div><span>guards</span>${guards.length ? guardList : 'none'}</div>`,
    `<div><span>spot</span>${s.spot?.toFixed(2) ?? '—'}</div>`,
    `<div><span>position</span>${position}</div>`,
    p?.greeks
      ? `<div id="greeks"><span>greeks</span>IV ${p.greeks.iv.toFixed(1)}% · Δ ${p.greeks.delta.toFixed(3)} ` +
        `· Γ ${p.greeks.gamma.toFixed(5)} · Θ ${p.greeks.theta.toFixed(2)}/` +
        `${p.greeks.source === 'upstox' ? 'day' : 'session'} ` +
        `· vega ${p.greeks.vega.toFixed(2)} <span ` +
        `class="dim">(${p.greeks.source === 'upstox' ? 'Upstox feed' : 'Black-76'})</span></div>`
      : '',
    `<div><span>P&amp;L</span>realized ${money(s.pnl.realized)} · unrealized ${money(s.pnl.unrealized)} ` +
      `· charges ${money(-s.pnl.charges)} · <b>net ${money(s.pnl.net)}</b> · ${s.pnl.trades} ` +
      `trades, ${s.pnl.wins} wins</div>`,
    s.verify
      ? `<div id="verify" ` +
        `data-verdict="${esc(s.verify.verdict)}"><span>verify</span><b ` +
        `class="${s.verify.verdict === 'differs' ? 'neg' : 'pos'}">` +
        `${esc(VERDICT_LABEL[s.verify.verdict] ?? s.verify.verdict)}</b> ` +
        `${esc(s.verify.day)} — ` +
        `${esc(s.verify.summary.replace(/^[^:]*: /, ''))}</div>`
      : '',
    s.loginUrl ? `<div><span>login</span><a href="${esc(s.loginUrl)}">${esc(s.loginUrl)}</a></div>` : '',
  ].join('');
  renderControls(s);
}

function renderControls(s: LiveState): void {
  const el = $('#controls');
  const want = `${s.trading}|${s.page.allowRemoteResume}`;
  if (el.dataset.state === want) return;
  el.dataset.state = want;
  el.innerHTML =
    s.trading === 'active'
      ? '<button id="halt" class="halt" title="stop new entries and exit the open ' +
        'position at the next price">HALT</button>'
      : s.page.allowRemoteResume
        ? '<button id="resume">Resume</button>'
        : '<span class="dim" id="resume-note" title="resume at the box: hold the ' +
          'button 3 s, or run niftybox resume">halted · resume at the box</span>';
  $('#halt')?.addEventListener('click', () => void post('/api/halt'));
  $('#resume')?.addEventListener('click', () => void post('/api/resume'));
}

async function post(path: string): Promise<void> {
  try {
    const r = await fetch(path, { method: 'POST', headers: { 'X-CSRF-Token': CSRF } });
    const body = (await r.json()) as LiveState & { error?: string };
    if (!r.ok) throw new Error(body.error ?? `HTTP ${r.status}`);
    renderStatus(body);
  } catch (err) {
    showError(`${path}: ${(err as Error).message}`);
  }
}

let refreshTimer: number | null = null;
/** Days the box wrote to since the last refresh (an exit at the close lands just before the day rolls over). */
const touchedDays = new Set<string>();
let refreshEquity = false;
function scheduleRefresh(withEquity: boolean): void {
  if (liveState?.day) touchedDays.add(liveState.day);
  refreshEquity ||= withEquity;
  if (refreshTimer !== null) return;
  refreshTimer = window.setTimeout(async () => {
    refreshTimer = null;
    const today = liveState?.day;
    const touched = new Set(touchedDays);
    touchedDays.clear();
    const withEquity = refreshEquity;
    refreshEquity = false;
    try {
      if (today && !days.includes(today)) fillDays([...days, today].sort());
      const shown = current?.day;
      if (shown && (shown === today || touched.has(shown))) {
        const v = await fetchDay(shown);
        if (v && current?.day === shown) renderDay(v, { fit: !userMoved });
        loadedOnce.add(shown);
        if (withEquity) void showReconciliation(shown);
      }
      if (withEquity) renderEquity((await getJson<{ equity: EquityPoint[] }>('/api/equity')).equity);
    } catch (err) {
      showError(`live update failed: ${(err as Error).message}`);
    }
  }, 250);
}

function connectEvents(): void {
  const es = new EventSource('/api/events');
  let opened = false;
  // Every reconnect (the box restarted, the Wi-Fi dropped, the laptop slept): re-read what may have been missed.
  es.onopen = () => {
    if (opened) void resync();
    opened = true;
  };
  es.addEventListener('state', (e) => {
    const s = JSON.parse((e as MessageEvent).data) as LiveState;
    const before = liveState?.day;
    const dayChanged = liveState !== null && before !== s.day;
    // A page following the live day moves to the new one at the rollover; one showing another day stays.
    const following = dayChanged && current?.day === before;
    renderStatus(s);
    if (following && s.day) {
      if (!days.includes(s.day)) fillDays([...days, s.day].sort(), s.day);
      userMoved = false;
      void showDay(s.day);
    }
    if (dayChanged) scheduleRefresh(true);
    drawForming(s);
    showError('');
  });
  es.addEventListener('ledger', (e) => {
    const { events } = JSON.parse((e as MessageEvent).data) as { events: string[] };
    if (events.some((x) => ['candle', 'entry', 'exit', 'position', 'halt'].includes(x)))
      scheduleRefresh(events.includes('exit'));
  });
  es.onerror = () => showError('lost the connection to the box; retrying…');
}

/**
 * After a reconnect: the state, the list of days, the day on show (the new live day if it was following), the equity.
 */
async function resync(): Promise<void> {
  try {
    const before = liveState?.day;
    const [state, list] = await Promise.all([
      getJson<LiveState>('/api/state'),
      getJson<{ days: string[]; today: string }>('/api/days'),
    ]);
    const following = !current || current.day === before || current.day === state.day;
    renderStatus(state);
    fillDays(
      list.days.includes(list.today) ? list.days : [...list.days, list.today].sort(),
      following ? list.today : current?.day,
    );
    await showDay(following ? list.today : current!.day);
    renderEquity((await getJson<{ equity: EquityPoint[] }>('/api/equity')).equity);
    testHook.resyncs++;
    showError('');
  } catch (err) {
    showError(`could not resynchronise: ${(err as Error).message}`);
  }
}

// ------------------------------------------------------------------ offline report

function bucketTable(
  title: string,
  m: Record<
    string,
    { trades: number; wins: number; winRate: number; grossPnl: number; charges: number; netPnl: number }
  >,
): string {
  const rows = Object.entries(m)
    .map(
      ([k, b]) =>
        `<tr><td ` +
        `class="l">${esc(k)}</td><td>${b.trades}</td><td>${(b.winRate * 100).toFixed(1)}%</td>` +
        `<td>${money(b.netPnl)}</td><td>${money(b.grossPnl)}</td><td>${money(-b.charges)}</td></tr>`,
    )
    .join('');
  // net first: on a phone the columns after it scroll
  return (
    `<div class="scroll"><h2>${title}</h2><table><thead><tr><th ` +
    `class="l"></th><th>trades</th><th>win</th><th>net</th><th>gross</th><th>charges</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div>`
  );
}

function sensitivitySvg(points: ReportView['sensitivity']): string {
  if (!points.length) return '';
  const w = 360,
    h = 190,
    pad = 28;
  const max = Math.max(1, ...points.map((p) => Math.abs(p.netPnl)));
  const bw = (w - pad * 2) / points.length;
  const zero = h / 2;
  const bars = points
    .map((p, i) => {
      const bh = (Math.abs(p.netPnl) / max) * (h / 2 - 34);
      const x = pad + i * bw + bw * 0.15;
      const y = p.netPnl >= 0 ? zero - bh : zero;
      return (
        `<rect x="${x}" y="${y}" width="${bw * 0.7}" height="${Math.max(1, bh)}" ` +
        `fill="${p.netPnl >= 0 ? '#26a69a' : '#ef5350'}"/>` +
        (`<text x="${x + bw * 0.35}" y="${p.netPnl >= 0 ? y - 4 : y + bh + 12}" ` +
          `fill="#d7dde5" font-size="11" ` +
          `text-anchor="middle">${p.netPnl < 0 ? '−' : ''}₹` +
          `${Math.abs(Math.round(p.netPnl)).toLocaleString('en-IN')}</text>`) +
        (`<text x="${x + bw * 0.35}" y="${h - 2}" fill="#8a95a3" font-size="11" ` +
          `text-anchor="middle">${p.slippage} pt</text>`)
      );
    })
    .join('');
  return (
    `<svg id="sensitivity" viewBox="0 0 ${w} ${h}" width="100%" ` +
    `style="max-width:${w}px" role="img" aria-label="net P&amp;L by ` +
    `slippage"><line x1="${pad}" x2="${w - pad}" y1="${zero}" y2="${zero}" ` +
    `stroke="#2a3039"/>${bars}</svg>`
  );
}

function renderReport(d: StaticData): void {
  const r = d.report;
  const s = r.summary;
  const sec = $('#report-sec');
  sec.style.display = 'block';
  sec.innerHTML =
    `<h2>${esc(r.title)}</h2><div class="kv">` +
    [
      ['trades', `${s.trades} (${s.wins} won, ${(s.winRate * 100).toFixed(1)}%)`],
      ['gross', money(s.grossPnl)],
      ['charges', money(-s.charges)],
      ['net', `<b>${money(s.netPnl)}</b>`],
      ['profit factor', s.profitFactor === null ? '—' : s.profitFactor.toFixed(2)],
      ['max drawdown', money(-s.maxDrawdown)],
      ['avg / trade', money(s.avgPnlPerTrade)],
      ['days', `${s.firstDay ?? '—'} … ${s.lastDay ?? '—'}`],
    ]
      .map(([k, v]) => `<div><span>${k}</span>${v}</div>`)
      .join('') +
    `</div>${r.notes.map((n) => `<p class="dim">${esc(n)}</p>`).join('')}` +
    (`<div ` +
      `class="grid2">${bucketTable('By side', s.bySide)}${bucketTable('By exit reason', s.byReason)}` +
      `${bucketTable('By month', s.byMonth)}${bucketTable('By ISO week', s.byWeek)}</div>`) +
    (r.sensitivity.length ? `<h2>Net P&amp;L by slippage per leg</h2>${sensitivitySvg(r.sensitivity)}` : '');
  $('#status-sec').style.display = 'none';
  $('#status-pill').textContent = d.kind === 'backtest' ? 'BACKTEST' : 'LEDGER';
  $('#pnl-head').innerHTML = `net ${money(s.netPnl)} · ${s.trades} trades`;
  const all = $('#all-trades-sec');
  all.style.display = 'block';
  $('#all-trades').innerHTML = tradeRows(r.trades, true);
}

// ------------------------------------------------------------------ boot

async function boot(): Promise<void> {
  layout();
  indexChart = new IndexChart($('#index-chart'));
  ceChart = new OptionChart($('#ce-chart'));
  peChart = new OptionChart($('#pe-chart'));
  // A rotated phone or a resized window keeps the whole day in view (unless the reader moved the charts).
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (!userMoved) for (const c of [indexChart.chart, ceChart.chart, peChart.chart]) c.timeScale().fitContent();
      equity?.chart.timeScale().fitContent();
    }, 150);
  });
  for (const id of ['#index-chart', '#ce-chart', '#pe-chart'])
    for (const ev of ['wheel', 'pointerdown', 'touchstart'])
      $(id).addEventListener(ev, () => (userMoved = true), { passive: true });
  $('#day').addEventListener('change', (e) => void showDay((e.target as HTMLSelectElement).value));
  $('#prev').addEventListener('click', () => step(-1));
  $('#next').addEventListener('click', () => step(1));
  document.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest('tr[data-id]') as HTMLElement | null;
    if (!row) return;
    const id = Number(row.dataset.id);
    const day = row.dataset.day!;
    if (current?.day === day) {
      const t = current.trades.find((x) => x.id === id);
      if (t) focusTrade(t);
    } else void showDay(day, id);
  });

  if (STATIC) {
    renderReport(STATIC);
    fillDays(Object.keys(STATIC.days).sort());
    renderEquity(STATIC.report.equity);
    const first = STATIC.report.trades[0]?.day ?? days[0];
    if (first) await showDay(first);
    return;
  }
  const [state, list] = await Promise.all([
    getJson<LiveState>('/api/state'),
    getJson<{ days: string[]; today: string }>('/api/days'),
  ]);
  renderStatus(state);
  const today = list.today;
  fillDays(list.days.includes(today) ? list.days : [...list.days, today].sort(), today);
  await showDay(today);
  loadedOnce.add(today);
  renderEquity((await getJson<{ equity: EquityPoint[] }>('/api/equity')).equity);
  connectEvents();
}

boot().catch((err) => showError(`The page could not start: ${(err as Error).message}`));
