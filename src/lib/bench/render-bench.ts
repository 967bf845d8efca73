/**
 * First paint of a million points, three ways (bench/dashboard.bench.ts drives this on
 * `/bench/charts`, a page of the benchmark build only): Tidemark's path (typed arrays → min/max per pixel column → Chart.js
 * with parsing off), Chart.js's own LTTB decimation (objects built, parsing off), and the
 * naive way (objects built, default parsing, no decimation).
 */
import { Chart } from 'chart.js';
import { decimateMinMax, PointPool } from '$lib/charts/decimate';
import { createLineChart } from '$lib/charts/line-chart';

export type RenderHow = 'tidemark' | 'naive' | 'chartjs-lttb';

const nextFrame = () =>
  new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));

/** Generates `n` one-second points (a random walk); not part of the timing. */
function generate(n: number): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let x = 50;
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    t[i] = start + i * 1000;
    x += (Math.random() - 0.5) * 2;
    v[i] = x;
  }
  return { t, v };
}

/**
 * Renders `n` points in a fresh 1200×340 chart; returns ms until the first frame, and the
 * part of it spent preparing the data (decimating, or building `{x, y}` objects).
 */
export async function renderOnce(
  host: HTMLElement,
  how: RenderHow,
  n: number
): Promise<{ ms: number; prepareMs: number }> {
  const { t, v } = generate(n);
  const box = document.createElement('div');
  box.style.cssText = 'position:relative;width:1200px;height:340px';
  const canvas = document.createElement('canvas');
  box.append(canvas);
  host.append(box);
  await nextFrame();
  const t0 = performance.now();
  let prepareMs: number;
  let destroy: () => void;
  if (how === 'tidemark') {
    const pool = new PointPool();
    const count = decimateMinMax(pool, { t, v, buckets: 1200 });
    prepareMs = performance.now() - t0;
    // Data and range go in with the chart, so its first draw is the only one.
    const chart = createLineChart({
      canvas,
      series: [{ label: 'bench', color: '#0e8a7e' }],
      theme: { text: '#444', grid: '#ddd', marker: '#c00' },
      formatY: (y) => y.toFixed(1),
      initial: { points: [pool.view(count, [])], xRange: { min: t[0], max: t[n - 1] } }
    });
    destroy = () => chart.destroy();
  } else {
    const data = Array.from(t, (x, i) => ({ x, y: v[i] }));
    prepareMs = performance.now() - t0;
    const lttb = how === 'chartjs-lttb';
    const chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [{ label: 'bench', data, borderColor: '#0e8a7e', pointRadius: 0 }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: lttb ? false : undefined,
        normalized: lttb,
        plugins: { decimation: { enabled: lttb, algorithm: 'lttb', samples: 1200 } },
        scales: { x: { type: 'linear' } }
      }
    });
    destroy = () => chart.destroy();
  }
  const t1 = await nextFrame();
  destroy();
  box.remove();
  return { ms: t1 - t0, prepareMs };
}

/** Exposes `tidemarkChartBench(how, n)` on the window and shows a ready marker in `host`. */
export function installRenderBench(host: HTMLElement): void {
  (globalThis as unknown as { tidemarkChartBench: unknown }).tidemarkChartBench = (
    how: RenderHow,
    n: number
  ) => renderOnce(host, how, n);
  const ready = document.createElement('p');
  ready.dataset.testid = 'chart-bench-ready';
  ready.textContent = 'Chart benchmark ready.';
  host.append(ready);
}
