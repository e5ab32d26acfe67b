/**
 * Ledger pruner: retention (config.retention) at start and every 6 hours; candles and alerts older than their days go;
 * trades, orders, halts stay.
 */
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Ledger } from '../../store/ledger.js';
import type { Component, ComponentContext } from './component.js';

const PRUNE_EVERY_MS = 6 * 3_600_000;

export function pruneLedger(ledger: Ledger, config: Config, now: number, log: Logger): void {
  try {
    const day = 86_400_000;
    const r = ledger.prune({
      candlesBefore: now - config.retention.candleDays * day,
      alertsBefore: now - config.retention.alertDays * day,
    });
    if (r.candles || r.alerts)
      log.info('ledger retention', {
        ...r,
        candleDays: config.retention.candleDays,
        alertDays: config.retention.alertDays,
      });
  } catch (err) {
    log.warn('ledger retention failed; will retry', { error: (err as Error).message });
  }
}

export class LedgerPruner implements Component {
  readonly name = 'ledger-pruner';

  constructor(
    private readonly ledger: Ledger,
    private readonly config: Config,
    /** The appliance's time (the source's clock: virtual in replay and demo). */
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  start(ctx: ComponentContext): void {
    const prune = () => pruneLedger(this.ledger, this.config, this.now(), this.log);
    prune();
    ctx.every(PRUNE_EVERY_MS, prune, { background: true });
  }
}
