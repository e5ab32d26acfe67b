/**
 * A promise nobody awaited failed: the process is in a state nobody planned for. Log it, raise an alert
 * (committed to the ledger, announced), and exit non-zero so systemd restarts the box from its ledger.
 */
import type { Logger } from '../log.js';

export interface CrashHandlerOptions {
  log: Logger;
  alert: (message: string) => void;
  exit?: (code: number) => void;
}

export const UNHANDLED_EXIT_CODE = 70; // EX_SOFTWARE

/** The handler itself (exported for tests); `installCrashHandlers` puts it on the process. */
export function unhandledRejectionHandler(o: CrashHandlerOptions): (reason: unknown) => void {
  return (reason) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    try {
      o.log.error('unhandled promise rejection: exiting so that systemd restarts the box', {
        error: message,
        stack: reason instanceof Error ? reason.stack : undefined,
      });
      o.alert(`internal error (unhandled rejection): ${message}; restarting`);
    } finally {
      (o.exit ?? ((c: number) => process.exit(c)))(UNHANDLED_EXIT_CODE);
    }
  };
}

export function installCrashHandlers(o: CrashHandlerOptions): () => void {
  const h = unhandledRejectionHandler(o);
  process.on('unhandledRejection', h);
  return () => process.off('unhandledRejection', h);
}
