/**
 * `niftybox verify --day D`: a live day's ledger trades beside the backtest of that day's candles. Exit 0 when
 * they agree or differ only as tick fills must (every difference explained); 1 when a difference is unexplained.
 */
import { createCalendar } from '../app.js';
import { verdictOf, verifyDay, verifyText, VerifyError } from '../app/verify-day.js';
import { dbPath, loadConfig, strategyChoice } from '../config.js';
import { createLogger, setLogSink } from '../log.js';
import { tradeJson } from '../report/format.js';
import { Ledger } from '../store/ledger.js';
import { dateFlag, parseFlags } from './args.js';
import { DataError, UsageError } from '../lib/errors.js';
import { usageOf } from './usage.js';
import { requireReadableLedger } from './ledger-file.js';

const USAGE = usageOf('verify');

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      day: { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const day = dateFlag(values.day, 'day');
  if (!day) throw new UsageError(`--day is required\nusage: ${USAGE}`);
  setLogSink((line) => process.stderr.write(line + '\n'));
  const { config } = loadConfig(values.config);
  const file = values.db ?? dbPath(config);
  requireReadableLedger(file);
  const ledger = Ledger.open(file, { log: createLogger({ area: 'ledger' }), readonly: true });
  try {
    const report = verifyDay({
      ledger,
      day,
      calendar: createCalendar(config),
      strategy: strategyChoice(config.strategy),
      risk: config.risk,
    });
    if (values.json) {
      const rows = report.rows.map((r) => ({
        live: r.live && tradeJson(r.live),
        backtest: r.backtest && tradeJson(r.backtest),
        differences: r.differences,
        why: r.why,
        unexplained: r.unexplained,
        effect: Math.round(r.effect * 100) / 100,
      }));
      process.stdout.write(
        JSON.stringify({ ...verdictOf(report), candles: report.candles, notes: report.notes, rows }) + '\n',
      );
    } else process.stdout.write(verifyText(report));
    return report.verdict === 'differs' ? 1 : 0;
  } catch (err) {
    if (err instanceof VerifyError) throw new DataError(`cannot verify ${day} from ${file}: ${err.message}`);
    throw err;
  } finally {
    ledger.close();
  }
}
