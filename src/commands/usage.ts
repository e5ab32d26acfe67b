/**
 * Each command's usage, in one place: `CMD --help` and its flag errors print it, and `niftybox help`
 * lists it with what the command does (the list cannot drift from the commands' own text).
 */
export const COMMANDS = {
  run: {
    usage:
      'niftybox run [--config F] [--db F] [--demo [--day D]] [--sessions N] [--display KIND] ' +
      '[--replay INDEX,OPTIONS [--from D] [--to D] [--speed N|max] [--allow-gaps]]',
    what: 'the appliance (demo when no Upstox credentials)',
  },
  backtest: {
    usage:
      'niftybox backtest --index F --options F [--from D] [--to D] [--strategy NAME] [--param NAME=VALUE …] ' +
      '[--slippage P] [--config F] [--json] [--csv F] [--days] [--allow-gaps] [--html F]',
    what: "a strategy (default the config's, else v25) on recorded candles",
  },
  strategies: {
    usage: 'niftybox strategies [--json]',
    what: 'the strategies, their parameters (defaults, ranges) and warm-up need',
  },
  report: {
    usage: 'niftybox report [--config F] [--db F] [--from D] [--to D] [--json] [--csv F] [--html F] [--days]',
    what: 'the paper ledger',
  },
  login: {
    usage: 'niftybox login [--config F] [--token T] [--port N]',
    what: 'Upstox OAuth flow, or store an Analytics token',
  },
  doctor: {
    usage: 'niftybox doctor [--config F] [--json]',
    what: 'checks mode, paths, I2C, GPIO, clock, token, broker, disk',
  },
  fetch: {
    usage: 'niftybox fetch --from D --to D --out DIR [--config F] [--cache DIR]',
    what: 'Upstox history into the two files backtest reads',
  },
  export: {
    usage: 'niftybox export --out DIR [--config F] [--db F] [--from D] [--to D]',
    what: "the box's recorded candles into the same two files",
  },
  verify: {
    usage: 'niftybox verify --day D [--config F] [--db F] [--json]',
    what: "a live day's trades beside the backtest of its candles: agrees, tick fills, or differs",
  },
  sweep: {
    usage:
      'niftybox sweep --index F --options F [--strategy S] [--param NAME=V …] ' +
      '--grid NAME=V1,V2,…|FROM:TO:STEP … [--random N [--seed S]] [--max-variants N] [--from D] [--to D] ' +
      '[--slippage P] [--walk-forward TRAIN:TEST] [--objective net|sharpe|sortino|calmar|profitFactor] ' +
      '[--pbo-blocks S] [--workers N] [--json] [--csv F] [--html F [--x NAME] [--y NAME]] [--allow-gaps]',
    what: 'a parameter grid, every variant a backtest; walk-forward, DSR and PBO',
  },
  backup: {
    usage: 'niftybox backup [--config F] [--db F] [--out F]',
    what: 'an online copy of the ledger (into backups/ beside it)',
  },
  restore: {
    usage: 'niftybox restore FILE [--config F] [--db F]',
    what: 'replace the ledger by a checked backup (the box must be stopped)',
  },
  'mqtt forget': {
    usage: 'niftybox mqtt forget [--device ID] [--config F]',
    what: "remove a device from Home Assistant (default: this box's deviceId)",
  },
  'mqtt hash-password': {
    usage: 'niftybox mqtt hash-password',
    what: 'read a password on stdin, print its hash for mqtt.embeddedBroker.users',
  },
  halt: {
    usage: 'niftybox halt [--config F] [--db F] [--reason R] [--json]',
    what: 'halt the running appliance (no new entries)',
  },
  resume: {
    usage: 'niftybox resume [--config F] [--db F] [--json]',
    what: 'resume trading on the running appliance',
  },
  status: {
    usage: 'niftybox status [--config F] [--db F] [--json]',
    what: "the running appliance's state",
  },
} satisfies Record<string, { usage: string; what: string }>;

export type CommandName = keyof typeof COMMANDS;

export const usageOf = (name: CommandName): string => COMMANDS[name].usage;

/** The usage and what the command does, on one line: `what` from `column` on (two spaces after a longer usage). */
export function usageLine(name: CommandName, column: number, o: { bare?: boolean } = {}): string {
  const { usage, what } = COMMANDS[name];
  return `${(o.bare ? usage.slice('niftybox '.length) : usage).padEnd(column - 2)}  ${what}`;
}
