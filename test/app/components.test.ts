import { describe, expect, it } from 'vitest';
import { AppBus, Components, type Component, type ComponentContext } from '../../src/app/components/component.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { TypedEmitter } from '../../src/feed/upstox/emitter.js';

class FakeFeed extends TypedEmitter<{ tick: number }> {
  send(n: number): void {
    this.emit('tick', n);
  }
}

function setup() {
  const lines: Record<string, unknown>[] = [];
  setLogSink((l) => lines.push(JSON.parse(l)));
  const clock = new ManualClock(0);
  const bus = new AppBus();
  return { lines, clock, bus, components: new Components(bus, clock, createLogger()) };
}

describe('app components', () => {
  it(
    'an exception in one component (listener, timer, async handler, start) is ' +
      'caught and logged once; the others carry on',
    async () => {
      const { lines, clock, bus, components } = setup();
      const feed = new FakeFeed();
      const seen: string[] = [];
      const broken: Component = {
        name: 'broken',
        start(ctx) {
          ctx.on('jumped', () => {
            throw new Error('listener boom');
          });
          ctx.own(
            feed.on(
              'tick',
              ctx.guard(() => Promise.reject(new Error('async boom'))),
            ),
          );
          ctx.every(1_000, () => {
            throw new Error('timer boom');
          });
        },
      };
      const failsToStart: Component = {
        name: 'fails-to-start',
        start: () => Promise.reject(new Error('start boom')),
      };
      const healthy: Component = {
        name: 'healthy',
        start(ctx) {
          ctx.on('jumped', (ts) => seen.push(`jumped ${ts}`));
          ctx.own(
            feed.on(
              'tick',
              ctx.guard((n: number) => seen.push(`tick ${n}`)),
            ),
          );
          ctx.every(1_000, () => seen.push(`timer ${clock.now()}`));
        },
      };
      await components.start([broken, failsToStart, healthy]);
      for (let i = 0; i < 3; i++) {
        bus.emit('jumped', i);
        feed.send(i);
      }
      clock.advance(3_000);
      await new Promise((r) => setTimeout(r, 0)); // the rejected promises settle
      expect(seen).toEqual([
        'jumped 0',
        'tick 0',
        'jumped 1',
        'tick 1',
        'jumped 2',
        'tick 2',
        'timer 1000',
        'timer 2000',
        'timer 3000',
      ]);
      const failures = lines.filter((l) => l.msg === 'component failed; the others carry on');
      expect(failures.map((l) => [l.component, l.error]).sort()).toEqual([
        ['broken', 'async boom'],
        ['broken', 'listener boom'],
        ['broken', 'timer boom'],
        ['fails-to-start', 'start boom'],
      ]); // three times each, logged once each
      expect(failures.every((l) => l.level === 'error')).toBe(true);
      await components.stop();
    },
  );

  it('stop() removes every listener and cancels every timer the components took', async () => {
    const { clock, bus, components } = setup();
    const feed = new FakeFeed();
    let calls = 0;
    let stopped = 0;
    const c: Component = {
      name: 'c',
      start(ctx: ComponentContext) {
        ctx.on('finished', () => calls++);
        ctx.own(
          feed.on(
            'tick',
            ctx.guard(() => calls++),
          ),
        );
        ctx.every(100, () => calls++);
        ctx.after(500, () => calls++);
      },
      stop: () => void stopped++,
    };
    await components.start([c]);
    expect(clock.pendingTimers).toBe(2);
    expect(bus.listenerCount('finished')).toBe(1);
    await components.stop();
    expect(stopped).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    expect(bus.listenerCount('finished')).toBe(0);
    bus.emit('finished');
    feed.send(1);
    clock.advance(1_000);
    expect(calls).toBe(0);
  });
});
