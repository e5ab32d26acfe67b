// Memory growth over a soak, robust to the few MB that RSS swings from one sample to the next (the
// allocator and V8 return pages in bursts): the least-squares trend of the samples times the span,
// i.e. how much the fitted line rises from the first session to the last. firstToLast is reported too.
export function growth(samples) {
  const n = samples.length;
  if (n < 2) return { trendMB: null, firstToLastMB: null };
  return { trendMB: +(slope(samples) * (n - 1)).toFixed(2), firstToLastMB: +(samples[n - 1] - samples[0]).toFixed(2) };
}

/**
 * A trading year on one boot: the trend of the samples from session `from` (1-based) on, times
 * `sessions` — what the steady trend adds over that many sessions, the first sessions' one-time rise
 * left out. The trend is the Theil–Sen slope (the median of the slopes between every pair of
 * samples): a leak moves every pair and shows in full, while one session caught with a transient
 * backlog in the heap (+20–35 MB, gone by the next) would tilt a least-squares line over 30 samples by
 * tens of MB a year. `leastSquares: true` gives the least-squares slope instead (soak.json has both).
 * Null with fewer than 2 samples from there.
 */
export function projected(samples, from = 11, sessions = 250, { leastSquares = false } = {}) {
  const tail = samples.slice(from - 1);
  if (tail.length < 2) return null;
  return +((leastSquares ? slope(tail) : medianSlope(tail)) * sessions).toFixed(2);
}

/** Theil–Sen: the median of (y[j] − y[i]) / (j − i) over every pair i < j. */
function medianSlope(samples) {
  const slopes = [];
  for (let i = 0; i < samples.length; i++)
    for (let j = i + 1; j < samples.length; j++) slopes.push((samples[j] - samples[i]) / (j - i));
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 ? slopes[m] : (slopes[m - 1] + slopes[m]) / 2;
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
