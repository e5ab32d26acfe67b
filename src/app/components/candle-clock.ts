/**
 * Candle clock: candles close on the clock's 5-minute boundary (the engine adds the grace) while data
 * flows. When the feed is down or silent, or a repair runs, the bucket waits: no candle closes with trades
 * missing. Each turn with nothing held up is a heartbeat (a repair stuck on REST stops it, and the
 * systemd watchdog sees that).
 */
import type { LiveSession } from '../live-session.js';
import type { Backfill } from './backfill.js';
import type { Component, ComponentContext } from './component.js';

/**
 * A candle closes on the clock only while data flows; after this much market-time silence it waits for the backfill.
 */
const SILENT_CLOSE_MS = 60_000;

export class CandleClock implements Component {
  readonly name = 'candle-clock';

  constructor(
    private readonly s: LiveSession,
    private readonly backfill: Backfill,
    private readonly periodMs: number,
  ) {}

  start(ctx: ComponentContext): void {
    ctx.every(this.periodMs, () => this.turn());
  }

  private turn(): void {
    const { loop, gate } = this.s;
    const now = this.s.now();
    if (
      !this.backfill.closesPartial(now) &&
      loop.status.feedConnected &&
      !gate.holding &&
      loop.status.lastTickTs !== null &&
      now - loop.status.lastTickTs <= SILENT_CLOSE_MS
    )
      loop.clock(now);
    if (!gate.holding) loop.heartbeat();
  }
}
