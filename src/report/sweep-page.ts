/**
 * `sweep --html F`: one offline page of plain SVG (no script, no network): the objective as a heatmap
 * over two grid axes, in-sample vs out-of-sample per walk-forward fold, the out-of-sample equity beside
 * the defaults', the top variants, and the overfitting statistics in words.
 */
import type { Metrics, Objective } from '../core/metrics.js';
import { gridSize, type FlatParams, type GridAxis } from '../core/sweep.js';
import { rupees } from './sweep-format.js';

export interface SweepPageData {
  title: string;
  objective: Objective;
  axes: GridAxis[];
  xAxis: string;
  yAxis: string | undefined;
  variantParams: (k: number) => FlatParams;
  objectiveValues: Float64Array;
  defaultIndex: number;
  top: { index: number; params: FlatParams; metrics: Metrics }[];
  folds: {
    train: { from: string; to: string };
    test: { from: string; to: string };
    chosen: FlatParams;
    inSample: Metrics;
    outOfSample: Metrics;
  }[];
  outOfSampleDaily: Float64Array;
  defaultsOutOfSampleDaily: Float64Array;
  testDays: string[];
  words: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
const value = (o: Objective, x: number) => (x === Infinity ? '∞' : o === 'net' ? rupees(x) : fmt(x));

/** Red below zero, green above, white at zero; scaled by the largest magnitude. */
function colour(x: number, scale: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '#1a7f37' : '#eee';
  const t = scale > 0 ? Math.max(-1, Math.min(1, x / scale)) : 0;
  const mix = (a: number, b: number) => Math.round(a + (b - a) * Math.abs(t));
  return t >= 0
    ? `rgb(${mix(255, 26)},${mix(255, 127)},${mix(255, 55)})`
    : `rgb(${mix(255, 207)},${mix(255, 34)},${mix(255, 46)})`;
}

function heatmap(d: SweepPageData): string {
  const xa = d.axes.find((a) => a.name === d.xAxis)!;
  const ya = d.yAxis ? d.axes.find((a) => a.name === d.yAxis)! : { name: '', values: [''] };
  // Each cell: the best objective over the variants with that x and y (the other axes free).
  const cells = new Map<string, number>();
  let defaultCell = '';
  for (let k = 0; k < d.objectiveValues.length; k++) {
    const p = d.variantParams(k);
    const key = `${p[xa.name]}|${d.yAxis ? p[ya.name] : ''}`;
    if (k === d.defaultIndex) defaultCell = key;
    if (!(cells.get(key)! >= d.objectiveValues[k]!)) cells.set(key, d.objectiveValues[k]!);
  }
  const scale = Math.max(0, ...[...cells.values()].filter(Number.isFinite).map(Math.abs));
  const cw = Math.max(28, Math.min(70, 900 / xa.values.length));
  const ch = Math.max(18, Math.min(40, 500 / ya.values.length));
  const left = 90,
    topPad = 20;
  const w = left + cw * xa.values.length + 10;
  const h = topPad + ch * ya.values.length + 50;
  const parts: string[] = [];
  ya.values.forEach((yv, j) => {
    const y = topPad + (ya.values.length - 1 - j) * ch;
    parts.push(`<text x="${left - 6}" y="${y + ch / 2 + 4}" text-anchor="end">${esc(String(yv))}</text>`);
    xa.values.forEach((xv, i) => {
      const key = `${xv}|${d.yAxis ? yv : ''}`;
      const v = cells.get(key);
      const x = left + i * cw;
      const fill = v === undefined ? '#f4f4f4' : colour(v, scale);
      const stroke = key === defaultCell ? ' stroke="#000" stroke-width="2"' : '';
      const where = `${xa.name}=${xv}${d.yAxis ? ` ${ya.name}=${yv}` : ''}`;
      const title = `${where}: ${v === undefined ? 'not run' : value(d.objective, v)}`;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cw - 1}" height="${ch - 1}" ` +
          `fill="${fill}"${stroke}><title>${esc(title)}</title></rect>`,
      );
      if (v !== undefined && cw >= 40 && ch >= 16)
        parts.push(
          `<text x="${x + cw / 2}" y="${y + ch / 2 + 4}" text-anchor="middle" ` +
            `font-size="10">${esc(value(d.objective, v).replace('₹', ''))}</text>`,
        );
    });
  });
  xa.values.forEach((xv, i) =>
    parts.push(
      `<text x="${left + i * cw + cw / 2}" ` +
        `y="${topPad + ch * ya.values.length + 14}" ` +
        `text-anchor="middle">${esc(String(xv))}</text>`,
    ),
  );
  parts.push(
    `<text x="${left + (cw * xa.values.length) / 2}" y="${h - 8}" ` +
      `text-anchor="middle" font-weight="bold">${esc(xa.name)}</text>`,
  );
  if (d.yAxis)
    parts.push(
      `<text x="12" y="${topPad + (ch * ya.values.length) / 2}" ` +
        `transform="rotate(-90 12 ${topPad + (ch * ya.values.length) / 2})" ` +
        `text-anchor="middle" font-weight="bold">${esc(ya.name)}</text>`,
    );
  const others = d.axes.filter((a) => a.name !== xa.name && a.name !== ya.name);
  const note = others.length
    ? `each cell: the best over ${others.map((a) => a.name).join(', ')}`
    : 'each cell: one variant';
  return (
    `<h2>${esc(d.objective)} over ` +
    `${esc(xa.name)}${d.yAxis ? ` × ${esc(ya.name)}` : ''}</h2><p ` +
    `class="note">${esc(note)}; the framed cell holds the defaults; ${d.objectiveValues.length} ` +
    `of ${gridSize(d.axes)} grid points ` +
    `run${d.objectiveValues.length > gridSize(d.axes) ? ' (plus the defaults)' : ''}</p><svg ` +
    `id="heatmap" width="${w}" height="${h}" ` +
    `font-size="11">${parts.join('')}</svg>`
  );
}

