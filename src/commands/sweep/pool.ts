/**
 * The sweep's worker threads: each gets the shared candles once, then variants one at a time (two in
 * flight per worker, so none waits for the next). Results are handed on in grid order whatever the
 * number of workers; `stop()` terminates every worker at once.
 */
import { Worker } from 'node:worker_threads';
import type { FlatParams } from '../../core/sweep.js';
import type { WorkerReply, WorkerSetup } from './worker.js';

export interface PoolJob {
  workers: number;
  setup: WorkerSetup;
  total: number;
  paramsOf: (i: number) => FlatParams;
  /** Called for 0, 1, 2 … in order. */
  onResult: (i: number, records: Float64Array) => void;
}

const IN_FLIGHT = 2;

export class SweepPool {
  private readonly threads: Worker[] = [];
  private stopped = false;

  run(job: PoolJob): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiting = new Map<number, Float64Array>();
      let sent = 0;
      let delivered = 0;
      const fail = (err: Error) => {
        this.stop();
        reject(err);
      };
      const feed = (w: Worker) => {
        if (sent < job.total && !this.stopped) {
          const i = sent++;
          w.postMessage({ index: i, params: job.paramsOf(i) });
        }
      };
      const count = Math.max(1, Math.min(job.workers, job.total));
      for (let k = 0; k < count; k++) {
        const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: job.setup });
        this.threads.push(w);
        w.on('message', (reply: WorkerReply) => {
          if (this.stopped) return;
          if ('error' in reply) return fail(new Error(`variant ${reply.index}: ${reply.error}`));
          waiting.set(reply.index, reply.records);
          while (waiting.has(delivered)) {
            const records = waiting.get(delivered)!;
            waiting.delete(delivered);
            try {
              job.onResult(delivered++, records);
            } catch (err) {
              return fail(err as Error);
            }
          }
          if (delivered === job.total) {
            this.stop();
            resolve();
          } else feed(w);
        });
        w.on('error', fail);
        for (let j = 0; j < IN_FLIGHT; j++) feed(w);
      }
    });
  }

  /** Terminates every worker (idempotent). */
  stop(): void {
    this.stopped = true;
    for (const w of this.threads) void w.terminate();
    this.threads.length = 0;
  }
}
