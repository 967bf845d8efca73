import { describe, expect, it } from 'vitest';
import { createEnsembleDetector, EnsembleDefaults } from './ensemble';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic noise in [−0.5, 0.5). */
function makeNoise(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
}

function makeSeries(n: number, seed = 1): number[] {
  const noise = makeNoise(seed);
  return Array.from({ length: n }, (_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + noise());
}

describe('ensemble detector', () => {
  it('scores 0 while learning', () => {
    const d = createEnsembleDetector();
    const values = makeSeries(EnsembleDefaults.learning);
    values[100] += 1000;
    const scores = values.map((v, i) => d.push(T0 + i * STEP, v));
    expect(scores.every((s) => s === 0)).toBe(true);
  });

  it('turns a spike into a likelihood that crosses the threshold, then holds off', () => {
    const d = createEnsembleDetector();
    const values = makeSeries(2000);
    values[1500] += 30;
    const scores = values.map((v, i) => d.push(T0 + i * STEP, v));
    // The 10-point mean needs one or two points of a 100σ spike (its slot also learns it).
    const fired = scores.findIndex((s) => s >= EnsembleDefaults.threshold);
    expect(fired).toBeGreaterThanOrEqual(1500);
    expect(fired).toBeLessThanOrEqual(1502);
    expect(scores[1500]).toBeGreaterThanOrEqual(EnsembleDefaults.threshold); // spike channel
    expect(d.leader()).toBe('seasonal');
    // Refractory: nothing for the next `refractory` points.
    const after = scores.slice(fired + 1, fired + 1 + EnsembleDefaults.refractory);
    expect(after.every((s) => s === 0)).toBe(true);
  });

  it("maps the likelihood with Numenta's log scale: score is in [0, 1]", () => {
    const d = createEnsembleDetector({ refractory: 0 });
    const values = makeSeries(1500, 3);
    for (let i = 1000; i < 1500; i++) values[i] += (i % 2 ? 1 : -1) * 8;
    for (const [i, v] of values.entries()) {
      const s = d.push(T0 + i * STEP, v);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('lets every member compete when asked, and names the leader', () => {
    const d = createEnsembleDetector({ members: ['seasonal', 'ewma', 'mad'] });
    const values = makeSeries(1200, 5);
    values[1100] += 40;
    const scores = values.map((v, i) => d.push(T0 + i * STEP, v));
    expect(Math.max(...scores.slice(1100, 1103))).toBeGreaterThanOrEqual(
      EnsembleDefaults.threshold
    );
    expect(Math.max(...scores.slice(300, 1100))).toBeLessThan(EnsembleDefaults.threshold);
    expect(['seasonal', 'ewma', 'mad']).toContain(d.leader());
  });

  it('resumes from a JSON round trip of its state', () => {
    const values = makeSeries(1200, 9);
    values[900] += 25;
    const a = createEnsembleDetector();
    const full = values.map((v, i) => a.push(T0 + i * STEP, v));
    const b = createEnsembleDetector();
    const head = values.slice(0, 700).map((v, i) => b.push(T0 + i * STEP, v));
    const c = createEnsembleDetector({ state: JSON.parse(JSON.stringify(b.state())) });
    const tail = values.slice(700).map((v, i) => c.push(T0 + (700 + i) * STEP, v));
    expect([...head, ...tail]).toEqual(full);
  });
});
