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
import { realClock } from '../lib/clock.js';

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

const MAX_REQUEST_BYTES = 4096;

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

export function startControlServer(path: string, port: ControlPort, state: () => ApplianceState, log: Logger): Promise<Server> {
  // A socket file left by a killed process: nothing listens on it any more (the ledger lock proved we are the only writer).
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) return reply({ ok: false, error: 'request too large' });
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        return reply({ ok: false, error: 'request is not JSON: send {"cmd":"halt"|"resume"|"status"}' });
      }
      if (req.cmd === 'halt') port.halt(typeof req.reason === 'string' && req.reason ? req.reason.slice(0, 200) : 'halted from the command line', 'cli');
      else if (req.cmd === 'resume') port.resume('cli');
      else if (req.cmd !== 'status') return reply({ ok: false, error: `unknown command "${String(req.cmd)}": use halt, resume or status` });
      reply({ ok: true, state: state() });
    });
    function reply(r: ControlResponse) {
      sock.end(JSON.stringify(r) + '\n');
      if (!r.ok) log.warn('control: request refused', { error: r.error });
    }
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

export function sendControl(path: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    try {
      accessSync(dirname(path), constants.X_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') return reject(new ControlError(`permission denied on ${dirname(path)} (EACCES): ${JOIN_GROUP}`, 'permission'));
    }
    if (!existsSync(path)) return reject(new ControlError(`no appliance is running (looked for its control socket at ${path}); start it with "niftybox run"`, 'absent'));
    const sock = createConnection(path);
    let buf = '';
    const timer = realClock.after(timeoutMs, () => {
      sock.destroy();
      reject(new ControlError(`the appliance did not answer on ${path} within ${timeoutMs} ms`, 'timeout'));
    });
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (c: string) => (buf += c));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      timer.cancel();
      reject(
        err.code === 'ECONNREFUSED'
          ? new ControlError(`no appliance is running (looked for its control socket at ${path}: a stale socket from a stopped run, nothing listens on it); start it with "niftybox run"`, 'absent')
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
