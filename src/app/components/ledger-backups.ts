/**
 * Ledger backups after each session's close (config.backup): an online backup into backups/ beside
 * the ledger, the oldest beyond `keep` deleted, then a copy to `copyTo` (a USB stick) when set. It runs
 * after the close has been committed and in steps between which the loop runs (SQLite's backup API),
 * so trading never waits for it; a failure is a warning alert, never a stop. A backup is named by its
 * session's close (closes that come while one is made are covered by the one after it).
 */
import { join } from 'node:path';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { backupDir, backupName, copyBackup, pruneBackups } from '../../store/backups.js';
import type { Ledger } from '../../store/ledger.js';
import type { TradingLoop } from '../trading-loop.js';
import type { Component, ComponentContext } from './component.js';

export class LedgerBackups implements Component {
  readonly name = 'ledger-backups';
  private running: Promise<void> | null = null;
  /** The close of a session whose backup has not started yet. */
  private pending: number | null = null;

  constructor(
    private readonly ledger: Ledger,
    private readonly loop: TradingLoop,
    private readonly config: Config['backup'],
    private readonly log: Logger,
  ) {}

  start(ctx: ComponentContext): void {
    if (!this.config.enabled) return;
    ctx.own(
      this.loop.onSessionEnd((closeTs) => {
        this.pending = closeTs;
        ctx.after(0, () => this.kick()); // out of the close's own call stack, on the next turn of the event loop
      }),
    );
  }

  /** A backup due but not started (a replay that ends at a close) is made before the ledger closes. */
  async stop(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** Starts the due backup unless one is being made (then it follows that one). */
  private kick(): void {
    if (this.running || this.pending === null) return;
    const closeTs = this.pending;
    this.pending = null;
    this.running = this.backup(closeTs).finally(() => {
      this.running = null;
      this.kick();
    });
  }

  private async backup(closeTs: number): Promise<void> {
    const dir = backupDir(this.ledger.file);
    const file = join(dir, backupName(this.ledger.file, closeTs));
    const started = performance.now();
    try {
      await this.ledger.backup(file);
      const pruned = pruneBackups(this.ledger.file, dir, this.config.keep);
      this.log.info('ledger backup', { file, ms: Math.round(performance.now() - started), pruned: pruned.length });
    } catch (err) {
      this.log.warn('ledger backup failed', { file, error: (err as Error).message });
      this.loop.alert('warn', 'BACKUP', `the ledger backup to ${file} failed: ${(err as Error).message}`);
      return;
    }
    if (!this.config.copyTo) return;
    try {
      const copy = copyBackup(this.ledger.file, file, this.config.copyTo, this.config.keep);
      this.log.info('ledger backup copied', { copy });
    } catch (err) {
      this.log.warn('ledger backup copy failed', { copyTo: this.config.copyTo, error: (err as Error).message });
      this.loop.alert(
        'warn',
        'BACKUP',
        `the ledger backup could not be copied to ${this.config.copyTo}: ${(err as Error).message}`,
      );
    }
  }
}
