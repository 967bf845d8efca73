import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDetector,
  DEFAULT_ANOMALY_THRESHOLD,
  DEFAULT_DETECTOR,
  detectAnomalies,
  DetectorRegistry,
  type DetectorName
} from './anomaly';

const STEP = 300_000; // 5-minute points
const T0 = Date.UTC(2024, 2, 1);
const N = 3000;
const AT = 2500;

function makeNoise(seed: number): () => number {
  let s = seed;
  // Sum of two uniforms: bounded, roughly bell-shaped noise with σ ≈ 0.41.
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return () => u() + u() - 1;
}

/** A daily cycle (288 points) plus noise; `edit` injects the anomaly. */
function makeSeries(seed: number, edit?: (v: Float64Array, noise: () => number) => void) {
  const noise = makeNoise(seed);
  const t = Float64Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const v = Float64Array.from(
    { length: N },
    (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 288) + noise()
  );
  edit?.(v, noise);
  return { t, v };
}

/** The ensemble (the default before issue 21): its own behaviour stays tested by name. */
const ENSEMBLE = { detector: 'ensemble' } as const;

function firstAfter(anomalies: number[], from: number): number {
  return anomalies.find((i) => i >= from) ?? -1;
}

describe('detectAnomalies contract', () => {
  it('uses ARTime with a warm-up and its published threshold by default', () => {
    expect(DEFAULT_DETECTOR).toBe('artime-warmup');
    expect(DEFAULT_ANOMALY_THRESHOLD).toBe(0.317486);
    expect(createDetector().detector).toBe('artime-warmup');
  });

  it.each([
    ['empty', [], []],
    ['one point', [5], [T0]],
    ['constant', Array(2000).fill(42), Array.from({ length: 2000 }, (_, i) => T0 + i * STEP)]
  ])('%s series does not fire', (_name, values, times) => {
    const r = detectAnomalies({ t: Float64Array.from(times), v: Float64Array.from(values) });
    expect(r.anomalies).toEqual([]);
    expect(Array.from(r.score).every((s) => s === 0)).toBe(true);
    expect(r.score.length).toBe(values.length);
  });

  it('does not fire on a clean seasonal series', () => {
    expect(detectAnomalies(makeSeries(1)).anomalies).toEqual([]);
  });

  it.each([1, 2, 3])('finds an injected spike (seed %i) at once', (seed) => {
    const series = makeSeries(seed, (v) => (v[AT] += 15));
    const r = detectAnomalies(series, ENSEMBLE);
    expect(r.anomalies.filter((i) => i < AT)).toEqual([]);
    expect(firstAfter(r.anomalies, AT)).toBe(AT);
    expect(r.contributors[r.anomalies.indexOf(AT)]).toBe('seasonal');
    const d = createDetector(ENSEMBLE);
    for (let i = 0; i <= AT; i++) d.push(series.t[i], series.v[i]);
    expect(d.explain()).toMatchObject({ detector: 'seasonal', model: 'daily' });
    expect(d.explain().evidence).toBeGreaterThan(10);
  });

  it.each([1, 2, 3])('finds an injected level shift (seed %i) within a few points', (seed) => {
    const r = detectAnomalies(
      makeSeries(seed, (v) => {
        for (let i = AT; i < N; i++) v[i] += 4;
      }),
      ENSEMBLE
    );
    expect(r.anomalies.filter((i) => i < AT)).toEqual([]);
    const at = firstAfter(r.anomalies, AT);
    expect(at).toBeGreaterThanOrEqual(AT);
    expect(at).toBeLessThan(AT + 10);
  });

  it.each([1, 2, 3])('finds an injected variance change (seed %i)', (seed) => {
    const r = detectAnomalies(
      makeSeries(seed, (v, noise) => {
        for (let i = AT; i < N; i++) v[i] += 4 * noise();
      }),
      ENSEMBLE
    );
    expect(r.anomalies.filter((i) => i < AT)).toEqual([]);
    const at = firstAfter(r.anomalies, AT);
    expect(at).toBeGreaterThanOrEqual(AT);
    expect(at).toBeLessThan(AT + 30);
  });

  it.each([NaN, Infinity, -Infinity])('%f scores 0 and does not poison later scores', (bad) => {
    const clean = makeSeries(4, (v) => (v[AT] += 15));
    const holes = [1000, 1001, 2000, AT - 1];
    const t = new Float64Array(N + holes.length);
    const v = new Float64Array(N + holes.length);
    const cleanIndex: number[] = [];
    for (let i = 0, j = 0; i < N; i++) {
      if (holes.includes(i)) {
        t[j] = clean.t[i];
        v[j++] = bad;
      }
      cleanIndex.push(j);
      t[j] = clean.t[i];
      v[j++] = clean.v[i];
    }
    const withBad = detectAnomalies({ t, v });
    const without = detectAnomalies(clean);
    for (let j = 0; j < v.length; j++) if (!Number.isFinite(v[j])) expect(withBad.score[j]).toBe(0);
    expect(cleanIndex.map((j) => withBad.score[j])).toEqual(Array.from(without.score));
    expect(withBad.anomalies.map((j) => cleanIndex.indexOf(j))).toEqual(without.anomalies);
  });

  it('duplicate and backward timestamps neither throw nor fire', () => {
    const { t, v } = makeSeries(5);
    for (let i = 1200; i < 1212; i++) t[i] = t[1200]; // 12 rows at one time, as at a DST change
    t[1800] = t[1799] - STEP; // one backward step
    const r = detectAnomalies({ t, v });
    expect(r.anomalies).toEqual([]);
  });

  it('is the streaming detector in a loop, and resumes from a persisted state', () => {
    const series = makeSeries(6, (v) => (v[AT] -= 20));
    const batch = detectAnomalies(series, ENSEMBLE);
    const a = createDetector(ENSEMBLE);
    const head = Array.from({ length: 1700 }, (_, i) => a.push(series.t[i], series.v[i]));
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = createDetector({ state: saved });
    const tail = Array.from({ length: N - 1700 }, (_, k) =>
      b.push(series.t[1700 + k], series.v[1700 + k])
    );
    expect([...head, ...tail]).toEqual(Array.from(batch.score));
    expect(batch.anomalies).toContain(AT);
  });

  // CAD-OSE is left out: online it levels values by the running range, so on pure noise the
  // spike is one more new pattern among many and scores 0.58 at most, under its published
  // threshold 0.77 (its NAB-mode fidelity is tested in detectors/ports.test.ts).
  it.each((Object.keys(DetectorRegistry) as DetectorName[]).filter((d) => d !== 'cadose'))(
    'detector %s finds a large spike',
    (name) => {
      // A flat-ish series without a cycle so the non-seasonal detectors apply.
      // ARTime learns its first 750 points as a batch and scores once per downsampled
      // window of 7 points, so it gets a longer series and up to 6 points of lag.
      const n = name === 'artime' || name === 'artime-warmup' ? 2000 : 1000;
      const lag = name === 'artime' || name === 'artime-warmup' ? 6 : 0;
      const noise = makeNoise(11);
      const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
      const v = Float64Array.from({ length: n }, () => 50 + noise());
      v[n - 100] = 80;
      const r = detectAnomalies({ t, v }, { detector: name });
      expect(r.anomalies.find((i) => i >= n - 100 && i <= n - 100 + lag)).toBeDefined();
      expect(createDetector({ detector: name }).threshold).toBe(DetectorRegistry[name].threshold);
      for (const s of r.score) expect(s >= 0 && s <= 1).toBe(true);
    }
  );

  it('keeps the refractory period on the threshold the caller reports at', () => {
    const series = makeSeries(7, (v) => {
      v[2000] += 15;
      v[2010] += 15;
    });
    // Default threshold: the second spike falls inside the first one's refractory period, and
    // the alarm point is learnt only up to 2σ, so the first spike does not echo a day later.
    // The second spike, learnt in full during the refractory period, echoes once (2010 + 288)
    // and the echo, a normal value against the polluted slot, is learnt so the slot recovers.
    expect(detectAnomalies(series, ENSEMBLE).anomalies).toEqual([2000, 2298]);
    const echo = detectAnomalies(series, { ...ENSEMBLE, ensemble: { alarmClip: 0 } });
    expect(echo.anomalies).toContain(2000);
    expect(Math.max(...echo.score.slice(2280, 2300))).toBeGreaterThan(
      Math.max(...detectAnomalies(series, ENSEMBLE).score.slice(2280, 2300))
    );
    const strict = detectAnomalies(series, { ...ENSEMBLE, threshold: 0.99 });
    expect(strict.anomalies.every((i) => strict.score[i] >= 0.99)).toBe(true);
    expect(createDetector({ ...ENSEMBLE, threshold: 0.7 }).state().inner).toMatchObject({
      config: { threshold: 0.7 }
    });
    const resumed = createDetector({
      state: createDetector({ ...ENSEMBLE, threshold: 0.7 }).state()
    });
    expect(resumed.threshold).toBe(0.7);
  });

  it('rejects an unknown detector', () => {
    expect(() => createDetector({ detector: 'nope' as DetectorName })).toThrow(/unknown/);
  });
});

