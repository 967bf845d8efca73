import { describe, expect, it } from 'vitest';
import {
  MAX_TP,
  NabProfiles,
  computeProbationLength,
  computeScaledSigmoid,
  normaliseScore,
  scoreFile,
  sweepThreshold,
  type NabProfileName,
  type RowWindow
} from '../../bench/nab/scorer';
import { mapWindowsToRows, parseNabCsv, parseNabTime } from '../../bench/nab/load';

const N = 1000;
const WINDOW: RowWindow = [500, 599];

function makeScores(detections: number[], n = N): Float64Array {
  const s = new Float64Array(n);
  for (const i of detections) s[i] = 1;
  return s;
}

describe('scaled sigmoid', () => {
  it.each([
    [0, 0],
    [-1, 0.98661429815143],
    [-0.5, 0.848283639957513],
    [1, -0.98661429815143],
    [3, 2 / (1 + Math.exp(15)) - 1],
    [3.0000001, -1]
  ])('S(%f) = %f', (y, expected) => {
    expect(computeScaledSigmoid(y)).toBeCloseTo(expected, 12);
  });
  it('maxTP is S(-1)', () => expect(MAX_TP).toBeCloseTo(0.98661429815143, 13));
});

describe('probation', () => {
  it.each([
    [1000, 150],
    [4032, 604],
    [22695, 750],
    [0, 0]
  ])('n=%i → %i', (n, p) => expect(computeProbationLength(n)).toBe(p));
});

// SCORING.md §7 test vectors: one file, n = 1000, one window [500, 599], θ = 0.5.
const vectors: [number[], number, number, number][] = [
  [[], -1.0, -1.0, -2.0],
  [[500], 1.0, 1.0, 1.0],
  [[550], 0.8597925669097837, 0.8597925669097837, 0.8597925669097837],
  [[599], 0.025333905068325228, 0.025333905068325228, 0.025333905068325228],
  [[600], -1.0027771874746165, -1.005554374949233, -2.0027771874746163],
  [[650], -1.0944426973540284, -1.1888853947080569, -2.094442697354028],
  [[100], -1.0, -1.0, -2.0],
  [[200], -1.11, -1.22, -2.11],
  [[900], -1.11, -1.22, -2.11],
  [[200, 500, 501, 600], 0.8872228125253835, 0.774445625050767, 0.8872228125253835]
];

describe('file score (SCORING.md §7)', () => {
  it.each(vectors)('detections %j', (detections, standard, lowFp, lowFn) => {
    const file = { scores: makeScores(detections), windows: [WINDOW] };
    const expected: Record<NabProfileName, number> = {
      standard,
      reward_low_FP_rate: lowFp,
      reward_low_FN_rate: lowFn
    };
    for (const name of Object.keys(expected) as NabProfileName[]) {
      const r = scoreFile({ file, profile: NabProfiles[name], threshold: 0.5 });
      expect(r.score).toBeCloseTo(expected[name], 11);
    }
  });

  it('counts rows after probation only', () => {
    const file = { scores: makeScores([100, 200, 500, 501, 600]), windows: [WINDOW] };
    const r = scoreFile({ file, profile: NabProfiles.standard, threshold: 0.5 });
    expect(r).toMatchObject({ tp: 2, fp: 2, fn: 98, tn: 850 - 100 - 2 });
  });

  it('four windows and no detections give -4 fnWeight', () => {
    const windows: RowWindow[] = [
      [200, 250],
      [300, 350],
      [400, 450],
      [600, 700]
    ];
    const r = scoreFile({
      file: { scores: makeScores([]), windows },
      profile: NabProfiles.reward_low_FN_rate,
      threshold: 0.5
    });
    expect(r.score).toBe(-8);
  });

  it('one FP in a file without windows is exactly -fpWeight', () => {
    const r = scoreFile({
      file: { scores: makeScores([700]), windows: [] },
      profile: NabProfiles.standard,
      threshold: 0.5
    });
    expect(r.score).toBe(-0.11);
  });

  it('earlier TPs score higher, only the first counts, and the left edge is width-independent', () => {
    const at = (d: number[], w: RowWindow = WINDOW) =>
      scoreFile({
        file: { scores: makeScores(d), windows: [w] },
        profile: NabProfiles.standard,
        threshold: 0.5
      }).score;
    expect(at([510])).toBeGreaterThan(at([520]));
    expect(at([510, 520, 530])).toBe(at([510]));
    expect(at([300], [300, 329])).toBeCloseTo(at([500]), 14);
  });
});

