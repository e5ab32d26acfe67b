/** IST time arithmetic on epoch milliseconds. IST is UTC+05:30 with no daylight saving. */

export const IST_OFFSET_MS = 330 * 60_000;
export const MINUTE_MS = 60_000;
export const BUCKET_MS = 5 * MINUTE_MS;
export const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of ts's IST date: equal for two times exactly when their istDate is. */
export function istDayNumber(ts: number): number {
  return Math.floor((ts + IST_OFFSET_MS) / DAY_MS);
}

/** The IST calendar date of ts, YYYY-MM-DD. */
export function istDate(ts: number): string {
  const dayNumber = istDayNumber(ts);
  if (dayNumber !== lastDayNumber) {
    lastDayNumber = dayNumber;
    lastDayString = dateOfDayNumber(dayNumber);
  }
  return lastDayString;
}
// istDate runs per candle in backtests; consecutive calls are nearly always the same day.
let lastDayNumber = NaN;
let lastDayString = '';

/**
 * YYYY-MM-DD of a day number (days since 1970-01-01), as `new Date(n × DAY_MS).toISOString()` writes it,
 * by arithmetic (Howard Hinnant's civil_from_days) rather than a Date and its ISO string.
 */
export function dateOfDayNumber(n: number): string {
  const z = n + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // [0, 146096]
  // [0, 399]
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // [0, 365], from March 1
  const mp = Math.floor((5 * doy + 2) / 153); // [0, 11], March = 0
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  // the ISO string's own padding and signs
  if (y < 1000 || y > 9999) return new Date(n * DAY_MS).toISOString().slice(0, 10);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** True for a real calendar date written YYYY-MM-DD (not 2026-13-45, not 2026-02-30). */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && dateOfDayNumber(Math.floor(Date.UTC(y, mo - 1, d) / DAY_MS)) === s;
}

/**
 * Minutes since IST midnight. (A floor division, not `%`: the engine asks per candle, and `%` on epoch ms is a slow
 * fmod.)
 */
export function istMinuteOfDay(ts: number): number {
  const ms = ts + IST_OFFSET_MS;
  return Math.floor((ms - Math.floor(ms / DAY_MS) * DAY_MS) / MINUTE_MS);
}

/** "HH:MM" → minutes since midnight. */
export function parseHhmm(hhmm: string): number {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  if (!m) throw new Error(`bad time "${hhmm}": expected HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Epoch ms of an IST wall-clock time on a date (YYYY-MM-DD, "HH:MM" or minutes). */
export function istTime(date: string, time: string | number): number {
  const minutes = typeof time === 'number' ? time : parseHhmm(time);
  return Date.parse(`${date}T00:00:00Z`) - IST_OFFSET_MS + minutes * MINUTE_MS;
}

/** ISO string in IST with +05:30, seconds precision: 2025-06-02T09:35:00+05:30. */
export function istIso(ts: number): string {
  return new Date(ts + IST_OFFSET_MS).toISOString().slice(0, 19) + '+05:30';
}

/** Day of week of a YYYY-MM-DD date: 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** ISO-8601 week label of a date, e.g. 2025-W23. */
export function isoWeek(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  d.setUTCDate(d.getUTCDate() - dow + 3); // Thursday of this week decides the year
  const year = d.getUTCFullYear();
  const week = 1 + Math.floor((d.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
