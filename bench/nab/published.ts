/**
 * Published NAB detector outputs for the three local categories (bench/nab/results, copied
 * from github.com/numenta/NAB `results/`, MIT, see results/LICENSE.txt), trimmed to the
 * score columns, and the per-file comparison of a port's scores against them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type PublishedDetector = 'ARTime' | 'contextOSE' | 'numenta';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * The published per-row columns of one detector on one NAB file ("category/file.csv"):
 * anomaly_score, and raw_score where the detector published one. Undefined when absent.
 * O(rows).
 * @example loadPublished('ARTime', 'realKnownCause/nyc_taxi.csv')?.score.length // 10320
 */
export function loadPublished(
  detector: PublishedDetector,
  name: string
): { score: Float64Array; raw?: Float64Array } | undefined {
  const [category, file] = name.split('/');
  const p = path.join(RESULTS, detector, category, `${detector}_${file}`);
  if (!existsSync(p)) return undefined;
  const lines = readFileSync(p, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const hasRaw = lines[0].includes('raw_score');
  const rows = lines.slice(1);
  const score = new Float64Array(rows.length);
  const raw = hasRaw ? new Float64Array(rows.length) : undefined;
  rows.forEach((line, i) => {
    const c = line.indexOf(',');
    score[i] = Number(c < 0 ? line : line.slice(0, c));
    if (raw) raw[i] = Number(line.slice(c + 1));
  });
  return raw ? { score, raw } : { score };
}

/**
 * Pearson correlation (1 when both are constant and equal, 0 when only one is constant)
 * and the largest absolute difference of two equally long score columns. O(n).
 * @example compareScores(Float64Array.of(0, 1), Float64Array.of(0, 1)) // { correlation: 1, maxDiff: 0 }
 */
export function compareScores(
  a: ArrayLike<number>,
  b: ArrayLike<number>
): { correlation: number; maxDiff: number; n: number } {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  let maxDiff = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  let correlation: number;
  if (saa === 0 || sbb === 0) correlation = saa === sbb && maxDiff === 0 ? 1 : 0;
  else correlation = sab / Math.sqrt(saa * sbb);
  return { correlation, maxDiff, n };
}
