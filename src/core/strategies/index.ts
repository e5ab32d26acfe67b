/**
 * The strategies the box can trade, by name, and the one place a name and parameters become a
 * `StrategyChoice` (validated, defaults filled in). Add a strategy: one file beside these, one line here.
 */
import { z } from 'zod';
import { type Strategy, type StrategyChoice, sharedParamNames } from './contract.js';
import { confluence } from './confluence.js';
import { emaCross } from './ema-cross.js';
import { v25 } from './v25.js';

export * from './contract.js';
export { DEFAULT_V25, type V25Params, v25 } from './v25.js';
export { type EmaCrossParams, emaCross } from './ema-cross.js';
export { type ConfluenceParams, confluence } from './confluence.js';

export const strategies: readonly Strategy[] = [v25, emaCross, confluence];

export const DEFAULT_STRATEGY = 'v25';

export function strategyByName(name: string): Strategy | undefined {
  return strategies.find((s) => s.name === name);
}

/** A strategy name or parameters that cannot be used; the message names which and what is allowed. */
export class StrategyChoiceError extends Error {
  constructor(
    message: string,
    readonly strategy: string,
    /** The parameter at fault (dotted, e.g. `tp1Points.CE`), if one. */
    readonly param?: string,
    /** What is wrong with that parameter's value, without the strategy and parameter (a config error names the key). */
    readonly problem?: string,
  ) {
    super(message);
    this.name = 'StrategyChoiceError';
  }
}

/**
 * The strategy `name` with `params` (any subset; the rest are the defaults). Throws StrategyChoiceError
 * naming an unknown strategy, an unknown parameter of it, or a value out of its range.
 */
export function chooseStrategy(name: string, params: Record<string, unknown> = {}): StrategyChoice {
  const strategy = strategyByName(name);
  if (!strategy)
    throw new StrategyChoiceError(
      `unknown strategy "${name}" (one of: ${strategies.map((s) => s.name).join(', ')})`,
      name,
    );
  const r = strategy.schema.safeParse(params);
  if (r.success) return { strategy, params: r.data };
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path, issue.keys[0]].join('.');
    throw new StrategyChoiceError(
      `unknown parameter "${key}" for strategy ${name} (its parameters: ${paramNames(strategy).join(', ')})`,
      name,
      key,
    );
  }
  const key = issue.path.join('.');
  throw new StrategyChoiceError(`strategy ${name}, parameter ${key}: ${issue.message}`, name, key, issue.message);
}

/** Every parameter name of a strategy as `--param` takes it (per-side ones as `tp1Points.CE`). */
export function paramNames(strategy: Strategy): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(strategy.defaults)) {
    if (v !== null && typeof v === 'object') for (const side of Object.keys(v)) out.push(`${k}.${side}`);
    else out.push(k);
  }
  return out;
}

/**
 * `--param NAME=VALUE …` on top of `base` (the strategy's defaults, or the config's parameters):
 * names as strategies.md (per-side as `tp1Points.CE`), a number where the value reads as one, else
 * the text (`entryStart=09:45`). Then validated as chooseStrategy does; throws StrategyChoiceError.
 */
export function chooseWithAssignments(
  name: string,
  base: Record<string, unknown>,
  assignments: readonly string[],
): StrategyChoice {
  const strategy = strategyByName(name);
  if (!strategy) return chooseStrategy(name);
  const params: Record<string, unknown> = {
    ...structuredClone(strategy.defaults as unknown as Record<string, unknown>),
    ...structuredClone(base),
  };
  for (const a of assignments) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? a : a.slice(0, eq);
    if (eq <= 0 || eq === a.length - 1)
      throw new StrategyChoiceError(
        `parameter "${a}" is not NAME=VALUE (e.g. tp1Points.CE=20)`,
        name,
        key || undefined,
      );
    const text = a.slice(eq + 1).trim();
    const value = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : text;
    const [head, side, ...rest] = key.split('.');
    if (!paramNames(strategy).includes(key) || rest.length) {
      throw new StrategyChoiceError(
        `unknown parameter "${key}" for strategy ${name} (its parameters: ${paramNames(strategy).join(', ')})`,
        name,
        key,
      );
    }
    if (side === undefined) params[head!] = value;
    else params[head!] = { ...(params[head!] as Record<string, unknown>), [side]: value };
  }
  return chooseStrategy(name, params);
}

/** One parameter as `niftybox strategies` lists it. */
export interface ParamDescription {
  name: string;
  /** Shared by every strategy (strategies.md), or the strategy's own. */
  shared: boolean;
  type: 'integer' | 'number' | 'time';
  default: number | string;
  min?: number;
  max?: number;
}

/** Every parameter of a strategy with its default and range, read from its schema (per-side ones as `tp1Points.CE`). */
export function describeParams(strategy: Strategy): ParamDescription[] {
  const out: ParamDescription[] = [];
  const shared = new Set<string>(sharedParamNames);
  const defaults = strategy.defaults as unknown as Record<string, unknown>;
  const add = (name: string, schema: z.ZodType, dflt: unknown, isShared: boolean) => {
    const inner = schema instanceof z.ZodDefault ? (schema.def.innerType as z.ZodType) : schema;
    if (inner instanceof z.ZodNumber) {
      const d: ParamDescription = {
        name,
        shared: isShared,
        type: inner.isInt ? 'integer' : 'number',
        default: dflt as number,
      };
      if (Number.isFinite(inner.minValue)) d.min = inner.minValue!;
      if (Number.isFinite(inner.maxValue)) d.max = inner.maxValue!;
      out.push(d);
    } else if (inner instanceof z.ZodObject) {
      for (const [side, sub] of Object.entries(inner.shape))
        add(`${name}.${side}`, sub as z.ZodType, (dflt as Record<string, unknown>)[side], isShared);
    } else out.push({ name, shared: isShared, type: 'time', default: dflt as string });
  };
  for (const [name, schema] of Object.entries(strategy.schema.shape))
    add(name, schema as z.ZodType, defaults[name], shared.has(name));
  return out;
}
