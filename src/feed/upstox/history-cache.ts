/**
 * The resumable cache of `niftybox fetch`: one small JSON file per fetched unit (an index day, a day's
 * option pair, a past expiry's contract list), each written durably (src/lib/durable-file.ts), so an
 * interrupted run (Ctrl-C, SIGKILL, power cut) leaves only whole entries behind.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../../lib/durable-file.js';

export type CacheKind = 'index' | 'options' | 'contracts';

export class HistoryCache {
  constructor(readonly dir: string) {}

  private file(kind: CacheKind, name: string): string {
    return join(this.dir, kind, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  has(kind: CacheKind, name: string): boolean {
    return existsSync(this.file(kind, name));
  }

  /** The stored value, or undefined when absent or unreadable (a damaged entry is fetched again). */
  get<T>(kind: CacheKind, name: string): T | undefined {
    const f = this.file(kind, name);
    if (!existsSync(f)) return undefined;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  put(kind: CacheKind, name: string, value: unknown): void {
    const f = this.file(kind, name);
    mkdirSync(join(this.dir, kind), { recursive: true });
    writeFileDurable(f, JSON.stringify(value));
  }
}
