import { formatValue } from '../format';

/** A latency row's label, "≤ 200 ms" or "> 5 min" for the open top row (page and report alike). */
export function heatmapRowLabel(bounds: readonly number[], row: number, unit: string): string {
  const hi = bounds[row];
  const lo = row > 0 ? bounds[row - 1] : 0;
  return Number.isFinite(hi) ? `≤ ${formatValue(hi, unit)}` : `> ${formatValue(lo, unit)}`;
}
