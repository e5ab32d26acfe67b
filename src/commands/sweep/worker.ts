/**
 * A sweep worker thread: builds the candles once from the shared memory, then runs each variant it is
 * sent and posts back its per-day records (the buffer transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MarketCalendar } from '../../core/calendar.js';
import type { FlatParams } from '../../core/sweep.js';
import { unshareCandles, type SharedCandles } from './shared-candles.js';
import { runVariant, strategyByName } from './strategy.js';

export interface WorkerSetup {
  candles: SharedCandles;
  strategy: string;
  from: string;
  to: string;
  days: string[];
}

export type WorkerRequest = { index: number; params: FlatParams };
export type WorkerReply = { index: number; records: Float64Array } | { index: number; error: string };

const setup = workerData as WorkerSetup;
const strategy = strategyByName(setup.strategy)!;
const { index, options } = unshareCandles(setup.candles);
const data = { index, options, from: setup.from, to: setup.to, days: setup.days, calendar: new MarketCalendar() };

parentPort!.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { index: req.index, records: runVariant(strategy, req.params, data) };
  } catch (err) {
    reply = { index: req.index, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply, 'records' in reply ? [reply.records.buffer as ArrayBuffer] : []);
});
