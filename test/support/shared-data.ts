import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedData = resolve(repoRoot, '..', 'shared', 'data');
export const indexCsv = join(sharedData, 'nifty50-5min.csv');
export const optionsCsv = join(sharedData, 'nifty-atm-options-5min.csv');
export const expectedTradesJson = join(sharedData, 'v25-expected-trades-2025-06-to-08.json');

/** Whether ../shared/data is present; tests that need it skip with this reason when it is not. */
export const hasSharedData = existsSync(indexCsv) && existsSync(optionsCsv) && existsSync(expectedTradesJson);
export const noSharedDataReason = `../shared/data not found at ${sharedData}: real-data tests skipped`;
if (!hasSharedData) console.warn(noSharedDataReason);

export function readShared(path: string): string {
  return readFileSync(path, 'utf8');
}

export interface ExpectedTrade {
  day: string;
  side: 'CE' | 'PE';
  instrumentKey: string;
  entryTime: string;
  entryPrice: number;
  exitTime: string;
  exitPrice: number;
  reason: string;
  points: number;
}

export function expectedTrades(): ExpectedTrade[] {
  return JSON.parse(readShared(expectedTradesJson)).trades;
}
