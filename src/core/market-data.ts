/**
 * NSE facts as dated data (sources: ../shared/reference/market-facts.md). Change a fact here, in one place.
 */

/** Weekday trading holidays of the equity and equity-derivatives segments. */
export const NSE_HOLIDAYS: Record<string, string> = {
  // 2024: NSE's published list (the index data from 2024-12-02 confirms 25 Dec).
  '2024-01-22': 'Special holiday',
  '2024-01-26': 'Republic Day',
  '2024-03-08': 'Mahashivratri',
  '2024-03-25': 'Holi',
  '2024-03-29': 'Good Friday',
  '2024-04-11': 'Id-Ul-Fitr',
  '2024-04-17': 'Shri Ram Navami',
  '2024-05-01': 'Maharashtra Day',
  '2024-05-20': 'General elections',
  '2024-06-17': 'Bakri Id',
  '2024-07-17': 'Moharram',
  '2024-08-15': 'Independence Day',
  '2024-10-02': 'Mahatma Gandhi Jayanti',
  '2024-11-01': 'Diwali Laxmi Pujan',
  '2024-11-15': 'Gurunanak Jayanti',
  '2024-11-20': 'Maharashtra elections',
  '2024-12-25': 'Christmas',
  // 2025 (market-facts.md §5)
  '2025-02-26': 'Mahashivratri',
  '2025-03-14': 'Holi',
  '2025-03-31': 'Id-Ul-Fitr',
  '2025-04-10': 'Shri Mahavir Jayanti',
  '2025-04-14': 'Dr. Baba Saheb Ambedkar Jayanti',
  '2025-04-18': 'Good Friday',
  '2025-05-01': 'Maharashtra Day',
  '2025-08-15': 'Independence Day',
  '2025-08-27': 'Ganesh Chaturthi',
  '2025-10-02': 'Mahatma Gandhi Jayanti / Dussehra',
  '2025-10-21': 'Diwali Laxmi Pujan',
  '2025-10-22': 'Diwali Balipratipada',
  '2025-11-05': 'Prakash Gurpurb Sri Guru Nanak Dev',
  '2025-12-25': 'Christmas',
  // 2026 (NSE/CMTR/71775 plus 15 Jan added 12 Jan 2026)
  '2026-01-15': 'Municipal Corporation elections, Maharashtra',
  '2026-01-26': 'Republic Day',
  '2026-03-03': 'Holi',
  '2026-03-26': 'Shri Ram Navami',
  '2026-03-31': 'Shri Mahavir Jayanti',
  '2026-04-03': 'Good Friday',
  '2026-04-14': 'Dr. Baba Saheb Ambedkar Jayanti',
  '2026-05-01': 'Maharashtra Day',
  '2026-05-28': 'Bakri Id',
  '2026-06-26': 'Muharram',
  '2026-09-14': 'Ganesh Chaturthi',
  '2026-10-02': 'Mahatma Gandhi Jayanti',
  '2026-10-20': 'Dussehra',
  '2026-11-10': 'Diwali-Balipratipada',
  '2026-11-24': 'Prakash Gurpurb Sri Guru Nanak Dev',
  '2026-12-25': 'Christmas',
};

export interface SpecialSession {
  date: string;
  open: string;
  close: string;
  label: string;
}

/**
 * Sessions on a weekend or holiday. 2026's Muhurat hour (Sun 8 Nov) is unconfirmed: add it through
 * the config's `specialSessions` once NSE announces it.
 */
export const SPECIAL_SESSIONS: SpecialSession[] = [
  { date: '2024-11-01', open: '18:00', close: '19:00', label: 'Muhurat' },
  { date: '2025-02-01', open: '09:15', close: '15:30', label: 'Union Budget' },
  { date: '2025-10-21', open: '13:45', close: '14:45', label: 'Muhurat' },
  { date: '2026-02-01', open: '09:15', close: '15:30', label: 'Union Budget' },
];

/** F&O normal-market hours by date (latest first wins). */
export const FNO_SESSION_HOURS: { from: string; open: string; close: string }[] = [
  { from: '2000-01-01', open: '09:15', close: '15:30' },
  { from: '2026-08-03', open: '09:15', close: '15:40' },
];

/** Weekly expiry weekday by expiry date (0 = Sun … 4 = Thu). */
export const WEEKLY_EXPIRY_WEEKDAY: { from: string; to: string; weekday: number }[] = [
  { from: '2000-01-01', to: '2025-08-28', weekday: 4 },
  { from: '2025-09-02', to: '9999-12-31', weekday: 2 },
];

/** NIFTY lot size by contract expiry (new contracts from 20 Nov 2024 → 75; from the 6 Jan 2026 weekly → 65). */
export const NIFTY_LOT_SIZE: { fromExpiry: string; lot: number }[] = [
  { fromExpiry: '2000-01-01', lot: 50 },
  { fromExpiry: '2024-05-02', lot: 25 },
  { fromExpiry: '2025-01-02', lot: 75 },
  { fromExpiry: '2026-01-06', lot: 65 },
];

export const NIFTY_STRIKE_STEP = 50;
