/**
 * Indian-style digit grouping (1,23,45,678.90), as `toLocaleString('en-IN')` writes it, without Intl:
 * the first Intl number format pulls ICU's locale data into the process, which a live box would then
 * carry all day (the daily report runs on it).
 */
export function groupIndian(amount: number, decimals = 2): string {
  const [int, frac] = Math.abs(amount).toFixed(decimals).split('.') as [string, string | undefined];
  const last3 = int.slice(-3);
  const rest = int.slice(0, -3).replace(/\B(?=(\d{2})+$)/g, ',');
  return (rest ? `${rest},${last3}` : last3) + (frac === undefined ? '' : `.${frac}`);
}
