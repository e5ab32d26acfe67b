// Preload for the session bench (node --import): puts the whole process on the fake exchange's virtual
// clock, so a live `niftybox run` (system clock, real client, no demo code) can live through a full
// session in minutes. Date and Date.now run `speed` times faster from `start`, counted from the real
// instant `t0` — the same formula scripts/fake-upstox.mjs uses. Timers stay real, as in the demo;
// node-cron is swapped for scripts/lib/virtual-cron.mjs (the one thing that needs real minutes).
//   NIFTYBOX_BENCH_CLOCK=<start ms>,<speed>,<t0 ms>
// It also answers SIGUSR2 by writing process.memoryUsage() as one JSON line to NIFTYBOX_BENCH_PROBE
// (and a heap snapshot to NIFTYBOX_BENCH_HEAPSNAPSHOT when that is set).
import { writeFileSync } from 'node:fs';
import cron from 'node-cron';
import { schedule as virtualSchedule } from './virtual-cron.mjs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const spec = process.env.NIFTYBOX_BENCH_CLOCK;
if (spec) {
  const [start, speed, t0] = spec.split(',').map(Number);
  const RealDate = Date;
  const realNow = RealDate.now;
  const now = () => Math.floor(start + (realNow() - t0) * speed);
  class VirtualDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
  }
  globalThis.Date = VirtualDate;
  // node-cron's real-minute timers never fire on a fast clock: a virtual-minute stand-in takes its place
  // (the default export is a plain object the app calls cron.schedule on; no loader hook, whose worker
  // thread would add its own V8 isolate to the RSS being measured).
  cron.schedule = virtualSchedule;
}
const probe = process.env.NIFTYBOX_BENCH_PROBE;
if (probe) {
  process.on('SIGUSR2', () => {
    const m = process.memoryUsage();
    const snapshot = process.env.NIFTYBOX_BENCH_HEAPSNAPSHOT; // a file name: for finding what holds memory
    if (snapshot) writeHeapSnapshot(snapshot);
    writeFileSync(
      probe,
      JSON.stringify({
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        spaces: Object.fromEntries(
          getHeapSpaceStatistics().map((x) => [
            x.space_name,
            { size: x.space_size, used: x.space_used_size, physical: x.physical_space_size },
          ]),
        ),
      }) + '\n',
    );
  });
}
