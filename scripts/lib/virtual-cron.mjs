// Stands in for node-cron inside a process on the bench's virtual clock (scripts/lib/virtual-clock.mjs):
// node-cron arms real timers for the next real minute and skips "missed" runs, so on a clock 100×
// faster it never fires. This fires the one schedule the box uses ('* * * * *') at each virtual minute,
// and reads the time in the schedule's timezone through Intl as node-cron does (ICU's time-zone data
// is part of what the box carries, so the bench must carry it too).
export function schedule(expression, task, options = {}) {
  if (expression !== '* * * * *') throw new Error(`virtual-cron: only "* * * * *" is supported, got "${expression}"`);
  const local = options.timezone
    ? new Intl.DateTimeFormat('en-US', {
        timeZone: options.timezone,
        hour12: false,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
    : null;
  let minute = Math.floor(Date.now() / 60_000);
  const timer = setInterval(() => {
    const m = Math.floor(Date.now() / 60_000);
    if (m !== minute) {
      minute = m;
      local?.format(new Date());
      task(new Date());
    }
  }, 20);
  return { stop: () => clearInterval(timer), start() {}, destroy: () => clearInterval(timer) };
}
