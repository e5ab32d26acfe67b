/**
 * Structured JSON-line logging to stdout (systemd's journal keeps it). Secrets never reach it:
 * values under secret-looking keys are replaced, and registered secret strings are masked anywhere.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|authorization|api[_-]?key|code_verifier/i;

export type LogSink = (line: string) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const secrets = new Set<string>();
/** Tokens rotate daily: the most recent ones are masked, the set does not grow for weeks of uptime. */
export const MAX_SECRETS = 64;

/** Registers a secret value (a token) so that it is masked wherever it would be logged. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 8) return;
  secrets.delete(value);
  secrets.add(value);
  while (secrets.size > MAX_SECRETS) secrets.delete(secrets.values().next().value!);
}

/** How many secrets are masked now (tests). */
export function secretCount(): number {
  return secrets.size;
}

function mask(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return mask(value);
  if (value instanceof Error) return { name: value.name, message: mask(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '***' : redact(v, depth + 1);
    return out;
  }
  return value;
}

let defaultSink: LogSink = (line) => process.stdout.write(line + '\n');
let minLevel: LogLevel =
  (process.env.NIFTYBOX_LOG_LEVEL as LogLevel) in order ? (process.env.NIFTYBOX_LOG_LEVEL as LogLevel) : 'info';

/** Redirects all loggers (the CLI sends logs to stderr when stdout carries JSON; tests capture). */
export function setLogSink(sink: LogSink): void {
  defaultSink = sink;
}
export function setLogLevel(level: LogLevel): void {
  minLevel = level;
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const rec = {
      t: new Date().toISOString(),
      level,
      msg: mask(msg),
      ...(redact(base) as object),
      ...(fields ? (redact(fields) as object) : {}),
    };
    defaultSink(JSON.stringify(rec));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (f) => createLogger({ ...base, ...f }),
  };
}

/** Logs a given key at most once until `reset(key)`: for failures that repeat (a dead display). */
export class OnceLogger {
  private seen = new Set<string>();
  constructor(private readonly log: Logger) {}
  warn(key: string, msg: string, fields?: Record<string, unknown>): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.log.warn(msg, fields);
  }
  reset(key: string): void {
    this.seen.delete(key);
  }
}
