/**
 * What the OLED shows, as pure functions of ApplianceState + the time: a list of pages that the
 * display cycles through (`page` counts pageSeconds periods). Alarms take over; a halt is
 * explicit about how to resume; the day's net P&L is always the biggest thing on a trading page.
 */
import { type OledShow, alertSpec } from '../../core/alerts.js';
import type { MarketCalendar } from '../../core/calendar.js';
import type { ApplianceState } from '../../core/state.js';
import { istDate, istMinuteOfDay } from '../../core/time.js';
import {
  fitPrices,
  formatAge,
  formatDate,
  formatRupees,
  formatRupeesPlain,
  formatSpot,
  hhmm,
  istClock,
} from './format.js';
import type { Framebuffer } from './framebuffer.js';
import { BIG_HEIGHT } from './font-big.js';
import {
  SMALL_CHARS_PER_LINE,
  bigTextWidth,
  drawBigText,
  drawSmallCentered,
  drawSmallRight,
  drawSmallText,
  smallTextWidth,
  wrapText,
} from './text.js';

export interface DeviceAlarm {
  code: string;
  message: string;
}

export interface ScreenInput {
  state: ApplianceState | null;
  now: number;
  /** Increments every pageSeconds; selects the page when a screen has several. */
  page: number;
  resumeHoldMs: number;
  /** Problems only the device knows (kill switch unavailable …), shown as an extra page. */
  deviceAlarms: readonly DeviceAlarm[];
  calendar?: MarketCalendar;
}

export interface Screen {
  /** Stable name (tests, logs, golden files). */
  id: string;
  draw(fb: Framebuffer, input: ScreenInput): void;
}

/**
 * How an alarm shows (the table in core/alerts.ts): take-over (it stops trading from working as it should:
 * it replaces the normal pages), a page of its own in the cycle, or not at all (informational, or about
 * the screen itself). A code the table does not know gets a page.
 */
function oledShow(code: string): OledShow {
  return alertSpec(code)?.oled ?? 'page';
}

const STATUS_Y = 57;
const STATUS_RULE_Y = 54;

/** The pages for this state, in cycling order. */
export function screenPages(input: ScreenInput): Screen[] {
  const s = input.state;
  if (!s || s.session === 'warming_up') return [warmupScreen];
  const alarms = s.alarms.filter((a) => oledShow(a.code) === 'takeover');
  // other alarms (and what only the device knows) get a page of their own in the normal cycle
  const extra = [...s.alarms.filter((a) => oledShow(a.code) === 'page'), ...input.deviceAlarms]
    .filter((a, i, all) => all.findIndex((b) => b.code === a.code) === i)
    .map((a) => alarmScreen(a));
  if (alarms.length > 0) {
    const pages = alarms.map((a) => alarmScreen(a));
    if (s.trading === 'halted') pages.push(haltedScreen);
    return pages;
  }
  if (s.trading === 'halted') return [haltedScreen, ...extra];
  if (s.session !== 'open') return [closedScreen, ...extra];
  return [s.position ? positionScreen : flatScreen, dayScreen, ...extra];
}

/** Draws the current page into fb (cleared first) and returns its id. */
export function renderScreen(fb: Framebuffer, input: ScreenInput): string {
  const pages = screenPages(input);
  const screen = pages[((input.page % pages.length) + pages.length) % pages.length]!;
  fb.clear();
  screen.draw(fb, input);
  return screen.id;
}

// ---------------------------------------------------------------- shared parts

/**
 * The feed's own tick age, as the state says it. Not extrapolated with the display's clock: in the
 * demo that clock runs ~125× fast while states arrive every 0.5 s of real time, which added up to a
 * minute of "age" that no tick had (the console showed 2–6 s while the OLED showed 54–64 s).
 */
function feedAge(s: ApplianceState): number | null {
  return s.feed.lastTickAgeMs;
}

/** An inverted mark (HALT, DEMO) on the status line. */
function drawMark(fb: Framebuffer, x: number, text: string): void {
  fb.fillRect(x - 1, STATUS_Y - 1, smallTextWidth(text) + 2, 9);
  drawSmallText(fb, x, STATUS_Y, text, 1, false);
}

/** Feed dot + tick age · HALT / DEMO or clock mark · IST time, under a rule. */
function drawStatusLine(fb: Framebuffer, input: ScreenInput): void {
  const s = input.state;
  fb.hline(0, STATUS_RULE_Y, fb.width);
  let feed = '○ --';
  if (s) {
    const age = feedAge(s);
    feed = s.feed.connected ? `● ${age === null ? '--' : formatAge(age)}` : '○ off';
  }
  drawSmallText(fb, 0, STATUS_Y, feed);
  const demo = s?.mode === 'demo';
  if (s?.trading === 'halted' && demo) {
    // Both marks: the clock gives up its seconds to make room.
    drawMark(fb, 40, 'HALT');
    drawMark(fb, 68, 'DEMO');
    drawSmallRight(fb, fb.width, STATUS_Y, istClock(input.now).slice(0, 5));
    return;
  }
  if (s?.trading === 'halted') drawMark(fb, 46, 'HALT');
  else if (demo)
    drawMark(fb, 46, 'DEMO'); // the simulated exchange's clock: nothing to sync
  else if (s) drawSmallText(fb, 46, STATUS_Y, s.clock.synced ? 'CLK✓' : 'CLK×');
  drawSmallRight(fb, fb.width, STATUS_Y, istClock(input.now));
}

