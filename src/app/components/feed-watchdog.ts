/**
 * Feed watchdog: the guards that stop new entries when the feed, or the clock it is measured by, cannot
 * be trusted — FEED_DOWN (disconnected in session), STALE_FEED (silent while open), CLOCK_SKEW (the
 * system clock off the exchange's), CLOCK_UNSYNCED (no NTP sync; checked at start, at the warm-up
 * and every minute). A dead token from the feed goes to the login page.
 */
import type { FeedTick, StreamEvents } from '../../feed/upstox/index.js';
import type { LiveSession } from '../live-session.js';
import type { Component, ComponentContext } from './component.js';

const CLOCK_CHECK_MS = 60_000;

export class FeedWatchdog implements Component {
  readonly name = 'feed-watchdog';

  constructor(private readonly s: LiveSession) {}

  async start(ctx: ComponentContext): Promise<void> {
    const { loop, o } = this.s;
    const { stream, log } = o;
    ctx.own(
      stream.on(
        'tick',
        ctx.guard((t: FeedTick) => this.onTick(t)),
      ),
    );
    ctx.own(
      stream.on(
        'connected',
        ctx.guard(() => {
          loop.status.feedConnected = true;
          ctx.bus.emit('feedConnected', this.s.now());
          loop.setGuard('FEED_DOWN', false, 'feed disconnected');
        }),
      ),
    );
    ctx.own(
      stream.on(
        'disconnected',
        ctx.guard((d: StreamEvents['disconnected']) => {
          // A connection lost in session: down now. A connect attempt that failed while the feed was already down
          // (a start whose feed never opens) waits for the stream's 'down' after staleFeedSeconds.
          const wasUp = loop.status.feedConnected;
          loop.status.feedConnected = false;
          if (wasUp && this.s.inSession())
            loop.setGuard('FEED_DOWN', true, `feed disconnected (${d.code} ${d.reason || ''}); reconnecting`);
        }),
      ),
    );
    // Not connected for staleFeedSeconds of open market: FEED_DOWN (if a drop has not raised it already) and, as
    // no market data has come for that long, STALE_FEED, whose alarm sounds (FEED_DOWN alone is a silent blip).
    ctx.own(
      stream.on(
        'down',
        ctx.guard((d: StreamEvents['down']) => {
          if (!this.s.inSession()) return;
          const why =
            `feed not connected for ${Math.round(d.downMs / 1000)} s${d.lastError ? ` (${d.lastError})` : ''};` +
            ` retrying`;
          const guards = loop.engine.view().guards;
          if (!guards.FEED_DOWN) loop.setGuard('FEED_DOWN', true, why);
          if (!guards.STALE_FEED) loop.setGuard('STALE_FEED', true, `no market data: ${why}`);
        }),
      ),
    );
    ctx.own(
      stream.on(
        'stale',
        ctx.guard((s: StreamEvents['stale']) => {
          loop.setGuard(
            'STALE_FEED',
            true,
            `no market data for ${Math.round(s.silentMs / 1000)} s while the market is open; reconnecting`,
          );
        }),
      ),
    );
    ctx.own(
      stream.on(
        'tokenExpired',
        ctx.guard((err: Error) => ctx.bus.emit('tokenExpired', err)),
      ),
    );
    ctx.own(
      stream.on(
        'error',
        ctx.guard((err: Error) => log.warn('feed error', { error: err.message })),
      ),
    );
    ctx.on('phase', (e) => (e.phase === 'warmup' ? this.checkClockSync() : undefined));
    ctx.on('loggedIn', () => this.checkClockSync());
    ctx.every(CLOCK_CHECK_MS, () => this.checkClockSync());
    await this.checkClockSync();
  }

  private onTick(t: FeedTick): void {
    const loop = this.s.loop;
    if (t.initial) return; // a snapshot of the last trade, not a new one
    loop.status.feedConnected = true;
    if (loop.engine.view().guards.STALE_FEED) loop.setGuard('STALE_FEED', false, 'feed silent');
    if (t.currentTs) this.checkSkew(t.currentTs);
  }

  private checkSkew(serverTs: number): void {
    const { loop, o } = this.s;
    const skew = this.s.now() - serverTs;
    loop.status.clockSkewMs = skew;
    const bad = Math.abs(skew) > o.maxClockSkewMs;
    const active = Boolean(loop.engine.view().guards.CLOCK_SKEW);
    if (bad !== active)
      loop.setGuard(
        'CLOCK_SKEW',
        bad,
        `system clock is ${Math.round(skew)} ms off the exchange's (limit ${o.maxClockSkewMs} ms)`,
      );
  }

  private async checkClockSync(): Promise<void> {
    const loop = this.s.loop;
    const r = await this.s.o.clockSync().catch((err: Error) => ({ synced: false, detail: err.message }));
    loop.status.clockSynced = r.synced;
    const active = Boolean(loop.engine.view().guards.CLOCK_UNSYNCED);
    if (!r.synced !== active)
      loop.setGuard('CLOCK_UNSYNCED', !r.synced, `clock not synced (${r.detail}): no new entries`);
  }
}
