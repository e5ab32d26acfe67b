// Stands in for node-cron inside a process on the bench's virtual clock (scripts/lib/virtual-clock.mjs):
// node-cron arms real timers for the next real minute and skips "missed" runs, so on a clock 100×
// faster it never fires. This fires the one schedule the box uses ('* * * * *') at each virtual minute.
export function schedule(expression, task) {
  if (expression !== '* * * * *') throw new Error(`virtual-cron: only "* * * * *" is supported, got "${expression}"`);
  let minute = Math.floor(Date.now() / 60_000);
  const timer = setInterval(() => {
    const m = Math.floor(Date.now() / 60_000);
    if (m !== minute) {
      minute = m;
      task(new Date());
    }
  }, 20);
  return { stop: () => clearInterval(timer), start() {}, destroy: () => clearInterval(timer) };
}
export default { schedule };