function foldBars(d: SweepPageData): string {
  if (d.folds.length === 0)
    return '<h2>Walk-forward</h2><p class="note">no walk-forward (run with --walk-forward TRAIN:TEST)</p>';
  // Net per trading day, so that a long train window and a short test window compare.
  const perDay = (m: Metrics) => (m.tradingDays ? m.netPnl / m.tradingDays : 0);
  const vals = d.folds.flatMap((f) => [perDay(f.inSample), perDay(f.outOfSample)]);
  const scale = Math.max(1, ...vals.map(Math.abs));
  const bw = Math.max(8, Math.min(24, 700 / (d.folds.length * 3)));
  const h = 240,
    mid = 110,
    left = 60;
  const w = left + d.folds.length * bw * 3 + 20;
  const parts = [
    `<line x1="${left}" x2="${w}" y1="${mid}" y2="${mid}" stroke="#888"/>`,
    `<text x="${left - 4}" y="${mid - 96}" text-anchor="end">${esc(rupees(scale))}</text>`,
    `<text x="${left - 4}" y="${mid + 100}" text-anchor="end">${esc(rupees(-scale))}</text>`,
  ];
  d.folds.forEach((f, k) => {
    [perDay(f.inSample), perDay(f.outOfSample)].forEach((v, j) => {
      const bh = (Math.abs(v) / scale) * 96;
      const x = left + k * bw * 3 + j * bw;
      const sample = j ? `out of sample ${f.test.from} … ${f.test.to}` : `in sample ${f.train.from} … ${f.train.to}`;
      const title = `fold ${k + 1} ${sample}: ${rupees(v)} a day`;
      parts.push(
        `<rect x="${x}" y="${v >= 0 ? mid - bh : mid}" width="${bw - 1}" ` +
          `height="${Math.max(0.5, bh)}" ` +
          `fill="${j ? '#d4731a' : '#5b8fd6'}"><title>${esc(title)}</title></rect>`,
      );
    });
    parts.push(`<text x="${left + k * bw * 3 + bw}" y="${h - 16}" text-anchor="middle" font-size="9">${k + 1}</text>`);
  });
  const rows = d.folds
    .map(
      (f, k) =>
        `<tr><td>${k + 1}</td><td>${f.train.from} … ${f.train.to}</td><td>${f.test.from} ` +
        `… ` +
        `${f.test.to}</td><td>${esc(d.axes.map((a) => `${a.name}=${f.chosen[a.name]}`).join(' '))}</td><td ` +
        `class="n">${rupees(f.inSample.netPnl)}</td><td ` +
        `class="n">${rupees(f.outOfSample.netPnl)}</td></tr>`,
    )
    .join('');
  return (
    `<h2>Walk-forward: in sample vs out of sample, net a day</h2><p ` +
    `class="note"><span style="color:#5b8fd6">■</span> in sample (the train ` +
    `weeks the choice was made on) <span style="color:#d4731a">■</span> out ` +
    `of sample (the following test weeks)</p><svg id="folds" width="${w}" ` +
    `height="${h}" font-size="11">${parts.join('')}<text x="${left}" ` +
    `y="${h - 2}">fold</text></svg><table><tr><th>fold</th><th>train</th><th>test</th><th>chosen ` +
    `(grid axes)</th><th>in-sample net</th><th>out-of-sample ` +
    `net</th></tr>${rows}</table>`
  );
}