describe('properties', () => {
  const value = fc.oneof(
    { weight: 20, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) }
  );
  const step = fc.oneof(
    { weight: 20, arbitrary: fc.constant(STEP) },
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -3 * STEP, max: 10 * STEP }) }
  );
  const series = fc.array(fc.tuple(step, value), { minLength: 0, maxLength: 700 }).map((rows) => {
    let time = T0;
    const t = new Float64Array(rows.length);
    const v = new Float64Array(rows.length);
    rows.forEach(([dt, x], i) => {
      time += dt;
      t[i] = time;
      v[i] = x;
    });
    return { t, v };
  });

  it('scores never depend on the future, and stay in [0, 1]', () => {
    fc.assert(
      fc.property(
        series,
        fc.nat(),
        fc.constantFrom<DetectorName>(
          'ensemble',
          'zscore',
          'iqr',
          'mad',
          'ewma',
          'seasonal',
          'artime-warmup'
        ),
        (s, cut, detector) => {
          const k = s.t.length ? cut % (s.t.length + 1) : 0;
          const full = detectAnomalies(s, { detector });
          const prefix = detectAnomalies({ t: s.t.slice(0, k), v: s.v.slice(0, k) }, { detector });
          expect(Array.from(prefix.score)).toEqual(Array.from(full.score.slice(0, k)));
          for (const x of full.score) expect(x >= 0 && x <= 1).toBe(true);
          for (let i = 0; i < s.v.length; i++)
            if (!Number.isFinite(s.v[i])) expect(full.score[i]).toBe(0);
        }
      ),
      { numRuns: 60 }
    );
  });

  it('a noisy periodic series with a big spike fires at the spike', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 1500, max: 2900 }),
        (seed, at) => {
          const r = detectAnomalies(
            makeSeries(seed, (v) => (v[at] += 25)),
            ENSEMBLE
          );
          expect(r.anomalies).toContain(at);
        }
      ),
      { numRuns: 20 }
    );
  });
});
