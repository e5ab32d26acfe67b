/**
 * `sweep`'s parameter flags: `--param NAME=V` (fixed) and `--grid NAME=V1,V2,… | NAME=FROM:TO:STEP`
 * (an axis), checked against the strategy's parameters. Every mistake is a UsageError naming the flag.
 */
import type { FlatParams, GridAxis, ParamValue } from '../../core/sweep.js';
import { UsageError } from '../../lib/errors.js';
import type { ParamSpec, SweepStrategy } from './strategy.js';

/** Decimal places kept on a range's steps: 0.1 + 0.2 is 0.3 here. */
const STEP_DECIMALS = 10;

function splitAssignment(flag: string, text: string): { name: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1)
    throw new UsageError(
      `${flag} "${text}" is not NAME=VALUE${flag === '--grid' ? ' (values V1,V2,… or FROM:TO:STEP)' : ''}`,
    );
  return { name: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() };
}

function specOf(flag: string, name: string, strategy: SweepStrategy): ParamSpec {
  const spec = strategy.params.find((p) => p.name === name);
  if (!spec)
    throw new UsageError(
      `${flag}: ${strategy.name} has no parameter "${name}"; its parameters are ` +
        `${strategy.params.map((p) => p.name).join(', ')}`,
    );
  return spec;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** One value of a parameter, checked for its kind and range. */
export function parseParamValue(flag: string, spec: ParamSpec, text: string): ParamValue {
  if (spec.kind === 'time') {
    const m = /^(\d\d):(\d\d)$/.exec(text);
    const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    if (!m || Number(m[2]) > 59 || minutes < spec.min || minutes > spec.max)
      throw new UsageError(
        `${flag} ${spec.name}="${text}": give a time HH:MM from ${hhmm(spec.min)} to ${hhmm(spec.max)}`,
      );
    return text;
  }
  const n = text === '' ? NaN : Number(text);
  const what = spec.kind === 'int' ? 'a whole number' : 'a number';
  if (!Number.isFinite(n))
    throw new UsageError(
      `${flag} ${spec.name}="${text}" is not a number: give ${what} from ${spec.min} to ${spec.max}`,
    );
  if (spec.kind === 'int' && !Number.isInteger(n))
    throw new UsageError(`${flag} ${spec.name}=${text}: ${spec.name} takes ${what} (from ${spec.min} to ${spec.max})`);
  if (n < spec.min || n > spec.max)
    throw new UsageError(`${flag} ${spec.name}=${text} is out of range: give ${what} from ${spec.min} to ${spec.max}`);
  return n;
}

/** FROM:TO:STEP, both ends included when TO lies on a step; float-safe. */
function rangeValues(text: string, spec: ParamSpec): number[] {
  const parts = text.split(':');
  const nums = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 3 || !nums.every(Number.isFinite))
    throw new UsageError(
      `--grid ${spec.name}=${text}: a range is FROM:TO:STEP, three numbers ` +
        `(e.g. ${spec.name}=${spec.min}:${spec.min + 10}:2)`,
    );
  const [from, to, step] = nums as [number, number, number];
  if (!(step > 0)) throw new UsageError(`--grid ${spec.name}=${text}: the step must be above 0`);
  if (to < from)
    throw new UsageError(
      `--grid ${spec.name}=${text} is an empty range (TO ${to} is below FROM ` +
        `${from}): write FROM:TO:STEP with FROM ≤ TO`,
    );
  const steps = Math.floor((to - from) / step + 1e-9);
  if (steps + 1 > 1e6) throw new UsageError(`--grid ${spec.name}=${text} has ${steps + 1} values: use a larger step`);
  const out: number[] = [];
  for (let k = 0; k <= steps; k++) out.push(Number((from + k * step).toFixed(STEP_DECIMALS)));
  return out;
}

/** `--grid` flags into axes, in the order given; the same name twice or a fixed `--param` on it is an error. */
export function parseGrid(texts: readonly string[], strategy: SweepStrategy, fixed: FlatParams): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const text of texts) {
    const { name, value } = splitAssignment('--grid', text);
    const spec = specOf('--grid', name, strategy);
    if (axes.some((a) => a.name === name))
      throw new UsageError(`--grid ${name} is given twice: put all its values in one --grid ${name}=V1,V2,…`);
    if (name in fixed) throw new UsageError(`--grid ${name} and --param ${name} both set ${name}: drop one`);
    const raw =
      spec.kind !== 'time' && value.includes(':') ? rangeValues(value, spec) : value.split(',').map((v) => v.trim());
    const values = raw.map((v) => parseParamValue('--grid', spec, String(v)));
    const seen = new Set<ParamValue>();
    for (const v of values) {
      if (seen.has(v)) throw new UsageError(`--grid ${name}: the value ${v} is listed twice`);
      seen.add(v);
    }
    axes.push({ name, values });
  }
  return axes;
}

/** `--param NAME=V` flags into fixed parameter values. */
export function parseFixedParams(texts: readonly string[], strategy: SweepStrategy): FlatParams {
  const out: FlatParams = {};
  for (const text of texts) {
    const { name, value } = splitAssignment('--param', text);
    const spec = specOf('--param', name, strategy);
    if (name in out) throw new UsageError(`--param ${name} is given twice`);
    out[name] = parseParamValue('--param', spec, value);
  }
  return out;
}
