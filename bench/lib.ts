/**
 * Shared helpers for benchmarks. Every figure is one JSON line on stdout:
 * {"name": "...", "value": n, "unit": "...", "baseline": n?, ...extra}
 * A baseline is measured in the same run, never copied from elsewhere.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  [extra: string]: unknown;
}

export function emit(figure: Figure): void {
  const rounded: Figure = { ...figure, value: round(figure.value) };
  if (figure.baseline !== undefined) rounded.baseline = round(figure.baseline);
  process.stdout.write(JSON.stringify(rounded) + '\n');
}

/** A line that says a benchmark did not run, and why. */
export function skip(name: string, reason: string): void {
  process.stdout.write(JSON.stringify({ name, skipped: true, reason }) + '\n');
}

export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  const digits = a >= 100 ? 1 : a >= 1 ? 3 : 6;
  return Number(x.toFixed(digits));
}

/**
 * Runs `fn` until at least `minMs` passed (and `minRuns` runs), returns per-run times in ms,
 * by wall time unless `clock` says otherwise.
 */
export function timeRuns(
  fn: () => void,
  opts: { minMs?: number; minRuns?: number; clock?: () => number } = {}
): number[] {
  const minMs = opts.minMs ?? 500;
  const minRuns = opts.minRuns ?? 3;
  const clock = opts.clock ?? (() => performance.now());
  const times: number[] = [];
  const start = clock();
  while (times.length < minRuns || clock() - start < minMs) {
    const t0 = clock();
    fn();
    times.push(clock() - t0);
  }
  return times;
}

/** This process's CPU time (user + system) in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * timeRuns on this process's CPU time: the bench machine is shared, and wall time there
 * measures the neighbours' load as much as this code.
 */
export function timeCpuRuns(
  fn: () => void,
  opts: { minMs?: number; minRuns?: number } = {}
): number[] {
  return timeRuns(fn, { ...opts, clock: cpuMs });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}
