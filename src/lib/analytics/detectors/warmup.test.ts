import { describe, expect, it } from 'vitest';
import { createDetector, detectAnomalies } from '../anomaly';
import { createARTimeDetector } from './artime';
import { MAD_THRESHOLD } from './mad';
import { createWarmupDetector, mapWarmupScore, WARMUP_THRESHOLD } from './warmup';

const T0 = Date.UTC(2024, 2, 1);
const N = 1300;

/** A slow wave plus deterministic jitter; spikes at 400 (warm-up) and alternating after 900. */
function makeSeries(spikes: Record<number, number> = {}) {
  const t = Float64Array.from({ length: N }, (_, i) => T0 + i * 60_000);
  const v = Float64Array.from(
    t,
    (_, i) => 10 + Math.sin(i / 20) + ((i * 7919) % 13) / 26 + (spikes[i] ?? 0)
  );
  return { t, v };
}

describe('ARTime with a MAD warm-up (the default)', () => {
  it('maps MAD’s threshold onto ARTime’s, monotonically, within [0, 1]', () => {
    expect(mapWarmupScore(MAD_THRESHOLD)).toBeCloseTo(WARMUP_THRESHOLD, 12);
    expect(mapWarmupScore(0)).toBe(0);
    expect(mapWarmupScore(1)).toBeCloseTo(1, 12);
    const xs = Array.from({ length: 101 }, (_, i) => i / 100);
    const ys = xs.map(mapWarmupScore);
    for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeGreaterThanOrEqual(ys[i - 1]);
  });

  it('MAD scores the probation, then ARTime alone (same scores as plain ARTime)', () => {
    const s = makeSeries({ 400: 25, 1000: -30, 1200: 30 });
    const r = detectAnomalies(s);
    expect(r.anomalies.filter((i) => i < 750)).toEqual([400]);
    expect(r.contributors[r.anomalies.indexOf(400)]).toBe('mad');
    expect(r.anomalies).toContain(1000);
    expect(r.contributors[r.anomalies.indexOf(1000)]).toBe('artime');
    // After the switch the scores are ARTime's own: the warm-up changes nothing it learns.
    const plain = createARTimeDetector();
    const artime = Array.from(s.t, (t, i) => plain.push(t, s.v[i]));
    const from = r.score.findIndex((_, i) => i >= 750);
    expect(Array.from(r.score.slice(from))).toEqual(artime.slice(from));
    expect(artime.slice(0, 740).every((x) => x === 0)).toBe(true);
  });

  it('explains with the detector that scored, its band, departure and since', () => {
    const s = makeSeries({ 400: 25, 1000: -30 });
    const d = createDetector();
    for (let i = 0; i <= 400; i++) d.push(s.t[i], s.v[i]);
    const warm = d.explain();
    expect(warm).toMatchObject({ detector: 'mad', observed: s.v[400], since: s.t[400] });
    expect(warm.expected!.high).toBeLessThan(s.v[400]);
    expect(warm.departure).toBeCloseTo(s.v[400] - warm.expected!.high, 9);
    for (let i = 401; i <= 1000; i++) d.push(s.t[i], s.v[i]);
    const late = d.explain();
    expect(late.detector).toBe('artime');
    expect(late.departure).toBeLessThan(0);
    expect(late.since).toBeGreaterThan(s.t[990]);
    expect(late.since).toBeLessThanOrEqual(s.t[1000]);
  });

  it('resumes from a state saved during and after the warm-up, and drops MAD’s state', () => {
    const s = makeSeries({ 400: 25, 1000: -30, 1200: 30 });
    const batch = detectAnomalies(s).score;
    for (const cut of [300, 749, 760, 1100]) {
      const a = createDetector();
      const head = Array.from({ length: cut }, (_, i) => a.push(s.t[i], s.v[i]));
      const saved = JSON.parse(JSON.stringify(a.state()));
      const b = createDetector({ state: saved });
      const tail = Array.from({ length: N - cut }, (_, k) => b.push(s.t[cut + k], s.v[cut + k]));
      expect([...head, ...tail]).toEqual(Array.from(batch));
    }
    const d = createWarmupDetector();
    for (let i = 0; i < 700; i++) d.push(s.t[i], s.v[i]);
    expect(d.warming()).toBe(true);
    expect(d.state().mad).toBeDefined();
    const during = JSON.stringify(d.state()).length;
    for (let i = 700; i < N; i++) d.push(s.t[i], s.v[i]);
    expect(d.warming()).toBe(false);
    expect(d.state().mad).toBeUndefined();
    const after = JSON.stringify(d.state()).length;
    expect(during).toBeLessThan(8192);
    expect(after).toBeLessThan(8192);
  });
});
