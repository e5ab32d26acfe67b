/**
 * The local control channel: `niftybox halt` / `resume` / `status` reach the running appliance over
 * a unix socket beside the ledger (one JSON line each way). Only local users with access to the
 * state directory can use it.
 */
import { accessSync, chmodSync, chownSync, constants, existsSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection, createServer, type Server } from 'node:net';
import type { ApplianceState } from '../core/state.js';
import type { Logger } from '../log.js';
import type { ControlPort } from '../output.js';
import { realClock, type Clock, type Timer } from '../lib/clock.js';

export interface ControlRequest {
  cmd: 'halt' | 'resume' | 'status';
  reason?: string;
}

export interface ControlResponse {
  ok: boolean;
  error?: string;
  state?: ApplianceState;
}

export function controlSocketPath(dbFile: string): string {
  return `${dbFile}.sock`;
}

/** A request line longer than this is answered with an error and the connection closed. */
export const MAX_REQUEST_BYTES = 4096;
/** A connection that sends nothing for this long is closed (a client holding sockets open). */
export const CONTROL_IDLE_MS = 30_000;
const COMMANDS: readonly string[] = ['halt', 'resume', 'status'];
const USE = 'send one JSON object per line: {"cmd":"halt"|"resume"|"status"}';

/** One request line read as a ControlRequest, or why it is not one. */
export function parseControlRequest(line: string): ControlRequest | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: `request is not JSON: ${USE}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: `request is not a JSON object: ${USE}` };
  const { cmd, reason } = v as Record<string, unknown>;
  if (typeof cmd !== 'string' || !COMMANDS.includes(cmd)) {
    const shown = typeof cmd === 'string' ? cmd.slice(0, 40) : JSON.stringify(cmd ?? null).slice(0, 40);
    return { error: `unknown command "${shown}": use halt, resume or status` };
  }
  if (reason !== undefined && typeof reason !== 'string') return { error: 'reason must be a string' };
  return { cmd: cmd as ControlRequest['cmd'], ...(reason ? { reason: reason.slice(0, 200) } : {}) };
}

/** The gid of group `name` from /etc/group, or null when there is no such group. */
export function groupId(name: string, groupFile = '/etc/group'): number | null {
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [group, , gid] = line.split(':');
      if (group === name && gid && /^\d+$/.test(gid)) return Number(gid);
    }
  } catch {
    // no readable group file: leave the socket with the process's group
  }
  return null;
}

/** Owner and members of group `niftybox` may talk to the box (status, halt, resume); nobody else. */
function restrictSocket(path: string, log: Logger): void {
  chmodSync(path, 0o660);
  const gid = groupId('niftybox');
  if (gid === null) return;
  try {
    chownSync(path, process.getuid?.() ?? -1, gid);
  } catch (err) {
    log.warn('control: could not give the socket to group niftybox', { socket: path, error: (err as Error).message });
  }
}

export interface ControlServerOptions {
  /** The idle timeout runs on it. Default the system clock. */
  clock?: Clock;
  idleMs?: number;
}

/**
 * Each connection may send any number of request lines and gets one answer line each. A line that
 * is not a request gets an error line; a line over MAX_REQUEST_BYTES, a silent connection or a
 * failing handler closes that connection only.
 */
export function startControlServer(
  path: string,
  port: ControlPort,
  state: () => ApplianceState,
  log: Logger,
  opts: ControlServerOptions = {},
): Promise<Server> {
  const clock = opts.clock ?? realClock;
  const idleMs = opts.idleMs ?? CONTROL_IDLE_MS;
  const answer = (req: ControlRequest): ControlResponse => {
    if (req.cmd === 'halt') port.halt(req.reason || 'halted from the command line', 'cli');
    else if (req.cmd === 'resume') port.resume('cli');
    return { ok: true, state: state() };
  };
  // A socket file left by a killed process: nothing listens on it any more (the ledger lock proved we are the only
  // writer).
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((sock) => {
    let buf: Buffer = Buffer.alloc(0);
    let idle: Timer | null = null;
    /** Refusals are logged once per connection: a client spraying garbage costs one log line. */
    let refusals = 0;
    let closed = false;
    const close = (last?: ControlResponse) => {
      if (closed) return;
      closed = true;
      idle?.cancel();
      idle = null;
      if (last && sock.writable) sock.end(JSON.stringify(last) + '\n');
      else sock.destroy();
    };
    const arm = () => {
      idle?.cancel();
      idle = clock.after(
        idleMs,
        () => close({ ok: false, error: `no request for ${Math.round(idleMs / 1000)} s: closing` }),
        { background: true },
      );
    };
    const send = (r: ControlResponse) => {
      if (!r.ok && refusals++ === 0) log.warn('control: request refused', { error: r.error });
      sock.write(JSON.stringify(r) + '\n');
    };
    sock.on('error', () => close());
    sock.on('close', () => close());
    sock.on('data', (chunk: Buffer) => {
      if (closed) return;
      try {
        arm();
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
          const line = buf.subarray(0, nl).toString('utf8').trim();
          buf = buf.subarray(nl + 1);
          if (nl > MAX_REQUEST_BYTES)
            return close({ ok: false, error: `request too large (over ${MAX_REQUEST_BYTES} bytes)` });
          const req = parseControlRequest(line);
          send('error' in req ? { ok: false, error: req.error } : answer(req));
        }
        if (buf.length > MAX_REQUEST_BYTES)
          close({ ok: false, error: `request too large (over ${MAX_REQUEST_BYTES} bytes)` });
      } catch (err) {
        log.error('control: request failed; closing that connection', { error: (err as Error).message });
        close({ ok: false, error: `the box could not answer: ${(err as Error).message}` });
      }
    });
    arm();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      restrictSocket(path, log);
      log.info('control: listening', { socket: path });
      resolve(server);
    });
  });
}

/** Why the control channel failed: nobody listening (`absent`), not allowed (`permission`), or a bad answer. */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly kind: 'absent' | 'permission' | 'timeout' | 'protocol',
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

const JOIN_GROUP = 'join group niftybox (sudo usermod -aG niftybox $USER, then log in again) or use sudo';

/** Sends one request and resolves with its answer line. */
export function sendControl(path: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    try {
      accessSync(dirname(path), constants.X_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES')
        return reject(new ControlError(`permission denied on ${dirname(path)} (EACCES): ${JOIN_GROUP}`, 'permission'));
    }
    if (!existsSync(path))
      return reject(
        new ControlError(
          `no appliance is running (looked for its control socket at ${path}); start it with "niftybox run"`,
          'absent',
        ),
      );
    const sock = createConnection(path);
    let buf = '';
    const timer = realClock.after(timeoutMs, () => {
      sock.destroy();
      reject(new ControlError(`the appliance did not answer on ${path} within ${timeoutMs} ms`, 'timeout'));
    });
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      timer.cancel();
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch {
        reject(new ControlError(`the appliance answered something that is not JSON: ${buf.slice(0, 100)}`, 'protocol'));
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      timer.cancel();
      reject(
        err.code === 'ECONNREFUSED'
          ? new ControlError(
              `no appliance is running (looked for its control socket at ${path}: a ` +
                `stale socket from a stopped run, nothing listens on it); start it with ` +
                `"niftybox run"`,
              'absent',
            )
          : err.code === 'EACCES'
            ? new ControlError(`permission denied on ${path} (EACCES): ${JOIN_GROUP}`, 'permission')
            : new ControlError(`control socket ${path}: ${err.message}`, 'protocol'),
      );
    });
    sock.on('end', () => {
      timer.cancel();
      try {
        resolve(JSON.parse(buf));
      } catch {
        reject(new ControlError(`the appliance answered something that is not JSON: ${buf.slice(0, 100)}`, 'protocol'));
      }
    });
  });
}
