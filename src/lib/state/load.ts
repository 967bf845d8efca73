/**
 * Synthetic load for measuring (`/?load=N`): N metric points per second through the whole
 * pipeline — generated here, sent to the engine's ingest queue, stored, announced by change
 * notices and drawn by the live charts like any other series.
 */
import type { PointBatch, SeriesDescriptor } from '$lib/types';

/** Defaults: 10 series (one live chart each), a batch every 50 ms, at most 1e6 points/s. */
export const SyntheticLoadDefaults = { seriesCount: 10, tickMs: 50, maxRate: 1_000_000 };

export interface SyntheticLoadStats {
  /** Points the engine acknowledged as stored. */
  stored: number;
  batches: number;
  /** Ingest calls that failed (e.g. the store is full); the load keeps going. */
  failures: number;
  lastError: string | null;
}

export interface SyntheticLoad {
  readonly stats: SyntheticLoadStats;
  stop(): void;
}

/** The series a synthetic load writes: `load_synthetic{i="00"}` …, category app. */
export function describeLoadSeries(i: number): SeriesDescriptor {
  return {
    name: 'load_synthetic',
    labels: { i: String(i).padStart(2, '0') },
    unit: '',
    kind: 'gauge',
    source: 'api',
    category: 'app',
    help: 'Synthetic load from /?load=N'
  };
}

/** Parses the `load` query parameter: a positive rate, capped; null when absent or bad. */
export function parseLoadRate(raw: string | null): number | null {
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) return null;
  return Math.min(Math.round(n), SyntheticLoadDefaults.maxRate);
}

/**
 * Starts the load. Points are generated for the time that actually passed since the last
 * batch, and a new batch waits for the previous one to be acknowledged: a slow store gets
 * bigger batches instead of an unbounded queue, and the long-run rate stays exactly N.
 */
export function startSyntheticLoad(options: {
  ingest: (batches: PointBatch[]) => Promise<unknown>;
  rate: number;
  seriesCount?: number;
  tickMs?: number;
  now?: () => number;
}): SyntheticLoad {
  const seriesCount = options.seriesCount ?? SyntheticLoadDefaults.seriesCount;
  const tickMs = options.tickMs ?? SyntheticLoadDefaults.tickMs;
  const now = options.now ?? (() => Date.now());
  const perSeriesRate = options.rate / seriesCount;
  const series = Array.from({ length: seriesCount }, (_, i) => describeLoadSeries(i));
  const stats: SyntheticLoadStats = { stored: 0, batches: 0, failures: 0, lastError: null };
  let running = true;
  let last = now();
  let carry = 0;
  let phase = 0;

  const tick = async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, tickMs));
      if (!running) break;
      const at = now();
      const exact = ((at - last) / 1000) * perSeriesRate + carry;
      const n = Math.floor(exact);
      carry = exact - n;
      if (n === 0) continue;
      const batches: PointBatch[] = series.map((s, k) => {
        const t = new Float64Array(n);
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          t[i] = last + ((i + 1) * (at - last)) / n;
          const x = phase + i / perSeriesRate;
          v[i] =
            50 +
            30 * Math.sin(x * (0.5 + k * 0.1)) +
            10 * Math.sin(x * 7.3 + k) +
            Math.random() * 5;
        }
        return { series: s, t, v };
      });
      phase += n / perSeriesRate;
      last = at;
      try {
        await options.ingest(batches);
        stats.stored += n * seriesCount;
        stats.batches++;
      } catch (e) {
        stats.failures++;
        stats.lastError = (e as Error).message;
      }
    }
  };
  void tick();
  return {
    stats,
    stop() {
      running = false;
    }
  };
}
