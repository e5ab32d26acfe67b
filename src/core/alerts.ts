/**
 * The one table of guard and alert codes. Every consumer reads it: the risk gate (which codes block
 * entries), the trading loop (which guards are alarms in the published state: MQTT `…/state`, the
 * page, the console), the OLED (take-over screen or a page of its own, and its title), the buzzer
 * (which codes sound the alarm pattern) and the MQTT docs (which Home Assistant binary sensor shows
 * the same condition). Add a code here and the type system makes every caller agree.
 *
 * A *guard* is a condition with an owner who sets and clears it (Engine.setGuard); while set, no new
 * entries, and clearing it raises `<CODE>_CLEARED`. The other codes are one-off alerts (events on
 * `…/alert` and in the ledger's alerts table), or the names of entry blockers in a signal's blockedBy.
 */

/** How an active code shows on the 128×64 OLED. */
export type OledShow = 'takeover' | 'page' | 'none';

export interface AlertSpec {
  /** A guard: while set, the risk gate blocks new entries. */
  guard: boolean;
  /** Listed in the state's `alarms` while set (MQTT state, the page's status pill, the console, the OLED). */
  stateAlarm: boolean;
  /** take-over: replaces the normal pages; page: one extra page in the cycle; none: not shown. */
  oled: OledShow;
  /** Title bar of its OLED screen (at most ~10 characters at ×2). */
  oledTitle: string;
  /** The buzzer pattern while active (repeated each minute), or null for silence. */
  buzzer: 'alarm' | null;
  /** The Home Assistant binary sensor (discovery component id) that shows the same condition, if any. */
  haBinarySensor: 'feed_connected' | 'clock_synced' | 'trading_halted' | null;
  /** What it means, for people. */
  meaning: string;
}

const guardAlarm = (
  oledTitle: string,
  buzzer: AlertSpec['buzzer'],
  haBinarySensor: AlertSpec['haBinarySensor'],
  meaning: string,
): AlertSpec & { guard: true } => ({
  guard: true,
  stateAlarm: true,
  oled: 'takeover',
  oledTitle,
  buzzer,
  haBinarySensor,
  meaning,
});
const event = (meaning: string, oled: OledShow = 'page'): AlertSpec & { guard: false } => ({
  guard: false,
  stateAlarm: false,
  oled,
  oledTitle: '',
  buzzer: null,
  haBinarySensor: null,
  meaning,
});

export const ALERTS = {
  // ------------------------------------------------------------ guards (block new entries while set)
  STALE_FEED: guardAlarm('STALE FEED', 'alarm', null, 'no market data while the market is open; the feed reconnects'),
  // A reconnect blip clears within seconds: it takes over the screen but does not sound; if it lasts, STALE_FEED
  // sounds.
  FEED_DOWN: guardAlarm(
    'FEED DOWN',
    null,
    'feed_connected',
    'the market-data WebSocket is disconnected during the session; reconnecting',
  ),
  TOKEN_EXPIRED: guardAlarm('LOGIN', 'alarm', null, 'the Upstox token expired or was revoked: log in again'),
  CLOCK_UNSYNCED: guardAlarm('CLOCK', 'alarm', 'clock_synced', 'the system clock is not NTP-synced'),
  CLOCK_SKEW: guardAlarm('CLOCK', 'alarm', null, "the system clock is further off the exchange's than allowed"),
  DISK: guardAlarm('DISK', 'alarm', null, 'the ledger cannot write: nothing is announced that is not on disk'),
  BUTTON_UNAVAILABLE: guardAlarm('NO BUTTON', 'alarm', null, 'no working kill switch (device.button.required)'),
  // Routine at every start: the warm-up screen and the session phase already say it.
  INDICATORS_COLD: {
    ...guardAlarm('WARMING UP', null, null, 'indicators not warm yet: no decisions'),
    stateAlarm: false,
    oled: 'none',
  },

  // ------------------------------------------------------------ entry blockers that are not guards
  HALTED: {
    ...event(
      'trading halted (kill switch, CLI, MQTT, page or the daily loss limit); also the MQTT alert for a halt event',
    ),
    haBinarySensor: 'trading_halted',
  },
  MAX_TRADES: event("the day's maximum number of entries is reached"),

  // ------------------------------------------------------------ one-off alerts
  RESUMED: event('trading resumed (the MQTT alert for a resume event)'),
  DAILY_LOSS_LIMIT: event("the day's net loss reached the limit: trading halts"),
  MQTT: event('the MQTT link or a command over it had a problem'),
  REMOTE_RESUME_REFUSED: event('a resume over MQTT was refused (mqtt.allowRemoteResume is false)'),
  DISPLAY_LOST: event('the OLED stopped answering; retrying', 'none'),
  NO_KILL_SWITCH: event('trading without a kill switch (device.button.required: false)'),
  CRASH: event('an internal error; the service restarts'),
  CANDLE_REPAIR: event("Upstox's official candle could not replace the one built from ticks"),
  WARMUP: event('history could not be loaded from Upstox; retrying'),
  ATM_PICK: event('the ATM CE/PE pair could not be picked; staying flat, retrying'),
  BACKFILL: event('a feed gap could not be backfilled'),
  LOGIN_PAGE: event('the login page could not run'),
  DAILY_REPORT: event('the daily report (or its failure)'),
  BACKUP: event('a ledger backup (or its copy to backup.copyTo) failed'),
} as const satisfies Record<string, AlertSpec>;

type Table = typeof ALERTS;
/** A code in the table. */
export type TableCode = keyof Table;
/** Codes that are guards (Engine.setGuard). */
export type GuardCode = { [K in TableCode]: Table[K]['guard'] extends true ? K : never }[TableCode];
/** Every code an alert event may carry: the table's, and a guard's `_CLEARED`. */
export type AlertCode = TableCode | `${GuardCode}_CLEARED`;

/** The table's entry for a code; a cleared guard or an unknown code has none. */
export function alertSpec(code: string): AlertSpec | undefined {
  return Object.hasOwn(ALERTS, code) ? (ALERTS as Record<string, AlertSpec>)[code] : undefined;
}

/** The codes whose spec passes `test`, as a set (consumers build theirs once at load). */
export function alertCodesWhere(test: (spec: AlertSpec) => boolean): ReadonlySet<TableCode> {
  return new Set((Object.keys(ALERTS) as TableCode[]).filter((code) => test(ALERTS[code])));
}
