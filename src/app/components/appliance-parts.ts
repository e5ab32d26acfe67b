/**
 * The appliance's parts around the trading loop as components: each output (console, OLED/button/buzzer,
 * MQTT, the page), the control socket, the systemd watchdog and the crash handlers. `startAppliance`
 * starts them in order and stops them in reverse, so the outputs hear the last state before they close.
 * One that cannot start is logged and the box runs without it; the ledger always has the events first
 * (TradingLoop commits before any output hears of a batch).
 */
import type { Server } from 'node:net';
import type { Output } from '../../output.js';
import { startControlServer } from '../control.js';
import { installCrashHandlers } from '../crash.js';
import { startSystemdWatchdog } from '../systemd-notify.js';
import type { TradingLoop } from '../trading-loop.js';
import type { Component } from './component.js';
import type { Logger } from '../../log.js';

/** One output on the loop: made at start (null: not configured), taken off the loop and closed at stop. */
export class OutputComponent implements Component {
  private output: Output | null = null;

  constructor(
    readonly name: string,
    private readonly loop: TradingLoop,
    private readonly make: () => Promise<Output | null> | Output | null,
  ) {}

  async start(): Promise<void> {
    this.output = await this.make();
    if (this.output) this.loop.addOutput(this.output);
  }

  async stop(): Promise<void> {
    const o = this.output;
    if (!o) return;
    this.output = null;
    this.loop.removeOutput(o);
    await o.close();
  }
}

/** `niftybox halt|resume|status` reach the box over a unix socket next to the ledger. */
export class ControlSocket implements Component {
  readonly name = 'control-socket';
  private server: Server | null = null;

  constructor(
    private readonly path: string,
    private readonly loop: TradingLoop,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      this.server = await startControlServer(this.path, this.loop, () => this.loop.state(), this.log);
    } catch (err) {
      this.log.error('control socket unavailable: halt via the button or MQTT', { error: (err as Error).message });
    }
  }

  stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    return new Promise((r) => (s ? s.close(() => r()) : r()));
  }
}

/** Pings systemd's watchdog only while the pipeline is healthy (a no-op outside systemd). */
export class SystemdWatchdog implements Component {
  readonly name = 'systemd-watchdog';
  private stopPings: () => void = () => undefined;

  constructor(
    private readonly unhealthy: () => string | null,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopPings = startSystemdWatchdog(this.unhealthy, (why) =>
      this.log.error('watchdog: not pinging systemd', { why }),
    );
  }

  stop(): void {
    this.stopPings();
  }
}

/** An unhandled promise rejection logs, raises CRASH and exits non-zero (systemd restarts the box). */
export class CrashHandlers implements Component {
  readonly name = 'crash-handlers';
  private remove: () => void = () => undefined;

  constructor(
    private readonly loop: TradingLoop,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.remove = installCrashHandlers({ log: this.log, alert: (m) => this.loop.alert('error', 'CRASH', m) });
  }

  stop(): void {
    this.remove();
  }
}