/** The day's net P&L in the big digits, centred; falls back to no ₹ / half size when too wide. */
function drawBigPnl(fb: Framebuffer, y: number, net: number): void {
  let text = formatRupees(net);
  let scale = 2;
  if (bigTextWidth(text, scale) > fb.width) text = formatRupees(net, false);
  if (bigTextWidth(text, scale) > fb.width) scale = 1;
  const w = bigTextWidth(text, scale);
  const top = scale === 2 ? y : y + Math.floor(BIG_HEIGHT / 4);
  drawBigText(fb, Math.max(0, Math.floor((fb.width - w) / 2)), top, text, scale);
}

/** An inverted bar across the top with a title at ×2 (or ×1 when it would not fit). */
function drawTitleBar(fb: Framebuffer, title: string): number {
  const scale = smallTextWidth(title, 2) <= fb.width - 4 ? 2 : 1;
  const h = scale === 2 ? 17 : 10;
  fb.fillRect(0, 0, fb.width, h);
  drawSmallCentered(fb, scale === 2 ? 2 : 1, title, scale, false);
  return h;
}

function tradesLine(s: ApplianceState): string {
  return s.pnl.trades === 0 ? 'no trades today' : `trades ${s.pnl.trades}  won ${s.pnl.wins}`;
}

/** "label value", or a 4-letter label when the line would not fit. */
function fitLine(label: string, value: string): string {
  const long = `${label} ${value}`;
  return [...long].length <= SMALL_CHARS_PER_LINE ? long : `${label.slice(0, 4)} ${value}`;
}

// ---------------------------------------------------------------- screens

const LINE1 = 25;
const LINE2 = 34;
const LINE3 = 43;

/** A trading page: the day's net P&L in the big digits, three small lines under it, the status line. */
function pnlPage(
  id: string,
  align: 'left' | 'centre',
  lines: (s: ApplianceState) => readonly [string, string, string],
): Screen {
  return {
    id,
    draw(fb, input) {
      const s = input.state!;
      drawBigPnl(fb, 0, s.pnl.net);
      const draw =
        align === 'centre'
          ? (y: number, text: string) => drawSmallCentered(fb, y, text)
          : (y: number, text: string) => drawSmallText(fb, 0, y, text);
      const [l1, l2, l3] = lines(s);
      draw(LINE1, l1);
      draw(LINE2, l2);
      draw(LINE3, l3);
      drawStatusLine(fb, input);
    },
  };
}

function spotLine(s: ApplianceState): string {
  return s.spot === null ? 'NIFTY --' : `NIFTY ${formatSpot(s.spot)}`;
}

/** Normal trading with an open position: big net, then side/strike/entry → LTP, unrealized, stops. */
export const positionScreen: Screen = pnlPage('position', 'left', (s) => {
  const p = s.position!;
  return [
    fitPrices(SMALL_CHARS_PER_LINE, (px) => `${p.side} ${p.strike} ${px(p.entryPrice)}→${px(p.ltp)}`),
    fitLine('unrealized', formatRupees(p.unrealizedPnl)),
    fitPrices(SMALL_CHARS_PER_LINE, (px) => `SL ${px(p.sl)}  TP1 ${px(p.tp1)}${p.tp1Hit ? '✓' : ''}`),
  ];
});

/** Trading, no position. */
export const flatScreen: Screen = pnlPage('flat', 'centre', (s) => ['FLAT - no position', tradesLine(s), spotLine(s)]);

/** Second page while trading, the status page: the strategy trading (NIFTY where none is named), the day so far. */
export const dayScreen: Screen = pnlPage('day', 'left', (s) => [
  s.strategy ? fitLine('strategy', s.strategy.name) : spotLine(s),
  tradesLine(s),
  `real ${formatRupees(s.pnl.realized)} chg ${formatRupeesPlain(s.pnl.charges)}`,
]);

/** Halted: says so loudly, why, and how to resume. */
export const haltedScreen: Screen = {
  id: 'halted',
  draw(fb, input) {
    const s = input.state!;
    fb.fillRect(0, 0, fb.width, 17);
    drawSmallText(fb, 2, 2, 'HALTED', 2, false);
    drawSmallRight(fb, fb.width - 2, 5, formatRupees(s.pnl.net), 1, false);
    const reason = wrapText(s.haltReason ?? 'no reason given', SMALL_CHARS_PER_LINE, 2);
    reason.forEach((line, i) => drawSmallText(fb, 0, 20 + i * 9, line));
    const secs = Math.round(input.resumeHoldMs / 1000);
    drawSmallCentered(fb, 38, 'to resume:');
    drawSmallCentered(fb, 46, `hold button ${secs} s`);
    drawStatusLine(fb, input);
  },
};

