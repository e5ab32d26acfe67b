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
      'niftybox backtest --index F --options F [--from D] [--to D] [--slippage P] [--json] [--csv F] [--days] ' +
      '[--allow-gaps] [--html F]',
    what: 'V25 on recorded candles',
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
