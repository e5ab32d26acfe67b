/**
 * Composition root: picks a source (Upstox live, the simulated exchange, or recorded candles), builds
 * the engine, the ledger and the outputs, and wires them: source → engine → ledger → outputs.
 */
import { controlSocketPath } from './app/control.js';
import { ConsoleOutput } from './app/console-output.js';
import { recoverEngine, type CandleHistory } from './app/recovery.js';
import { notifySystemd } from './app/systemd-notify.js';
import { TradingLoop } from './app/trading-loop.js';
import { dbPath, strategyChoice, type Config } from './config.js';
import { chooseStrategy } from './core/strategies/index.js';
import { MarketCalendar } from './core/calendar.js';
import { Engine, type EngineCheckpoint } from './core/engine.js';
import type { ApplianceMode } from './core/state.js';
import type { Logger } from './log.js';
import type { Output } from './output.js';
import { Ledger } from './store/ledger.js';
import { realClock } from './lib/clock.js';
import { AppBus, Components } from './app/components/component.js';
import { LedgerPruner } from './app/components/ledger-pruner.js';
import { LedgerBackups } from './app/components/ledger-backups.js';
import { StatePublisher } from './app/components/state-publisher.js';
import { ControlSocket, CrashHandlers, OutputComponent, SystemdWatchdog } from './app/components/appliance-parts.js';

export const VERSION = '0.1.0';

/** Where ticks come from. Each mode has one; all drive the same TradingLoop. */
export interface TickSource extends CandleHistory {
  readonly mode: ApplianceMode;
  /** Runs until the source is done (replay end, demo sessions) or stop() is called. */
  run(loop: TradingLoop, resumeAfter: number | null): Promise<void>;
  stop(): Promise<void> | void;
  /** The clock the appliance lives on (system clock live; virtual in replay and demo). */
  now(): number;
  /** Loads history (warm-up) before recovery replays it into the indicators. */
  /** Before recovery; `warmupCandles`: the index candles the chosen strategy needs before its first decision. */
  prepare?(ledger: Ledger, warmupCandles: number): Promise<void>;
}

export type OutputFactory = (
  loop: TradingLoop,
  calendar: MarketCalendar,
  ledger: Ledger,
) => Promise<Output | null> | Output | null;

export interface ApplianceOptions {
  config: Config;
  log: Logger;
  source: TickSource;
  /** Output factories, given the loop (the ControlPort) once it exists. Failures degrade, never stop. */
  outputs?: (OutputFactory | { name: string; make: OutputFactory })[];
  console?: ConsoleOutput | null;
  statePublishMs?: number;
  /** Called after each run with the open ledger (daily report, final summary). */
  onFinish?: (ledger: Ledger, loop: TradingLoop) => void;
  /** An unhandled promise rejection logs, alerts and exits non-zero (default true; systemd restarts the box). */
  exitOnUnhandledRejection?: boolean;
}

/** The watchdog stops pinging when the session's pipeline has not moved for this long (real time). */
const PIPELINE_STALL_MS = 120_000;

export interface RunningAppliance {
  loop: TradingLoop;
  ledger: Ledger;
  done: Promise<number>;
  stop(): Promise<void>;
}

export function createCalendar(config: Config): MarketCalendar {
  return new MarketCalendar(config.specialSessions);
}

export async function startAppliance(opts: ApplianceOptions): Promise<RunningAppliance> {
  const { config, log, source } = opts;
  const calendar = createCalendar(config);
  const db = dbPath(config);
  const ledger = Ledger.open(db, { log: log.child({ area: 'ledger' }) });
  const engine = new Engine({
    strategy: strategyChoice(config.strategy),
    strategyOf: chooseStrategy,
    risk: config.risk,
    calendar,
    candleGraceMs: source.mode === 'replay' ? 0 : config.candleGraceMs,
  });
  const loop = new TradingLoop(
    engine,
    ledger,
    log.child({ area: 'loop' }),
    () => source.now(),
    config.deviceId,
    source.mode,
  );
  loop.setGreeksModel({ calendar, riskFreeRate: config.riskFreeRate });
  let checkpoint: EngineCheckpoint | null;
  try {
    const { strategy, params } = engine.parameters.strategy;
    await source.prepare?.(ledger, strategy.warmupCandles(params));
    checkpoint = recoverEngine(engine, ledger, source, log);
  } catch (err) {
    ledger.close();
    throw err;
  }
  // Started in this order, stopped in reverse: the outputs hear the last state, then close.
  const parts = new Components(new AppBus(), realClock, log.child({ area: 'app' }));
  const consoleOut = opts.console;
  await parts.start([
    ...(consoleOut ? [new OutputComponent('console', loop, () => consoleOut)] : []),
    ...(opts.outputs ?? []).map((o, i) => {
      const { name, make } = typeof o === 'function' ? { name: `output-${i + 1}`, make: o } : o;
      return new OutputComponent(name, loop, () => make(loop, calendar, ledger));
    }),
    new ControlSocket(controlSocketPath(db), loop, log.child({ area: 'control' })),
    // Housekeeping on the real clock, whatever clock the source lives on.
    new StatePublisher(loop, opts.statePublishMs ?? 500),
    new LedgerPruner(ledger, config, () => source.now(), log),
    new LedgerBackups(ledger, loop, config.backup, log.child({ area: 'backup' })),
  ]);
  notifySystemd('--ready');
  await parts.start([
    new SystemdWatchdog(() => loop.unhealthy(PIPELINE_STALL_MS), log),
    ...(opts.exitOnUnhandledRejection === false ? [] : [new CrashHandlers(loop, log)]),
  ]);

  let stopping: Promise<void> | null = null;
  const shutdown = async () => {
    await parts.stop();
    ledger.close();
  };
  const done = (async () => {
    try {
      await source.run(loop, checkpoint?.lastClosedBucket ?? null);
      opts.onFinish?.(ledger, loop);
      return 0;
    } catch (err) {
      log.error('appliance stopped on an error', { error: (err as Error).message });
      process.stderr.write(`niftybox run: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await shutdown();
    }
  })();
  const stop = async () => {
    stopping ??= Promise.resolve(source.stop());
    await stopping;
    await done;
  };
  return { loop, ledger, done, stop };
}
