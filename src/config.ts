/**
 * One config: a YAML file validated by one schema, then environment overrides for secrets and
 * services. Every error names the key and what is allowed; the CLI exits 78 (EX_CONFIG) on one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_RISK } from './core/params.js';
import {
  DEFAULT_STRATEGY,
  type SharedParams,
  type StrategyChoice,
  StrategyChoiceError,
  chooseStrategy,
} from './core/strategies/index.js';
import { deviceConfigSchema } from './device/config.js';
import { upstoxConfigSchema } from './feed/upstox/config.js';
import { webConfigSchema } from './web/config.js';
import { mqttConfigSchema } from './mqtt/config.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time "HH:MM" (IST)');

/** The strategy a run trades, and every one of its parameters (defaults filled in), as the config names them. */
export interface StrategyConfig {
  name: string;
  params: SharedParams & Record<string, unknown>;
}

/**
 * `strategy: {name: v25, …its parameters}` (strategies.md): the name (default v25) beside that strategy's
 * parameters; the chosen strategy's own schema validates them, so an unknown one names it and the strategy.
 */
export const strategySchema = z
  .looseObject({ name: z.string().default(DEFAULT_STRATEGY) })
  .transform((raw, ctx): StrategyConfig => {
    const { name, ...params } = raw;
    try {
      return { name, params: chooseStrategy(name, params).params as StrategyConfig['params'] };
    } catch (err) {
      if (!(err instanceof StrategyChoiceError)) throw err;
      const path = err.param ? err.param.split('.') : ['name'];
      ctx.addIssue({ code: 'custom', path, message: err.problem ?? err.message });
      return z.NEVER;
    }
  });

/** The config's strategy as the engine takes it. */
export function strategyChoice(s: StrategyConfig): StrategyChoice {
  return chooseStrategy(s.name, s.params);
}

export const riskSchema = z
  .object({
    dailyLossLimit: z.number().nonnegative().default(DEFAULT_RISK.dailyLossLimit),
    maxTradesPerDay: z.number().int().nonnegative().default(DEFAULT_RISK.maxTradesPerDay),
  })
  .strict();

export const specialSessionSchema = z
  .object({
    date: z.string().regex(/^\d{4}-\d\d-\d\d$/, 'a date YYYY-MM-DD'),
    open: hhmm,
    close: hhmm,
    label: z.string().default('special'),
  })
  .strict();

