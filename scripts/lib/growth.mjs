// Memory growth over a soak, robust to the few MB that RSS swings from one sample to the next (the
// allocator and V8 return pages in bursts): the least-squares trend of the samples times the span,
// i.e. how much the fitted line rises from the first session to the last. firstToLast is reported too.
export function growth(samples) {
  const n = samples.length;
  if (n < 2) return { trendMB: null, firstToLastMB: null };
  return { trendMB: +(slope(samples) * (n - 1)).toFixed(2), firstToLastMB: +(samples[n - 1] - samples[0]).toFixed(2) };
}

/**
 * A trading year on one boot: the least-squares slope of the samples from session `from` (1-based)
 * on, times `sessions` — what the steady trend adds over that many sessions, the first sessions'
 * one-time rise left out. Null with fewer than 2 samples from there.
 */
export function projected(samples, from = 11, sessions = 250) {
  const tail = samples.slice(from - 1);
  return tail.length < 2 ? null : +(slope(tail) * sessions).toFixed(2);
}

/** Least-squares slope per sample. */
function slope(samples) {
  const n = samples.length;
  const xm = (n - 1) / 2;
  const ym = samples.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  samples.forEach((y, x) => {
    sxy += (x - xm) * (y - ym);
    sxx += (x - xm) ** 2;
  });
  return sxy / sxx;
}
