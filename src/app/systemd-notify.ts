/**
 * systemd Type=notify: READY=1 once the ledger is open and outputs run, then WATCHDOG=1 at half the
 * watchdog period while the event loop is responsive. Node cannot send unix datagrams itself, so it
 * asks `systemd-notify` (NotifyAccess=all in the unit). A no-op outside systemd.
 */
import { execFile } from 'node:child_process';

export function notifySystemd(state: string): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execFile('systemd-notify', [state], { timeout: 5000 }, () => undefined);
}

/** Starts the watchdog pings; returns a stop function. */
export function startSystemdWatchdog(healthy: () => boolean = () => true): () => void {
  const usec = Number(process.env.WATCHDOG_USEC);
  if (!process.env.NOTIFY_SOCKET || !(usec > 0)) return () => undefined;
  const timer = setInterval(() => {
    if (healthy()) notifySystemd('WATCHDOG=1');
  }, usec / 2000);
  timer.unref();
  return () => clearInterval(timer);
}
