// Memory growth over a soak, robust to the few MB that RSS swings from one sample to the next (the
// allocator and V8 return pages in bursts): the least-squares trend of the samples times the span,
// i.e. how much the fitted line rises from the first session to the last. firstToLast is reported too.
export function growth(samples) {
  const n = samples.length;
  if (n < 2) return { trendMB: null, firstToLastMB: null };
  const xm = (n - 1) / 2;
  const ym = samples.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  samples.forEach((y, x) => {
    sxy += (x - xm) * (y - ym);
    sxx += (x - xm) ** 2;
  });
  return { trendMB: +((sxy / sxx) * (n - 1)).toFixed(2), firstToLastMB: +(samples[n - 1] - samples[0]).toFixed(2) };
}