describe('threshold sweep', () => {
  it('picks the threshold that keeps the TP and drops the FPs', () => {
    const scores = new Float64Array(N);
    scores[520] = 0.9; // TP
    scores[800] = 0.7; // FP at a lower score
    scores[300] = 0.7;
    const r = sweepThreshold({
      files: [{ scores, windows: [WINDOW] }],
      profile: NabProfiles.standard
    });
    expect(r.threshold).toBe(0.9);
    const direct = scoreFile({
      file: { scores, windows: [WINDOW] },
      profile: NabProfiles.standard,
      threshold: 0.9
    });
    expect(r.raw).toBeCloseTo(direct.score, 12);
    expect(r.normalised).toBeCloseTo(
      normaliseScore({ raw: direct.score, windowCount: 1, profile: NabProfiles.standard }),
      12
    );
  });

  it('returns 1.1 and the null score when nothing helps', () => {
    const scores = new Float64Array(N);
    scores[300] = 0.8;
    const r = sweepThreshold({
      files: [{ scores, windows: [WINDOW] }],
      profile: NabProfiles.standard
    });
    expect(r).toEqual({ threshold: 1.1, raw: -1, normalised: 0 });
  });

  it('takes the highest of tied thresholds and sums across files', () => {
    const a = new Float64Array(N);
    a[500] = 0.8;
    const b = new Float64Array(N);
    b[500] = 0.6;
    const r = sweepThreshold({
      files: [
        { scores: a, windows: [WINDOW] },
        { scores: b, windows: [WINDOW] }
      ],
      profile: NabProfiles.standard
    });
    // Any θ ≤ 0.6 catches both windows at their left edge; but every other row (score 0) would
    // detect at θ = 0, so 0.6 is the best and highest.
    expect(r.threshold).toBe(0.6);
    expect(r.raw).toBeCloseTo(2, 12);
    expect(r.normalised).toBeCloseTo(100, 10);
  });

  it('matches scoreFile at the chosen threshold on random data', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const files = [0, 1, 2].map(() => ({
      scores: Float64Array.from({ length: N }, () => Math.round(rand() * 50) / 50),
      windows: [
        [400, 480],
        [700, 760]
      ] as RowWindow[]
    }));
    for (const profile of Object.values(NabProfiles)) {
      const r = sweepThreshold({ files, profile });
      const total = files.reduce(
        (s, file) => s + scoreFile({ file, profile, threshold: r.threshold }).score,
        0
      );
      expect(r.raw).toBeCloseTo(total, 10);
      for (let th = 0; th <= 1.0001; th += 0.02) {
        const other = files.reduce(
          (s, file) => s + scoreFile({ file, profile, threshold: th }).score,
          0
        );
        expect(other).toBeLessThanOrEqual(r.raw + 1e-9);
      }
    }
  });
});

describe('NAB CSV loader', () => {
  it('parses times as UTC and keeps row order with duplicates', () => {
    const csv =
      'timestamp,value\n2014-03-09 03:00:00,1\n2014-03-09 03:00:00,2\n2014-03-09 02:55:00,3\n2014-03-09 03:05:00,4\n';
    const { t, v } = parseNabCsv(csv);
    expect(Array.from(v)).toEqual([1, 2, 3, 4]);
    expect(t[0]).toBe(Date.UTC(2014, 2, 9, 3, 0, 0));
    expect(t[2]).toBe(Date.UTC(2014, 2, 9, 2, 55, 0));
    expect(
      mapWindowsToRows({
        t,
        windows: [['2014-03-09 03:00:00.000000', '2014-03-09 03:05:00.000000']]
      })
    ).toEqual([[0, 3]]);
  });
  it('rejects malformed times', () => expect(parseNabTime('yesterday')).toBeNaN());
});
