// Decode throughput: our stream decoder vs the official SDK's path (protobufjs decode with the SDK's
// own proto and protobufjs, then JSON.stringify, then JSON.parse — what MarketDataStreamerV3 hands a
// user). Same frames, one run. Needs `npm run build` (imports ../dist) and the upstox-js-sdk devDependency.
// Every feed mode; `--json` prints decode.<mode>.{ours, sdkPath, ratio} (frames/s) as the last line.
// Target: ratio ≥ 3 for full and ltpc (the modes the box subscribes).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { decodeFeedFrame } from '../dist/feed/upstox/feed-decoder.js';
import { encodeFrame, feedFor } from '../dist/sim/feed-frames.js';
import { MarketSimulator } from '../dist/sim/market.js';

const sdkDir = fileURLToPath(new URL('../node_modules/upstox-js-sdk/', import.meta.url));
const sdkProtobuf = createRequire(sdkDir + 'package.json')('protobufjs');
const FeedResponse = sdkProtobuf
  .loadSync(sdkDir + 'dist/feeder/proto/MarketDataFeedV3.proto')
  .lookupType('com.upstox.marketdatafeederv3udapi.rpc.proto.FeedResponse');

// Realistic frames: what the app subscribes — the index plus the day's ATM CE and PE.
const sim = new MarketSimulator({ seed: 25 });
const date = '2025-09-29';
const session = sim.session(date);
const spot0 = sim.lastTrade(sim.indexKey, session.openTs + 60_000).price;
const atm = Math.round(spot0 / 50) * 50;
const [ce, pe] = ['CE', 'PE'].map((s) =>
  sim.contracts(date).find((c) => c.expiry === '2025-09-30' && c.strike === atm && c.side === s),
);

function makeFrames(mode, n) {
  const frames = [];
  for (let i = 0; i < n; i++) {
    const ts = session.openTs + 60_000 + i * 1000;
    const feeds = {};
    for (const key of [sim.indexKey, ce.instrumentKey, pe.instrumentKey])
      feeds[key] = feedFor(sim, key, mode, sim.lastTrade(key, ts));
    frames.push(encodeFrame({ type: 'live_feed', currentTs: ts + 20, feeds }));
  }
  return frames;
}

function timeIt(fn, frames, minMs = 400) {
  let n = 0;
  let sink = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (const f of frames) sink += fn(f);
    n += frames.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  if (sink === -1) console.log(sink);
  return (n / elapsed) * 1000; // frames per second
}

const ours = (buf) => decodeFeedFrame(buf).ticks.length;
const sdk = (buf) => {
  const msg = JSON.parse(JSON.stringify(FeedResponse.decode(buf)));
  return Object.keys(msg.feeds ?? {}).length;
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const json = process.argv.includes('--json');
const decode = {};
console.log(`node ${process.version}; frames = index + ATM CE + PE per message`);
for (const mode of ['full', 'ltpc', 'option_greeks', 'full_d30']) {
  const frames = makeFrames(mode, 2000);
  const bytes = frames.reduce((a, f) => a + f.length, 0) / frames.length;
  timeIt(ours, frames, 300); // warm up both
  timeIt(sdk, frames, 300);
  const a = [];
  const b = [];
  for (let r = 0; r < 5; r++) {
    a.push(timeIt(ours, frames));
    b.push(timeIt(sdk, frames));
  }
  const o = median(a);
  const s = median(b);
  console.log(
    `mode ${mode.padEnd(13)} (${bytes.toFixed(0)} B/frame): ours ${Math.round(o).toLocaleString('en-US')} frames/s, ` +
      `SDK path ${Math.round(s).toLocaleString('en-US')} frames/s, ratio ${(o / s).toFixed(2)}x`,
  );
  const ratio = +(o / s).toFixed(2);
  decode[mode] = {
    ours: Math.round(o),
    sdkPath: Math.round(s),
    ratio: mode === 'full' || mode === 'ltpc' ? { value: ratio, target: '>= 3' } : ratio,
  };
}
if (json) console.log(JSON.stringify({ decode }));