/** Outside the session: the day's summary, or when the market opens. */
export const closedScreen: Screen = {
  id: 'closed',
  draw(fb, input) {
    const s = input.state!;
    let title = 'MARKET CLOSED';
    const date = istDate(input.now);
    const session = input.calendar?.session(date) ?? null;
    if (s.session === 'holiday') title = 'HOLIDAY - CLOSED';
    else if (s.session === 'pre_open') title = session ? `OPENS AT ${hhmm(session.openMin)}` : 'PRE-OPEN';
    else if (session && istMinuteOfDay(input.now) < session.openMin) title = `OPENS AT ${hhmm(session.openMin)}`;
    fb.fillRect(0, 0, fb.width, 10);
    drawSmallCentered(fb, 1, title, 1, false);
    if (s.pnl.trades === 0) {
      const holiday = input.calendar?.holidayName(date);
      drawSmallCentered(
        fb,
        17,
        s.session === 'holiday' && holiday ? holiday.slice(0, SMALL_CHARS_PER_LINE) : 'no trades today',
      );
      drawSmallCentered(fb, 30, s.spot === null ? '' : `NIFTY ${formatSpot(s.spot)}`);
      // today's date: before the open the engine's day is still yesterday's
      drawSmallCentered(fb, 41, formatDate(date));
    } else {
      drawBigPnl(fb, 12, s.pnl.net);
      drawSmallText(fb, 0, 36, tradesLine(s));
      drawSmallText(fb, 0, 45, `real ${formatRupees(s.pnl.realized)} chg ${formatRupeesPlain(s.pnl.charges)}`);
    }
    drawStatusLine(fb, input);
  },
};

/** Boot and indicator warm-up: a checklist and a bar. */
export const warmupScreen: Screen = {
  id: 'warmup',
  draw(fb, input) {
    const s = input.state;
    fb.fillRect(0, 0, fb.width, 10);
    drawSmallCentered(fb, 1, s ? 'WARMING UP' : 'STARTING', 1, false);
    const steps: [string, boolean, string][] = [
      ['feed', !!s?.feed.connected, s?.feed.connected ? 'connected' : 'waiting'],
      ['clock', !!s?.clock.synced, s?.clock.synced ? 'synced' : 'not synced'],
      ['NIFTY', s?.spot != null, s?.spot != null ? formatSpot(s.spot) : 'waiting'],
      ['signals', !!s && s.session !== 'warming_up', s && s.session !== 'warming_up' ? 'ready' : 'warming'],
    ];
    steps.forEach(([name, ok, detail], i) => {
      const y = 12 + i * 9;
      drawSmallText(fb, 0, y, ok ? '✓' : '…');
      drawSmallText(fb, 9, y, name);
      drawSmallRight(fb, fb.width, y, detail);
    });
    const done = steps.filter(([, ok]) => ok).length;
    fb.rect(0, 48, fb.width, 4);
    fb.fillRect(0, 48, Math.round((fb.width * done) / steps.length), 4);
    if (s) drawStatusLine(fb, input);
    else drawSmallRight(fb, fb.width, STATUS_Y, istClock(input.now));
  },
};

/** One alarm: a title bar naming it and what to do. */
export function alarmScreen(alarm: DeviceAlarm): Screen {
  return {
    id: `alarm:${alarm.code}`,
    draw(fb, input) {
      const s = input.state;
      const lines: string[] = [];
      let title = alertSpec(alarm.code)?.oledTitle || alarm.code.replace(/_/g, ' ');
      if (smallTextWidth(title, 1) > fb.width) title = 'ALARM';
      switch (alarm.code) {
        case 'STALE_FEED': {
          const age = s ? feedAge(s) : null;
          lines.push(age === null ? 'no ticks received' : `no tick for ${formatAge(age)}`);
          lines.push(s?.feed.connected ? 'feed connected' : 'feed disconnected');
          lines.push('no new entries');
          break;
        }
        case 'TOKEN_EXPIRED': {
          lines.push('Upstox login needed');
          if (s?.loginUrl) lines.push('open:', ...wrapText(s.loginUrl, SMALL_CHARS_PER_LINE, 2));
          else lines.push('run: niftybox login');
          break;
        }
        case 'CLOCK_UNSYNCED': {
          lines.push('clock not synced', 'waiting for NTP');
          if (s?.clock.skewMs != null) lines.push(`skew ${(s.clock.skewMs / 1000).toFixed(1)} s`);
          lines.push('no new entries');
          break;
        }
        case 'BUTTON_UNAVAILABLE':
          lines.push(...wrapText(alarm.message, SMALL_CHARS_PER_LINE, 3), 'halt: niftybox halt');
          break;
        default:
          lines.push(...wrapText(alarm.message, SMALL_CHARS_PER_LINE, 4));
      }
      const top = drawTitleBar(fb, title) + 2;
      const room = Math.floor((STATUS_RULE_Y - top + 1) / 9);
      lines.slice(0, room).forEach((line, i) => drawSmallText(fb, 0, top + i * 9, line));
      drawStatusLine(fb, input);
    },
  };
}
