/**
 * CAD-OSE, the Contextual Anomaly Detector (open source edition, Mikhail Smirnov 2016; NAB
 * standard 69.9 over all 58 files). A TypeScript port of nab/detectors/context_ose
 * (cad_ose.py, context_operator.py, MIT) with its published parameters unchanged. Each
 * value becomes a few binary "facts" (its 3-bit level); contexts are pairs (facts of the
 * previous step, facts of this one) learnt as they are seen; the score is high when few of
 * the contexts the previous step selected came true and many new ones had to be made.
 *
 * The active contexts are ranked by (count, hash of left facts, hash of right facts), with
 * Python 2's tuple hash: the port computes the same 64-bit hash so that ties break the same
 * way as in the published results.
 *
 * Deviations, forced by running online in bounded memory:
 * - NAB hands CAD-OSE the file's min and max. Given `range` the port does the same; without
 *   it the range is the running min/max of the points so far, the level clamped to 0..7.
 * - The published detector keeps every context it ever made. `maxContexts` stops learning
 *   new contexts once the memory holds that many (pass Infinity for the published behaviour).
 */
import type { OnlineDetector } from './common';

export const CadOseDefaults = {
  baseThreshold: 0.75,
  maxLeftSemiContextsLength: 7,
  maxActiveNeuronsNum: 15,
  numNormValueBits: 3,
  /** Probation of an unbounded stream (NAB's 15 % of 5000 rows); the rest period is 1/5. */
  probation: 750,
  /**
   * Contexts kept before learning stops (the published detector has no bound; the local NAB
   * files reach 12 k, and art_noisy 64 k). Its state is still far above 8 KB (tens of bytes
   * a context), so CAD-OSE is not a candidate for the engine's default.
   */
  maxContexts: 5000
} as const;

/** CAD-OSE's standard-profile threshold in NAB's config/thresholds.json (contextOSE). */
export const CADOSE_THRESHOLD = 0.765527;

const NEURON_BASE = 2 ** 31;
const M64 = (1n << 64n) - 1n;

/** Python 2.7's 64-bit `hash(tuple_of_ints)` (tuplehash in Objects/tupleobject.c). */
export function computePy2TupleHash(items: readonly number[]): bigint {
  let x = 0x345678n;
  let mult = 1000003n;
  let len = items.length;
  for (const item of items) {
    len--;
    const y = BigInt(item === -1 ? -2 : item);
    x = BigInt.asIntN(64, ((x ^ y) & M64) * mult);
    mult += BigInt(82520 + len + len);
  }
  x = BigInt.asIntN(64, x + 97531n);
  return x === -1n ? -2n : x;
}

interface LeftSemi {
  facts: number[];
  crossed: number[];
  len: number;
  count: number;
  contexts: Map<number, number>;
}

interface RightSemi {
  facts: number[];
  crossed: number[];
  len: number;
  count: number;
}

interface Context {
  id: number;
  count: number;
  zero: boolean;
  left: number;
  right: number;
  leftHash: bigint;
  rightHash: bigint;
}

export interface CadOseOptions {
  range?: { min: number; max: number };
  /** Probation length (NAB's, of the file); default that of an unbounded stream. */
  probation?: number;
  maxContexts?: number;
  state?: CadOseState;
}

export interface CadOseState {
  v: 1;
  fixedRange: boolean;
  min: number;
  max: number;
  restPeriod: number;
  /** null: unbounded (JSON has no Infinity). */
  maxContexts: number | null;
  leftFactsGroup: number[];
  /** Semi-context facts, in creation order. */
  lefts: number[][];
  rights: number[][];
  /** Contexts as [count, zerolevel (0/1), left id, right id], in creation order. */
  contexts: number[][];
  newContextId: number;
  /** The last `restPeriod` raw scores, oldest first. */
  history: number[];
  lastRaw: number;
}

const keyOf = (facts: readonly number[]): string => facts.join(',');

/**
 * Creates the CAD-OSE detector. Non-finite values score 0 and are not learned; timestamps
 * are ignored. O(semi-contexts) per point (it scans its context memory); memory grows with
 * the contexts learnt unless `maxContexts` bounds it.
 * @example
 * const d = createCadOseDetector({ range: { min: 0, max: 10 } });
 * d.push(0, 5); // 1 on the first point, then mostly small on a repeating series
 */
