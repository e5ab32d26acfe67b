/**
 * The day's charts with lightweight-charts v5: NIFTY (candles and the strategy's readings: EMA, MACD histogram, CHOP
 * for V25) and the CE / PE contracts.
 */
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
    layout: {
      background: { type: ColorType.Solid, color: '#171b21' },
      textColor: '#c3cad3',
      fontSize: 11,
      panes: { separatorColor: '#2a3039' },
    },
    grid: { vertLines: { color: '#20262e' }, horzLines: { color: '#20262e' } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a3039' },
    rightPriceScale: { borderColor: '#2a3039' },
    crosshair: { mode: 0 },
  });
}

const candles = (rows: CandleRow[]): CandlestickData<Time>[] =>
  rows.map(([t, open, high, low, close]) => ({ time: ist(t), open, high, low, close }));
const line = (rows: CandleRow[], values: (number | null)[]): LineData<Time>[] =>
  rows.flatMap(([t], i) =>
    values[i] === null || values[i] === undefined ? [] : [{ time: ist(t), value: values[i]! }],
  );

const PLOT_COLOURS = ['#f0b429', '#8ab4f8', '#c792ea', '#4fc3f7'];

/**
 * NIFTY candles and the chosen strategy's readings: price-pane lines on the candles, each other plot in a pane of its
 * own.
 */
export class IndexChart {
  readonly chart: IChartApi;
  private readonly price: ISeriesApi<'Candlestick'>;
  private plots: {
    reading: string;
    kind: 'line' | 'histogram';
    series: ISeriesApi<'Line'> | ISeriesApi<'Histogram'>;
    level: IPriceLine | null;
  }[] = [];
  /** The plot set the series were made for (strategy name and readings). */
  private shape = '';

  constructor(el: HTMLElement) {
    this.chart = baseChart(el);
    this.price = this.chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
      borderVisible: false,
    });
  }

  private build(v: DayView): void {
    const shape = `${v.strategy.name}:${v.strategy.plots.map((p) => `${p.reading}/${p.pane}`).join(',')}`;
    if (shape === this.shape) return;
    for (const p of this.plots) this.chart.removeSeries(p.series);
    this.plots = [];
    let pane = 0;
    v.strategy.plots.forEach((p, i) => {
      const at = p.pane === 'price' ? 0 : ++pane;
      const title = p.reading === 'hist' ? 'MACD hist' : p.reading.toUpperCase();
      const series =
        p.kind === 'histogram'
          ? this.chart.addSeries(HistogramSeries, { priceLineVisible: false, title }, at)
          : this.chart.addSeries(
              LineSeries,
              {
                color: PLOT_COLOURS[i % PLOT_COLOURS.length],
                lineWidth: p.pane === 'price' ? 2 : 1,
                priceLineVisible: false,
                lastValueVisible: p.pane !== 'price',
                title,
              },
              at,
            );
      this.plots.push({ reading: p.reading, kind: p.kind, series, level: null });
    });
    const panes = this.chart.panes();
    panes[0]?.setStretchFactor(3);
    for (let k = 1; k < panes.length; k++) panes[k]?.setStretchFactor(1);
    this.shape = shape;
  }

  /**
   * The candle still forming (from the live state's last index price), drawn after the closed ones until the next
   * set().
   */
  forming(bar: CandlestickData<Time>): void {
    this.price.update(bar);
  }

  set(v: DayView): void {
    this.build(v);
    const rows = v.index.candles;
    this.price.setData(candles(rows));
    v.strategy.plots.forEach((p, i) => {
      const plot = this.plots[i]!;
      const values = v.index.series[p.reading] ?? [];
      if (plot.kind === 'histogram')
        (plot.series as ISeriesApi<'Histogram'>).setData(
          rows.flatMap(([t], k) =>
            values[k] == null ? [] : [{ time: ist(t), value: values[k]!, color: values[k]! >= 0 ? UP : DOWN }],
          ),
        );
      else (plot.series as ISeriesApi<'Line'>).setData(line(rows, values));
      if (plot.level) plot.series.removePriceLine(plot.level);
      plot.level = p.level
        ? plot.series.createPriceLine({
            price: p.level.value,
            color: DOWN,
            lineStyle: LineStyle.Dashed,
            lineWidth: 1,
            axisLabelVisible: true,
            title: `${p.level.name} ${p.level.value}`,
          })
        : null;
    });
  }
}

export class OptionChart {
  readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Candlestick'>;
  readonly markers: ISeriesMarkersPluginApi<Time>;
  private lines: IPriceLine[] = [];

  constructor(el: HTMLElement) {
    this.chart = baseChart(el);
    this.series = this.chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
      borderVisible: false,
    });
    this.markers = createSeriesMarkers(this.series, []);
  }

  forming(bar: CandlestickData<Time>): void {
    this.series.update(bar);
  }

  set(pane: OptionPane | null, trades: TradeJson[], position: PositionLevels | null): void {
    this.series.setData(pane ? candles(pane.candles) : []);
    const marks: SeriesMarker<Time>[] = [];
    for (const t of trades) {
      marks.push({
        time: bucketIst(isoToEpochS(t.entryTime)),
        position: 'atPriceBottom',
        price: t.entryPrice,
        shape: 'arrowUp',
        color: '#4fc3f7',
        text: `BUY ${t.entryPrice.toFixed(2)}`,
        id: `T${t.id}:entry`,
      });
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
    if (position?.entryTime)
      marks.push({
        time: bucketIst(position.entryTime),
        position: 'atPriceBottom',
        price: position.entryPrice,
        shape: 'arrowUp',
        color: '#4fc3f7',
        text: `BUY ${position.entryPrice.toFixed(2)} (open)`,
        id: 'open:entry',
      });
    marks.sort((a, b) => (a.time as number) - (b.time as number));
    this.markers.setMarkers(marks);
    for (const l of this.lines) this.series.removePriceLine(l);
    this.lines = [];
    if (position) {
      const add = (price: number, color: string, title: string, style = LineStyle.Dashed) =>
        this.lines.push(
          this.series.createPriceLine({ price, color, title, lineStyle: style, lineWidth: 1, axisLabelVisible: true }),
        );
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
