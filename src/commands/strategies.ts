/**
 * `niftybox strategies [--json]`: every strategy the box can trade, its parameters (defaults, ranges) and warm-up need.
 */
import { describeParams, strategies } from '../core/strategies/index.js';
import { parseFlags } from './args.js';
import { usageOf } from './usage.js';

const USAGE = usageOf('strategies');

export async function strategiesCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean', default: false } }, USAGE);
  const list = strategies.map((s) => ({
    name: s.name,
    summary: s.summary,
    warmupCandles: s.warmupCandles(s.defaults),
    params: describeParams(s),
  }));
  if (values.json) {
    process.stdout.write(JSON.stringify({ strategies: list }) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const s of list) {
    lines.push(
      `${s.name} — ${s.summary}`,
      `  warm-up: ${s.warmupCandles} index candles (5 min) before the first decision, at the defaults`,
    );
    const own = s.params.filter((p) => !p.shared);
    const shared = s.params.filter((p) => p.shared);
    for (const [title, ps] of [
      ['own', own],
      ['shared', shared],
    ] as const) {
      lines.push(`  ${title} parameters:`);
      for (const p of ps) {
        const range =
          p.min !== undefined || p.max !== undefined
            ? ` (${p.type} ${p.min ?? '…'} … ${p.max ?? '…'})`
            : p.type === 'time'
              ? ' (HH:MM IST)'
              : '';
        lines.push(`    ${p.name.padEnd(16)} ${String(p.default).padEnd(6)}${range}`);
      }
    }
    lines.push('');
  }
  lines.push(
    'choose one in the config (strategy: {name: ema-cross, fastPeriod: 9}) or ' +
      'for a backtest (--strategy NAME --param NAME=VALUE)',
  );
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