export function createCadOseDetector(
  options: CadOseOptions = {}
): OnlineDetector<CadOseState> & { rawScore(): number } {
  const P = CadOseDefaults;
  const s = options.state;
  const fixedRange = s?.fixedRange ?? options.range !== undefined;
  let min = s?.min ?? options.range?.min ?? Infinity;
  let max = s?.max ?? options.range?.max ?? -Infinity;
  const restPeriod = s?.restPeriod ?? Math.trunc((options.probation ?? P.probation) / 5);
  const maxContexts = s ? (s.maxContexts ?? Infinity) : (options.maxContexts ?? P.maxContexts);
  const maxBin = 2 ** P.numNormValueBits - 1;

  const lefts: LeftSemi[] = [];
  const rights: RightSemi[] = [];
  const leftByKey = new Map<string, number>();
  const rightByKey = new Map<string, number>();
  const leftFacts = new Map<number, LeftSemi[]>();
  const rightFacts = new Map<number, RightSemi[]>();
  const contexts: Context[] = [];
  let crossedLeft: LeftSemi[] = [];
  let crossedRight: RightSemi[] = [];
  // Python compares `False != contextID`, so "no new context" excludes context 0 too.
  let newContextId = s?.newContextId ?? 0;
  let leftFactsGroup: number[] = s ? s.leftFactsGroup.slice() : [];
  const history: number[] = s ? s.history.slice() : [1];
  let lastRaw = s?.lastRaw ?? 0;
  let lastScore = 0;

  const leftSemi = (facts: number[]): number => {
    const key = keyOf(facts);
    let id = leftByKey.get(key);
    if (id === undefined) {
      id = lefts.length;
      leftByKey.set(key, id);
      const v: LeftSemi = { facts, crossed: [], len: facts.length, count: 0, contexts: new Map() };
      lefts.push(v);
      for (const f of facts) {
        const list = leftFacts.get(f);
        if (list) list.push(v);
        else leftFacts.set(f, [v]);
      }
    }
    return id;
  };
  const rightSemi = (facts: number[]): number => {
    const key = keyOf(facts);
    let id = rightByKey.get(key);
    if (id === undefined) {
      id = rights.length;
      rightByKey.set(key, id);
      const v: RightSemi = { facts, crossed: [], len: facts.length, count: 0 };
      rights.push(v);
      for (const f of facts) {
        const list = rightFacts.get(f);
        if (list) list.push(v);
        else rightFacts.set(f, [v]);
      }
    }
    return id;
  };
  const full = () => contexts.length >= maxContexts;

  /** getContextByFacts: a zero-level context gives whether it was new; else how many were. */
  const storeContexts = (list: [number[], number[]][], zero: boolean): number => {
    let added = 0;
    for (const [lf, rf] of list) {
      if (full()) {
        // The memory is full: a known context still counts, nothing new is learnt.
        const l = leftByKey.get(keyOf(lf));
        const r = rightByKey.get(keyOf(rf));
        const id = l !== undefined && r !== undefined ? lefts[l].contexts.get(r) : undefined;
        if (zero) {
          if (id !== undefined) contexts[id].zero = true;
          return 0;
        }
        continue;
      }
      const l = leftSemi(lf);
      const r = rightSemi(rf);
      const existing = lefts[l].contexts.get(r);
      if (existing === undefined) {
        const id = contexts.length;
        lefts[l].contexts.set(r, id);
        added++;
        contexts.push({
          id,
          count: 0,
          zero,
          left: l,
          right: r,
          leftHash: computePy2TupleHash(lf),
          rightHash: computePy2TupleHash(rf)
        });
        if (zero) {
          newContextId = id;
          return 1;
        }
      } else if (zero) {
        contexts[existing].zero = true;
        return 0;
      }
    }
    return added;
  };

  const crossLeft = (facts: readonly number[]): void => {
    for (const v of crossedLeft) {
      v.crossed = [];
      v.count = 0;
    }
    for (const f of facts) for (const v of leftFacts.get(f) ?? []) v.crossed.push(f);
    crossedLeft = [];
    for (const v of lefts) {
      v.count = v.crossed.length;
      if (v.count > 0) crossedLeft.push(v);
    }
  };
  const crossRight = (facts: readonly number[]): void => {
    for (const v of crossedRight) {
      v.crossed = [];
      v.count = 0;
    }
    for (const f of facts) for (const v of rightFacts.get(f) ?? []) v.crossed.push(f);
    crossedRight = [];
    for (const v of rights) {
      v.count = v.crossed.length;
      if (v.count > 0) crossedRight.push(v);
    }
  };

  const updateAndGetActive = (newFlag: boolean) => {
    const active: Context[] = [];
    let selected = 0;
    const potential: [number[], number[]][] = [];
    for (const left of crossedLeft) {
      for (const [rightId, contextId] of left.contexts) {
        if (newContextId === contextId) continue;
        const c = contexts[contextId];
        const right = rights[rightId];
        if (left.len === left.count) {
          selected++;
          if (right.count > 0) {
            if (right.len === right.count) {
              c.count++;
              active.push(c);
            } else if (c.zero && newFlag && left.count <= P.maxLeftSemiContextsLength) {
              potential.push([left.crossed.slice(), right.crossed.slice()]);
            }
          }
        } else if (c.zero && newFlag && right.count > 0) {
          if (left.count <= P.maxLeftSemiContextsLength) {
            potential.push([left.crossed.slice(), right.crossed.slice()]);
          }
        }
      }
    }
    newContextId = 0;
    return { active, selected, potential };
  };

  const step = (sens: number[]): [number, number] => {
    const uniq = new Set<string>();
    let newFlag = false;
    if (leftFactsGroup.length > 0 && sens.length > 0) {
      uniq.add(`${keyOf(leftFactsGroup)}|${keyOf(sens)}`);
      newFlag = storeContexts([[leftFactsGroup, sens]], true) === 1;
    }
    crossRight(sens);
    const { active, selected, potential } = updateAndGetActive(newFlag);
    for (const [l, r] of potential) uniq.add(`${keyOf(l)}|${keyOf(r)}`);
    const pctActive = selected > 0 ? active.length / selected : 0;
    active.sort((a, b) =>
      a.count !== b.count
        ? a.count - b.count
        : a.leftHash !== b.leftHash
          ? a.leftHash < b.leftHash
            ? -1
            : 1
          : a.rightHash < b.rightHash
            ? -1
            : a.rightHash > b.rightHash
              ? 1
              : 0
    );
    const group = new Set(sens);
    for (const c of active.slice(-P.maxActiveNeuronsNum)) {
      group.add(NEURON_BASE + c.id);
    }
    leftFactsGroup = [...group].sort((a, b) => a - b);
    let added = potential.length > 0 ? storeContexts(potential, false) : 0;
    crossLeft(leftFactsGroup);
    if (newFlag) added++;
    const pctAdded = newFlag && uniq.size > 0 ? added / uniq.size : 0;
    return [pctActive, pctAdded];
  };

  const sensorFacts = (v: number): number[] => {
    let range = max - min;
    if (range === 0) range = maxBin;
    const stepSize = range / maxBin;
    let level = Math.trunc((v - min) / stepSize);
    if (!fixedRange) level = Math.min(maxBin, Math.max(0, level));
    const bits = level.toString(2).padStart(P.numNormValueBits, '0');
    const out: number[] = [];
    for (let k = 0; k < bits.length; k++)
      out.push(k * 2 + (bits[bits.length - 1 - k] === '1' ? 1 : 0));
    return out.sort((a, b) => a - b);
  };

  if (s) {
    // Rebuild the memory in creation order, then the left crossing of the last step.
    for (const f of s.lefts) leftSemi(f.slice());
    for (const f of s.rights) rightSemi(f.slice());
    for (const [count, zero, l, r] of s.contexts) {
      lefts[l].contexts.set(r, contexts.length);
      contexts.push({
        id: contexts.length,
        count,
        zero: zero === 1,
        left: l,
        right: r,
        leftHash: computePy2TupleHash(lefts[l].facts),
        rightHash: computePy2TupleHash(rights[r].facts)
      });
    }
    crossLeft(leftFactsGroup);
  }

  const detector = {
    name: 'cadose' as const,
    push(t: number, v: number): number {
      lastScore = 0;
      if (!Number.isFinite(v)) return 0;
      void t;
      if (!fixedRange) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const [a1, a2] = step(sensorFacts(v));
      const raw = (1 - a1 + a2) / 2;
      let recentMax = -Infinity;
      const from = restPeriod > 0 ? Math.max(0, history.length - restPeriod) : 0;
      for (let k = from; k < history.length; k++) recentMax = Math.max(recentMax, history[k]);
      const score = recentMax < P.baseThreshold ? raw : 0;
      history.push(raw);
      if (restPeriod > 0 && history.length > restPeriod) history.shift();
      lastRaw = raw;
      lastScore = score;
      return score;
    },
    observe(t: number, v: number): number {
      return detector.push(t, v);
    },
    evidence: () => lastScore,
    rawScore: () => lastRaw,
    state: (): CadOseState => ({
      v: 1,
      fixedRange,
      min,
      max,
      restPeriod,
      maxContexts: Number.isFinite(maxContexts) ? maxContexts : null,
      leftFactsGroup: leftFactsGroup.slice(),
      lefts: lefts.map((l) => l.facts.slice()),
      rights: rights.map((r) => r.facts.slice()),
      contexts: contexts.map((c) => [c.count, c.zero ? 1 : 0, c.left, c.right]),
      newContextId,
      history: history.slice(),
      lastRaw
    })
  };
  return detector;
}
