import { describe, expect, it } from 'vitest';
import { decodeFeedFrame } from '../../src/feed/upstox/feed-decoder.js';
import { MarketDataStream } from '../../src/feed/upstox/stream.js';
import { setLogSink } from '../../src/log.js';
import { encodeFrame, feedFor, marketInfoFrame } from '../../src/sim/feed-frames.js';
import { MarketSimulator } from '../../src/sim/market.js';
import { Prng } from '../../src/sim/prng.js';

function seedFrames(): { frames: Uint8Array[]; keys: string[] } {
  const sim = new MarketSimulator({ seed: 3 });
  const date = '2025-09-29';
  const ts = sim.session(date)!.openTs + 7_200_000;
  const opt = sim.contracts(date)[10]!;
  const frames: Uint8Array[] = [marketInfoFrame(ts, true)];
  for (const key of [sim.indexKey, opt.instrumentKey]) {
    for (const mode of ['ltpc', 'full', 'option_greeks', 'full_d30'] as const) {
      frames.push(
        encodeFrame({
          type: 'live_feed',
          currentTs: ts,
          feeds: { [key]: feedFor(sim, key, mode, sim.lastTrade(key, ts)!) },
        }),
      );
    }
  }
  return { frames, keys: [sim.indexKey, opt.instrumentKey] };
}

describe('decoder fuzzing', () => {
  it('survives 100,000+ random and mutated frames through the stream without throwing', () => {
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    try {
      const stream = new MarketDataStream({ feedUrl: 'ws://127.0.0.1:1/unused', token: 'x' });
      let ticks = 0;
      stream.on('tick', (t) => {
        ticks++;
        if (typeof t.ltp !== 'number' || typeof t.ts !== 'number') throw new Error('tick without numbers');
      });
      const { frames: seeds, keys } = seedFrames();
      stream.subscribe(keys, 'full'); // recorded only: there is no socket
      const r = new Prng(12345);
      const N = 100_000;
      for (let i = 0; i < N; i++) {
        let buf: Buffer;
        const kind = i % 4;
        if (kind === 0) {
          buf = Buffer.alloc(r.int(0, 200));
          for (let j = 0; j < buf.length; j++) buf[j] = r.int(0, 255);
        } else {
          const src = seeds[r.int(0, seeds.length - 1)]!;
          buf = Buffer.from(src);
          if (kind === 1)
            buf = buf.subarray(0, r.int(0, buf.length - 1)); // truncated
          else if (kind === 2)
            for (let f = r.int(1, 8); f > 0; f--) buf[r.int(0, buf.length - 1)] = r.int(0, 255); // bit flips
          else {
            // spliced: a piece of one frame inside another, plus random enum-ish varints
            const other = seeds[r.int(0, seeds.length - 1)]!;
            const at = r.int(0, buf.length);
            buf = Buffer.concat([
              buf.subarray(0, at),
              Buffer.from(other.subarray(r.int(0, other.length - 1))),
              Buffer.from([0x08, r.int(0, 127), 0x20, r.int(0, 127)]),
            ]);
          }
        }
        stream.handleMessage(buf, true);
      }
      stream.handleMessage(Buffer.from('text'), false);
      const s = stream.stats;
      expect(s.frames + s.badFrames).toBe(N);
      expect(s.badFrames).toBeGreaterThan(1000);
      expect(s.frames).toBeGreaterThan(1000);
      expect(s.textFrames).toBe(1);
      expect(ticks).toBeGreaterThan(0);
      expect(s.unknownKeys).toBeGreaterThan(0); // mutated keys are not passed on
      // Logged once per kind, not per frame.
      expect(lines.filter((l) => l.includes('could not be decoded')).length).toBe(1);
    } finally {
      setLogSink((l) => process.stdout.write(l + '\n'));
    }
  });

  it('decodeFeedFrame treats a missing type as initial_feed and unknown enums as counted unknowns', () => {
    const f = decodeFeedFrame(Buffer.from([0x08, 0x07, 0x18, 0x01]));
    expect(f.type).toBe('unknown');
    expect(f.unknownEnums).toBe(1);
    expect(decodeFeedFrame(new Uint8Array(0)).type).toBe('initial_feed');
  });
});
