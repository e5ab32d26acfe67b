/** The day's charts with lightweight-charts v5: NIFTY (candles, EMA, MACD histogram, CHOP) and the CE / PE contracts. */
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  LineSeries,
  LineStyle,
  type CandlestickData,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type LineData,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { CandleRow, DayView, OptionPane, PositionLevels, TradeJson } from '../day-view.js';

/** Charts show IST wall-clock times: lightweight-charts draws UTC, so times are shifted by +05:30. */
export const IST_S = 19_800;
const BUCKET_S = 300;
export const ist = (epochS: number) => (epochS + IST_S) as UTCTimestamp;
export const bucketIst = (epochS: number) => ist(Math.floor(epochS / BUCKET_S) * BUCKET_S);
export const isoToEpochS = (iso: string) => Math.round(Date.parse(iso) / 1000);

const UP = '#26a69a';
const DOWN = '#ef5350';

function baseChart(el: HTMLElement): IChartApi {
  return createChart(el, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: '#171b21' }, textColor: '#c3cad3', fontSize: 11, panes: { separatorColor: '#2a3039' } },
    grid: { vertLines: { color: '#20262e' }, horzLines: { color: '#20262e' } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a3039' },
    rightPriceScale: { borderColor: '#2a3039' },
    crosshair: { mode: 0 },
  });
}

const candles = (rows: CandleRow[]): CandlestickData<Time>[] => rows.map(([t, open, high, low, close]) => ({ time: ist(t), open, high, low, close }));
const line = (rows: CandleRow[], values: (number | null)[]): LineData<Time>[] =>
  rows.flatMap(([t], i) => (values[i] === null || values[i] === undefined ? [] : [{ time: ist(t), value: values[i]! }]));

export class IndexChart {
  readonly chart: IChartApi;
  private readonly price: ISeriesApi<'Candlestick'>;
  private readonly ema: ISeriesApi<'Line'>;
  private readonly hist: ISeriesApi<'Histogram'>;
  private readonly chop: ISeriesApi<'Line'>;
  private chopLine: IPriceLine | null = null;

  constructor(el: HTMLElement) {
    this.chart = baseChart(el);
    this.price = this.chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false });
    this.ema = this.chart.addSeries(LineSeries, { color: '#f0b429', lineWidth: 2, priceLineVisible: false, lastValueVisible: false, title: 'EMA' });
    this.hist = this.chart.addSeries(HistogramSeries, { priceLineVisible: false, title: 'MACD hist' }, 1);
    this.chop = this.chart.addSeries(LineSeries, { color: '#8ab4f8', lineWidth: 1, priceLineVisible: false, title: 'CHOP' }, 2);
    const panes = this.chart.panes();
    panes[0]?.setStretchFactor(3);
    panes[1]?.setStretchFactor(1);
    panes[2]?.setStretchFactor(1);
  }

  /** The candle still forming (from the live state's last index price), drawn after the closed ones until the next set(). */
  forming(bar: CandlestickData<Time>): void {
    this.price.update(bar);
  }

  set(v: DayView): void {
    const rows = v.index.candles;
    this.price.setData(candles(rows));
    this.ema.setData(line(rows, v.index.ema));
    this.hist.setData(rows.flatMap(([t], i) => (v.index.hist[i] == null ? [] : [{ time: ist(t), value: v.index.hist[i]!, color: v.index.hist[i]! >= 0 ? UP : DOWN }])));
    this.chop.setData(line(rows, v.index.chop));
    if (this.chopLine) this.chop.removePriceLine(this.chopLine);
    this.chopLine = this.chop.createPriceLine({ price: v.chopMax, color: DOWN, lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: `chopMax ${v.chopMax}` });
  }
}

export class OptionChart {
  readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Candlestick'>;
  readonly markers: ISeriesMarkersPluginApi<Time>;
  private lines: IPriceLine[] = [];

  constructor(el: HTMLElement) {
    this.chart = baseChart(el);
    this.series = this.chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false });
    this.markers = createSeriesMarkers(this.series, []);
  }

  forming(bar: CandlestickData<Time>): void {
    this.series.update(bar);
  }

  set(pane: OptionPane | null, trades: TradeJson[], position: PositionLevels | null): void {
    this.series.setData(pane ? candles(pane.candles) : []);
    const marks: SeriesMarker<Time>[] = [];
    for (const t of trades) {
      marks.push({ time: bucketIst(isoToEpochS(t.entryTime)), position: 'atPriceBottom', price: t.entryPrice, shape: 'arrowUp', color: '#4fc3f7', text: `BUY ${t.entryPrice.toFixed(2)}`, id: `T${t.id}:entry` });
      marks.push({
        time: bucketIst(isoToEpochS(t.exitTime)),
        position: 'atPriceTop',
        price: t.exitPrice,
        shape: 'arrowDown',
        color: t.netPnl > 0 ? UP : DOWN,
        text: `${t.reason} ${t.exitPrice.toFixed(2)}`,
        id: `T${t.id}:exit`,
      });
    }
    if (position?.entryTime) marks.push({ time: bucketIst(position.entryTime), position: 'atPriceBottom', price: position.entryPrice, shape: 'arrowUp', color: '#4fc3f7', text: `BUY ${position.entryPrice.toFixed(2)} (open)`, id: 'open:entry' });
    marks.sort((a, b) => (a.time as number) - (b.time as number));
    this.markers.setMarkers(marks);
    for (const l of this.lines) this.series.removePriceLine(l);
    this.lines = [];
    if (position) {
      const add = (price: number, color: string, title: string, style = LineStyle.Dashed) => this.lines.push(this.series.createPriceLine({ price, color, title, lineStyle: style, lineWidth: 1, axisLabelVisible: true }));
      add(position.entryPrice, '#4fc3f7', 'entry', LineStyle.Dotted);
      add(position.sl, DOWN, position.tp1Hit ? 'SL (locked)' : 'SL');
      add(position.tp1, UP, position.tp1Hit ? 'TP1 ✓' : 'TP1');
      if (!position.tp1Hit) add(position.lock, '#f0b429', 'lock');
    }
  }
}

/** Shows [fromS, toS] (epoch seconds) on each chart, with a little context either side. */
export function centre(charts: IChartApi[], fromS: number, toS: number): void {
  const pad = 45 * 60;
  for (const c of charts) {
    try {
      c.timeScale().setVisibleRange({ from: ist(fromS - pad), to: ist(toS + pad) });
    } catch {
      /* a chart without data has no range to set */
    }
  }
}