function equity(d: SweepPageData): string {
  if (d.testDays.length === 0) return '';
  const cum = (r: Float64Array) => {
    let s = 0;
    return Array.from(r, (x) => (s += x));
  };
  const a = cum(d.outOfSampleDaily);
  const b = cum(d.defaultsOutOfSampleDaily);
  const lo = Math.min(0, ...a, ...b);
  const hi = Math.max(0, ...a, ...b);
  const w = 900,
    h = 260,
    left = 80,
    pad = 16;
  const x = (i: number) => left + (i / Math.max(1, a.length - 1)) * (w - left - pad);
  const y = (v: number) => pad + ((hi - v) / (hi - lo || 1)) * (h - 2 * pad - 20);
  const line = (s: number[], c: string, id: string) =>
    `<polyline id="${id}" fill="none" stroke="${c}" stroke-width="2" ` +
    `points="${s.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
  const ticks = [0, Math.floor(a.length / 2), a.length - 1]
    .map(
      (i, k) => `<text x="${x(i)}" y="${h - 4}" text-anchor="${['start', 'middle', 'end'][k]}">${d.testDays[i]}</text>`,
    )
    .join('');
  return (
    `<h2>Out-of-sample equity (all test windows, end to end)</h2><p ` +
    `class="note"><span style="color:#d4731a">━</span> walk-forward choice ${esc(rupees(a.at(-1)!))} ` +
    `<span style="color:#555">━</span> defaults ` +
    `${esc(rupees(b.at(-1) ?? 0))}</p><svg id="equity" width="${w}" ` +
    `height="${h}" font-size="11"><line x1="${left}" x2="${w - pad}" ` +
    `y1="${y(0)}" y2="${y(0)}" stroke="#bbb"/><text x="${left - 4}" ` +
    `y="${y(hi) + 4}" text-anchor="end">${esc(rupees(hi))}</text><text ` +
    `x="${left - 4}" y="${y(lo) + 4}" ` +
    `text-anchor="end">${esc(rupees(lo))}</text>` +
    `${line(b, '#555', 'defaults-line')}${line(a, '#d4731a', 'oos-line')}${ticks}</svg>`
  );
}

function topTable(d: SweepPageData): string {
  const names = d.axes.map((a) => a.name);
  const rows = d.top
    .map(
      (t, r) =>
        `<tr${t.index === d.defaultIndex ? ' class="default"' : ''}><td>${r + 1}</td>` +
        `<td>${t.index}${t.index === d.defaultIndex ? ' (defaults)' : ''}</td>` +
        `${names.map((n) => `<td>${esc(String(t.params[n]))}</td>`).join('')}<td ` +
        `class="n">${t.metrics.trades}</td><td ` +
        `class="n">${rupees(t.metrics.netPnl)}</td><td ` +
        `class="n">${(t.metrics.winRate * 100).toFixed(1)}%</td><td ` +
        `class="n">${t.metrics.profitFactor === null ? '∞' : t.metrics.profitFactor.toFixed(2)}</td><td ` +
        `class="n">${rupees(t.metrics.maxDrawdown)}</td><td ` +
        `class="n">${t.metrics.sharpe.toFixed(2)}</td><td ` +
        `class="n">${t.metrics.sortino.toFixed(2)}</td></tr>`,
    )
    .join('');
  return (
    `<h2>Top ${d.top.length} by ${esc(d.objective)} (whole range, in ` +
    `sample)</h2><table ` +
    `id="top"><tr><th>#</th><th>variant</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}` +
    `<th>trades</th><th>net</th><th>win ` +
    `rate</th><th>PF</th><th>max ` +
    `DD</th><th>Sharpe</th><th>Sortino</th></tr>${rows}</table>`
  );
}

export function sweepPage(d: SweepPageData): string {
  const words = d.words.map((w) => `<li>${esc(w[0]!.toUpperCase() + w.slice(1))}</li>`).join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title><style>
body{font:14px system-ui,sans-serif;margin:20px;color:#222;max-width:1100px}h1{font-size:20px}` +
    `h2{font-size:16px;margin-top:28px}
.note{color:#666;font-size:12px}table{border-collapse:collapse;font-size:12px}` +
    `td,th{border:1px solid #ddd;padding:3px 6px}td.n{text-align:right}
tr.default{background:#fff5d6}#words li{margin:4px 0}
</style></head><body><h1>${esc(d.title)}</h1><ul id="words">${words}</ul><p class="note">` +
    'The in-sample best is what the grid found by looking at all the data; ' +
    'the out-of-sample walk-forward result is what choosing this way would have made on weeks it had not seen ' +
    `— the number to believe.</p>
${heatmap(d)}${foldBars(d)}${equity(d)}${topTable(d)}</body></html>
`
  );
}