export const configSchema = z
  .object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default(defaultDeviceId()),
    stateDir: z.string().default(defaultStateDir()),
    db: z.string().optional(),
    strategy: strategySchema.default(strategySchema.parse({})),
    risk: riskSchema.default(riskSchema.parse({})),
    /** Extra or changed sessions (e.g. the year's Muhurat hour once NSE announces it). */
    specialSessions: z.array(specialSessionSchema).default([]),
    /** Milliseconds after a 5-minute boundary during which late trades still join the closing candle. */
    candleGraceMs: z.number().int().min(0).max(5000).default(1500),
    maxClockSkewMs: z.number().int().positive().default(2000),
    /**
     * Annual risk-free rate (0.065 = 6.5 %) of the held option's Black-76 Greeks when the feed sends none (about the
     * 91-day T-bill).
     */
    riskFreeRate: z.number().min(0).max(0.5).default(0.065),
    control: z.object({ socket: z.string().optional() }).strict().default({}),
    demo: z
      .object({
        sessionSeconds: z.number().positive().default(180),
        seed: z.number().int().default(25),
        /** The first simulated session (YYYY-MM-DD; a closed day means the next trading day). Absent: today's. */
        day: z
          .string()
          .regex(/^\d{4}-\d\d-\d\d$/, 'a date YYYY-MM-DD')
          .optional(),
      })
      .strict()
      .default({ sessionSeconds: 180, seed: 25 }),
    upstox: upstoxConfigSchema.default(upstoxConfigSchema.parse({})),
    mqtt: mqttConfigSchema.default(mqttConfigSchema.parse({})),
    device: deviceConfigSchema.default(deviceConfigSchema.parse({})),
    /** How long the ledger keeps candles and alerts (trades, orders and halts are kept for ever). */
    retention: z
      .object({
        /** Days of 5-minute candles kept; they are the user's data, so at least a year by default. */
        candleDays: z.number().int().min(1).default(400),
        alertDays: z.number().int().min(1).default(90),
      })
      .strict()
      .default({ candleDays: 400, alertDays: 90 }),
    web: webConfigSchema.default(webConfigSchema.parse({})),
    /** Online backups of the ledger after each session's close, into backups/ beside it (src/store/backups.ts). */
    backup: z
      .object({
        /** After each session's close; `niftybox backup` works either way. */
        enabled: z.boolean().default(true),
        /** How many backups are kept (in backups/ and in copyTo); the oldest go first. */
        keep: z.number().int().min(1).default(7),
        /**
         * A second folder each backup is copied to (a USB stick's mount point); skipped with a warning when it is not
         * there.
         */
        copyTo: z.string().optional(),
      })
      .strict()
      .default({ enabled: true, keep: 7 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  readonly exitCode = 78;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function defaultDeviceId(): string {
  return (hostname() || 'niftybox').replace(/[^A-Za-z0-9_-]/g, '-');
}

function defaultStateDir(): string {
  if (process.env.STATE_DIRECTORY) return process.env.STATE_DIRECTORY; // systemd StateDirectory=
  return join(process.env.HOME ?? '.', '.niftybox');
}

/** Environment variables that override config keys (interfaces.md). */
export const ENV_OVERRIDES: Record<string, string> = {
  NIFTYBOX_DB: 'db',
  NIFTYBOX_DEVICE_ID: 'deviceId',
  NIFTYBOX_MQTT_URL: 'mqtt.url',
  NIFTYBOX_MQTT_USERNAME: 'mqtt.username',
  NIFTYBOX_MQTT_PASSWORD: 'mqtt.password',
  NIFTYBOX_UPSTOX_TOKEN: 'upstox.token',
  NIFTYBOX_UPSTOX_API_BASE_URL: 'upstox.apiBaseUrl',
  NIFTYBOX_UPSTOX_FEED_URL: 'upstox.feedUrl',
  NIFTYBOX_WEB_PORT: 'web.port',
  NIFTYBOX_WEB_BIND: 'web.bind',
  /** The installer generates one into /etc/niftybox/secrets.env when the config sets none. */
  NIFTYBOX_WEB_PASSWORD: 'web.password',
};

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function describeIssue(issue: z.core.$ZodIssue, envFor: Map<string, string>): string {
  const key = issue.path.join('.') || '(top level)';
  const env = envFor.get(key);
  const where = env ? `${env} (config key ${key})` : `config key ${key}`;
  let allowed = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys.map((k) =>
      issue.path.length ? `${issue.path.join('.')}.${k}` : k,
    );
    return `unknown config key ${keys.join(', ')}: remove it or check its spelling`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue)
    allowed = `allowed values: ${(issue.values as unknown[]).map(String).join(', ')}`;
  return `${where}: ${allowed}`;
}

/** Parses a config object plus environment; throws ConfigError naming every bad key. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const base = (raw && typeof raw === 'object' ? structuredClone(raw) : {}) as Record<string, unknown>;
  const envFor = new Map<string, string>();
  for (const [name, key] of Object.entries(ENV_OVERRIDES)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      setPath(base, key, v);
      envFor.set(key, name);
    }
  }
  const result = configSchema.safeParse(base);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => describeIssue(i, envFor)).join('\n'));
  }
  if (result.data.db !== undefined && isDirectory(result.data.db)) {
    const where = envFor.has('db') ? 'NIFTYBOX_DB (config key db)' : 'config key db';
    throw new ConfigError(
      `${where}: ${result.data.db} is a directory; give the ledger file's path, ` +
        `e.g. ${join(result.data.db, 'ledger.db')}`,
    );
  }
  return result.data;
}

/** Where an installed box keeps its config and state (scripts/install-pi.sh, systemd/niftybox.service). */
export const SYSTEM_LOCATIONS = { configFile: '/etc/niftybox/config.yaml', stateDir: '/var/lib/niftybox' };

/**
 * Loads the YAML file: --config, else NIFTYBOX_CONFIG ("" = none), else the installed box's
 * /etc/niftybox/config.yaml when present, else ~/.niftybox/config.yaml when present. With the installed
 * box's file and no stateDir of its own, state lives where the service keeps it (/var/lib/niftybox), so
 * every command acts on the running service. `lookedAt` lists the files considered, for messages.
 */
export function loadConfig(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
  system: { configFile: string; stateDir: string } = SYSTEM_LOCATIONS,
): { config: Config; file: string | null; lookedAt: string[] } {
  const explicit = file ?? env.NIFTYBOX_CONFIG;
  const userFile = join(env.STATE_DIRECTORY || join(env.HOME ?? '.', '.niftybox'), 'config.yaml');
  const lookedAt = explicit !== undefined ? (explicit ? [explicit] : []) : [system.configFile, userFile];
  const path = explicit !== undefined ? explicit || null : existsSync(system.configFile) ? system.configFile : userFile;
  if (!path || !existsSync(path)) {
    if (path && explicit)
      throw new ConfigError(
        `config file ${path} does not exist: create it (see firmware-config/niftybox.example.yaml) or drop --config`,
      );
    return { config: parseConfig({}, env), file: null, lookedAt };
  }
  let text: string;
  try {
    if (statSync(path).isDirectory())
      throw new ConfigError(
        `config file ${path} is a directory: give the YAML file itself, e.g. ${join(path, 'config.yaml')} ` +
          `(point --config or NIFTYBOX_CONFIG at it)`,
      );
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES')
      throw new ConfigError(
        `cannot read config file ${path} (permission denied): run the command ` +
          `with sudo, or join group niftybox (sudo usermod -aG niftybox $USER, then ` +
          `log in again)`,
      );
    throw new ConfigError(
      `cannot read config file ${path} (${code ?? (err as Error).message}): ` +
        `check the path given by --config or NIFTYBOX_CONFIG`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const shape = Array.isArray(raw) ? 'a list' : `a single value (${JSON.stringify(raw).slice(0, 40)})`;
    throw new ConfigError(
      `config file ${path} holds ${shape}, not a mapping of keys: write it as ` +
        `"key: value" lines (see firmware-config/niftybox.example.yaml)`,
    );
  }
  const installed = resolve(path) === resolve(system.configFile);
  if (installed && raw && typeof raw === 'object' && !('stateDir' in raw) && !env.STATE_DIRECTORY)
    raw = { ...raw, stateDir: system.stateDir };
  try {
    return { config: parseConfig(raw, env), file: path, lookedAt };
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}:\n${err.message}`);
    throw err;
  }
}

/**
 * The YAML parser is needed once, at start: it is required here and dropped from require's cache
 * after the parse, so a live box does not carry it (~1 MB of heap and code) for the rest of the day.
 */
function parseYaml(text: string): unknown {
  const require = createRequire(import.meta.url);
  const loaded = new Set(Object.keys(require.cache));
  try {
    return (require('yaml') as typeof import('yaml')).parse(text);
  } finally {
    for (const k of Object.keys(require.cache)) if (!loaded.has(k)) delete require.cache[k];
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function dbPath(config: Config): string {
  return config.db ?? join(config.stateDir, 'ledger.db');
}
