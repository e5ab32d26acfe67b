/** `niftybox run`: the appliance — live with Upstox credentials, the simulated exchange without, or a replay. */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { dbPath, loadConfig } from '../config.js';
import { startAppliance, type RunningAppliance, type TickSource } from '../app.js';
import { ConsoleOutput } from '../app/console-output.js';
import { summarize } from '../core/report.js';
import { createLogger, setLogLevel, setLogSink } from '../log.js';
import { textReport } from '../report/format.js';
import { createCalendar } from '../app.js';
import {
  CONFIG_FLAGS,
  DATE_RANGE_FLAGS,
  parseFlags,
  dateFlag,
  numberFlag,
  wholeNumberFlag,
  ledgerFlag,
  refuseFlags,
} from './args.js';
import { UsageError } from '../lib/errors.js';
import { startDeviceOutput, startMqttOutput, startWebOutput } from '../app/outputs.js';
import { officialCandlesFor } from '../app/official-candles.js';
import { selectMode } from '../app/mode.js';
import { checkBootToken, ensureWritableDir } from '../app/boot-checks.js';
import { usageOf } from './usage.js';

const USAGE = usageOf('run');

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      ...CONFIG_FLAGS,
      demo: { type: 'boolean', default: false },
      replay: { type: 'string' },
      ...DATE_RANGE_FLAGS,
      speed: { type: 'string' },
      sessions: { type: 'string' },
      day: { type: 'string' },
      display: { type: 'string' },
      'session-seconds': { type: 'string' },
      'allow-gaps': { type: 'boolean' },
    },
    USAGE,
  );
  if (values.display !== undefined && !/^(auto|oled|terminal|none|png:.+)$/.test(values.display))
    throw new UsageError(`--display "${values.display}" is not one of auto, oled, terminal, none, png:FILE`);
  if (values.replay) refuseFlags(values, ['demo', 'day', 'sessions', 'session-seconds'], 'in a replay (--replay)');
  else refuseFlags(values, ['from', 'to', 'speed', 'allow-gaps'], 'without --replay INDEX,OPTIONS');
  ledgerFlag(values.db);
  const demoDay = dateFlag(values.day, 'day');
  const loaded = loadConfig(values.config);
  const { config } = loaded;
  if (values.db) config.db = values.db;
  if (values.display) config.device.display.kind = values.display;

  const choice = values.replay
    ? null
    : selectMode({ config, configFile: loaded.file, lookedAt: loaded.lookedAt, demo: values.demo });
  if (demoDay && choice?.mode === 'live')
    throw new UsageError(
      `--day picks the demo's simulated session, and this run is live (${choice.reason}): add --demo`,
    );
  if (demoDay) config.demo.day = demoDay;
  const simulated = Boolean(values.replay) || choice?.mode === 'demo';
  // A demo on the live box's machine gets a ledger, device id and MQTT client id of its own.
  if (choice?.mode === 'demo') (await import('../app/demo.js')).isolateDemo(config, { explicitDb: Boolean(values.db) });
  ensureWritableDir(
    dirname(dbPath(config)),
    config.db ? "the ledger's directory (--db, NIFTYBOX_DB or db)" : 'the state directory (stateDir)',
  );

  const interactive = Boolean(process.stdout.isTTY);
  // Off the Pi (no sysfs GPIO), demos and replays get the simulated button instead of an alarm.
  if (simulated && !existsSync('/sys/class/gpio/export')) config.device.button.simulated = true;
  if (simulated) {
    // Human-readable trades and status on stdout; the JSON log goes to stderr, warnings and up.
    setLogSink((line) => process.stderr.write(line + '\n'));
    if (!process.env.NIFTYBOX_LOG_LEVEL) setLogLevel('warn');
  }
  const log = createLogger({ app: 'niftybox' });

  const cleanups: (() => Promise<void>)[] = [];
  let source: TickSource;
  let demoExchange: { apiBaseUrl: string; token: string } | undefined;
  if (values.replay) {
    const [indexFile, optionsFile, extra] = values.replay.split(',');
    if (!indexFile || !optionsFile || extra !== undefined)
      throw new UsageError(`--replay takes INDEX.csv,OPTIONS.csv\nusage: ${USAGE}`);
    const speed =
      values.speed === undefined || values.speed === 'max' ? 'max' : numberFlag(values.speed, 'speed', 0.001)!;
    // Loaded per mode: a live box never carries the CSV readers, the replay or the simulated exchange.
    const { checkIndexGaps, readCandleFiles } = await import('./backtest.js');
    const { CandleReplaySource } = await import('../app/replay-source.js');
    const data = readCandleFiles(indexFile, optionsFile);
    const [from, to] = [dateFlag(values.from, 'from'), dateFlag(values.to, 'to')];
    for (const note of checkIndexGaps(data, indexFile, from, to, values['allow-gaps'] ?? false))
      process.stdout.write(`note: ${note}\n`);
    source = new CandleReplaySource(
      { index: data.index, options: data.options, from, to, speed, calendar: createCalendar(config) },
      log.child({ area: 'replay' }),
    );
  } else if (choice!.mode === 'demo') {
    const sessions = wholeNumberFlag(values.sessions, 'sessions', 0) ?? 0;
    if (values['session-seconds'])
      config.demo.sessionSeconds = numberFlag(values['session-seconds'], 'session-seconds', 1)!;
    if (!values.demo) process.stdout.write(`${choice!.reason}.\n`);
    const { demoStartDay, startDemo } = await import('../app/demo.js');
    const calendar = createCalendar(config);
    const start = demoStartDay(config, calendar, log);
    if (start.note) process.stdout.write(`${start.note}\n`);
    const demo = await startDemo({
      config,
      calendar,
      log,
      sessions,
      day: start.day,
      onDailyReport: (t) => process.stdout.write(`\n${t}\n`),
    });
    cleanups.push(() => demo.close());
    demoExchange = demo.exchange;
    source = demo.source;
  } else {
    log.info(`mode: ${choice!.reason}`, { stateDir: config.stateDir, ledger: dbPath(config) });
    await checkBootToken(config, choice!, log);
    const { startLive } = await import('../app/live.js');
    source = await startLive(config, log);
  }

  const consoleOut = new ConsoleOutput(process.stdout, interactive ? 0 : 60 * 60_000);
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  let app: RunningAppliance;
  try {
    app = await startAppliance({
      config,
      log,
      source,
      console: consoleOut,
      outputs: [
        {
          name: 'device',
          make: (loop, calendar) =>
            startDeviceOutput({
              config,
              loop,
              calendar,
              log,
              keyboard: source.mode === 'demo' && interactive,
              now: () => source.now(),
            }),
        },
        {
          name: 'mqtt',
          make: (loop, _calendar, ledger) =>
            startMqttOutput({ config, loop, log, replay: source.mode === 'replay', ledger }),
        },
        {
          name: 'web',
          make: (loop, calendar) =>
            startWebOutput({
              config,
              loop,
              calendar,
              log,
              officialCandles: officialCandlesFor(config, source.mode, () => source.now(), log, demoExchange),
              history: (ts) => source.index(ts),
              announce: (l) => process.stdout.write(`${l}\n`),
            }),
        },
      ],
      onFinish: (ledger) => {
        const trades = ledger.trades();
        process.stdout.write(
          '\n' + textReport(summarize(trades), { title: `niftybox ${source.mode}: ledger ${dbPath(config)}` }),
        );
      },
    });
  } catch (err) {
    await closeAll(); // the simulated exchange must not keep a failed start alive
    throw err;
  }
  const onSignal = (sig: string) => {
    log.warn(`received ${sig}: stopping cleanly`);
    void app.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const code = await app.done;
  await closeAll();
  return code;
}
