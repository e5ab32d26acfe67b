/** One writer per ledger, across processes: refused while it lives, taken over once it dies. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, LedgerError } from '../../src/store/ledger.js';
import { captureLog, requireBuiltLedger, removeTempDirs, tempDir } from './helpers.js';

const HOLDER = fileURLToPath(new URL('./fixtures/hold-writer.mjs', import.meta.url));
const DROPPER = fileURLToPath(new URL('./fixtures/dropped-writer.mjs', import.meta.url));

function spawnUntilReady(args: string[]) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => reject(new Error(`child exited before it was ready: ${out}`)));
  });
  return { child, exited, ready };
}

beforeAll(requireBuiltLedger);

afterAll(removeTempDirs);

describe('single writer across processes', () => {
  it(
    'refuses a second writer while the first process lives, allows readers, ' + 'and takes over after it is killed',
    async () => {
      const file = path.join(tempDir(), 'ledger.db');
      const { child, exited, ready: readyLine } = spawnUntilReady([HOLDER, file]);
      try {
        const ready = await readyLine;
        expect(ready).toBe(`ready ${child.pid}`);

        let refused: unknown;
        try {
          Ledger.open(file, { log: captureLog() });
        } catch (err) {
          refused = err;
        }
        expect(refused).toBeInstanceOf(LedgerError);
        expect((refused as LedgerError).kind).toBe('in_use');
        expect((refused as Error).message).toContain(`already open for writing by process ${child.pid}`);
        expect((refused as Error).message).toContain(file);

        const reader = Ledger.open(file, { log: captureLog(), readonly: true });
        expect(reader.haltState()).toMatchObject({ halted: true, reason: 'held by fixture' });
        expect(reader.loadCheckpoint()).toEqual({ ts: expect.any(Number), data: { holder: child.pid } });
        reader.close();
      } finally {
        child.kill('SIGKILL');
      }
      expect(await exited).toBe('SIGKILL');

      // the dead holder left its owner file behind; the kernel already dropped its lock
      expect(fs.existsSync(`${file}.lock-owner`)).toBe(true);
      const log = captureLog();
      const ledger = Ledger.open(file, { log });
      try {
        expect(ledger.haltState().reason).toBe('held by fixture');
        expect(
          log.lines.find((l) => l.level === 'warn' && /previous writer did not close cleanly/.test(l.msg))?.fields,
        ).toMatchObject({ previousPid: child.pid });
        ledger.commit([{ type: 'resume', ts: Date.now(), source: 'cli' }], null);
        expect(ledger.haltState().halted).toBe(false);
      } finally {
        ledger.close();
      }
      expect(fs.existsSync(`${file}.lock-owner`)).toBe(false); // a clean close removes it
      Ledger.open(file, { log: captureLog() }).close(); // and the lock is free again
    },
  );

  it(
    'keeps the lock of a ledger the app dropped without closing (garbage ' + 'collection does not release it)',
    async () => {
      const file = path.join(tempDir(), 'ledger.db');
      const { child, exited, ready } = spawnUntilReady(['--expose-gc', DROPPER, file]);
      try {
        expect(await ready).toBe(`ready ${child.pid}`);
        let refused: unknown;
        try {
          Ledger.open(file, { log: captureLog() }).close();
        } catch (err) {
          refused = err;
        }
        expect((refused as LedgerError | undefined)?.kind).toBe('in_use');
      } finally {
        child.kill('SIGKILL');
      }
      await exited;
    },
  );
});
