/**
 * State publisher: the appliance state to every output (OLED, MQTT, page, console) on a real-time period,
 * whatever clock the source lives on (a virtual 500 ms in the demo would be 4 ms of real time). The loop
 * sends only what changed; the ledger always has the events first (TradingLoop).
 */
import type { TradingLoop } from '../trading-loop.js';
import type { Component, ComponentContext } from './component.js';

export class StatePublisher implements Component {
  readonly name = 'state-publisher';

  constructor(
    private readonly loop: TradingLoop,
    private readonly periodMs: number,
  ) {}

  start(ctx: ComponentContext): void {
    this.loop.publishState(true);
    ctx.every(this.periodMs, () => this.loop.publishState());
  }

  stop(): void {
    this.loop.publishState(true); // the last state before the outputs close
  }
}
