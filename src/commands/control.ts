/** `niftybox halt [--reason R]`, `niftybox resume`, `niftybox status`: talk to the running appliance. */
import { existsSync } from 'node:fs';
import { dbPath, loadConfig } from '../config.js';
import {
  ControlError,
  controlSocketPath,
  sendControl,
  type ControlRequest,
  type ControlResponse,
} from '../app/control.js';
import { statusLine } from '../app/console-output.js';
import { parseFlags } from './args.js';
import { usageOf } from './usage.js';
import { DataError, IoError, UnavailableError } from '../lib/errors.js';
import { demoLedgerPath, selectMode } from '../app/mode.js';

function controlCommand(cmd: ControlRequest['cmd']) {
  return async (argv: string[]): Promise<number> => {
    const { values } = parseFlags(
      argv,
      {
        config: { type: 'string' },
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...(cmd === 'halt' ? { reason: { type: 'string' as const } } : {}),
      },
      usageOf(cmd),
    );
    const loaded = loadConfig(values.config as string | undefined);
    const { config } = loaded;
    let socket = controlSocketPath((values.db as string | undefined) ?? dbPath(config));
    // No live box running but a demo is (its own ledger, see isolateDemo): talk to the demo.
    const demoSocket = controlSocketPath(demoLedgerPath(config.stateDir));
    if (!values.db && !existsSync(socket) && existsSync(demoSocket)) socket = demoSocket;
    let res: ControlResponse;
    try {
      res = await sendControl(socket, { cmd, reason: values.reason as string | undefined });
    } catch (err) {
      let would = '';
      try {
        const choice = selectMode({ config, configFile: loaded.file, lookedAt: loaded.lookedAt });
        would = `. "niftybox run" would choose: ${choice.reason}`;
      } catch {
        // the token file is unreadable: the error above is the one to show
      }
      const kind = err instanceof ControlError ? err.kind : 'protocol';
      if (kind === 'permission') throw new IoError((err as Error).message);
      if (kind === 'absent' || kind === 'timeout') throw new UnavailableError(`${(err as Error).message}${would}`);
      throw new DataError(`${(err as Error).message}${would}`);
    }
    if (!res.ok) throw new DataError(res.error ?? 'refused');
    if (values.json) process.stdout.write(JSON.stringify(res.state) + '\n');
    else {
      const s = res.state!;
      process.stdout.write(
        `mode: ${s.mode}\ntrading: ${s.trading}${s.haltReason ? ` (${s.haltReason})` : ''}\n${statusLine(s)}\n`,
      );
    }
    return 0;
  };
}

export const haltCommand = controlCommand('halt');
export const resumeCommand = controlCommand('resume');
export const statusCommand = controlCommand('status');
