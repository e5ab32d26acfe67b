/**
 * The console twin of the box for the demo and replays: one line per trade, a live one-line status
 * on a TTY (a line every few virtual minutes otherwise), and alerts.
 */
import { contractName } from '../core/contracts.js';
import type { EngineEvent } from '../core/events.js';
import type { ApplianceState } from '../core/state.js';
import { istIso } from '../core/time.js';
import type { Output } from '../output.js';

const inr = (x: number) => `${x < 0 ? '-' : '+'}₹${Math.abs(x).toFixed(2)}`;

export class ConsoleOutput implements Output {
  readonly name = 'console';
  private lastStatusAt = 0;
  private statusShown = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
    private readonly statusEveryMs = 15 * 60_000,
  ) {}

  onEvents(events: readonly EngineEvent[], state: ApplianceState): void {
    for (const e of events) {
      let line: string | null = null;
      if (e.type === 'entry') {
        const p = e.position;
        const name =
          state.position?.instrumentKey === p.instrumentKey ? state.position.symbol : `${p.side} ${p.instrumentKey}`;
        line =
          `${istIso(e.ts).slice(0, 16).replace('T', ' ')}  BUY  ${name} ×${p.quantity} ` +
          `@ ${p.entryPrice.toFixed(2)}  SL ${p.sl.toFixed(2)}  TP1 ${p.tp1.toFixed(2)} ` +
          ` #${p.tradeId}`;
      } else if (e.type === 'exit') {
        const t = e.trade;
        line =
          `${istIso(e.ts).slice(0, 16).replace('T', ' ')}  SELL ${contractName(t)} ` +
          `@ ${t.exitPrice.toFixed(2)}  ${t.reason.padEnd(11)} ${t.points >= 0 ? '+' : ''}${t.points.toFixed(2)} ` +
          `pt  gross ${inr(t.grossPnl)}  charges ₹${t.charges.toFixed(2)}  net ${inr(t.netPnl)} ` +
          ` #${t.tradeId}`;
      } else if (e.type === 'halt') line = `${istIso(e.ts).slice(11, 16)}  HALTED (${e.source}): ${e.reason}`;
      else if (e.type === 'resume') line = `${istIso(e.ts).slice(11, 16)}  RESUMED (${e.source})`;
      else if (e.type === 'alert' && e.level !== 'info')
        line = `${istIso(e.ts).slice(11, 16)}  ALERT ${e.code}: ${e.message}`;
      if (line) this.write(line);
    }
  }

  onState(s: ApplianceState): void {
    const line = statusLine(s);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
      this.statusShown = true;
    } else if (s.ts - this.lastStatusAt >= this.statusEveryMs) {
      this.lastStatusAt = s.ts;
      this.out.write(line + '\n');
    }
  }

  private write(line: string): void {
    if (this.statusShown) this.out.write('\r\x1b[2K');
    this.statusShown = false;
    this.out.write(line + '\n');
  }

  async close(): Promise<void> {
    if (this.statusShown) this.out.write('\n');
  }
}

export function statusLine(s: ApplianceState): string {
  const time = istIso(s.ts).slice(0, 16).replace('T', ' ');
  const pos = s.position
    ? `${s.position.side} ${s.position.strike} ` +
      `${s.position.entryPrice.toFixed(2)}→${s.position.ltp.toFixed(2)} ` +
      `(${inr(s.position.unrealizedPnl)})`
    : 'flat';
  const feed = s.feed.connected
    ? `feed ● ${s.feed.lastTickAgeMs === null ? '-' : Math.round(s.feed.lastTickAgeMs / 1000) + 's'}`
    : 'feed ○';
  const alarms = s.alarms.length ? `  ⚠ ${s.alarms.map((a) => a.code).join(',')}` : '';
  const mode = s.mode === 'live' ? '' : `${s.mode.toUpperCase()}  `; // a simulated or recorded market says so
  const ks = s.killSwitch && s.killSwitch !== 'ok' ? `  ⚠ ${s.killSwitch}` : '';
  return (
    `${mode}${time}  NIFTY ${s.spot?.toFixed(2) ?? '-'}  ${pos}  net ${inr(s.pnl.net)} ` +
    `(${s.pnl.trades} trades, ${s.pnl.wins} wins)  ${s.trading === 'halted' ? 'HALTED' : 'active'} ` +
    ` ${feed}${alarms}${ks}`
  );
}
