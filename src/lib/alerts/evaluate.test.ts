import { describe, expect, it } from 'vitest';
import { evaluateRule, type EvaluableRule } from './evaluate';
import { parseRule } from './parse';
import type { AlertInstanceState, AlertTransitionKind } from './types';

const S = 1_000;
function rule(text: string, createdAt = 0): EvaluableRule {
  const r = parseRule(text);
  if (!r.ok) throw new Error(r.error.message);
  return { ...r.spec, id: 'r1', createdAt };
}

/**
 * Runs a rule over a sequence of (time, value) steps for one series and returns, per step,
 * the status and the transition, so each table reads as the hand-computed oracle.
 */
function run(text: string, steps: Array<[number, number]>) {
  const r = rule(text);
  let states: Record<string, AlertInstanceState> = {};
  return steps.map(([t, value]) => {
    const out = evaluateRule(r, [{ seriesKey: 'cpu', value }], states, t);
    states = out.states;
    return [states.cpu.status, out.transitions.map((x) => x.kind).join(',') || '-'] as const;
  });
}

describe('evaluateRule', () => {
  it('waits `for` before firing, then resolves when the condition stops', () => {
    // > 90 for 20s; evaluations every 10 s.
    expect(
      run('max(cpu) over 1m > 90 for 20s', [
        [0, 50],
        [10 * S, 95], // holds: pending since 10 s
        [20 * S, 96], // 10 s held
        [30 * S, 97], // 20 s held → firing
        [40 * S, 91],
        [50 * S, 90], // not > 90: resolved (default clear = condition stops)
        [60 * S, 50]
      ])
    ).toEqual([
      ['ok', '-'],
      ['pending', 'pending'],
      ['pending', '-'],
      ['firing', 'firing'],
      ['firing', '-'],
      ['ok', 'resolved'],
      ['ok', '-']
    ]);
  });

  it('cancels a pending alert when the condition stops before `for` elapsed', () => {
    expect(
      run('max(cpu) over 1m > 90 for 30s', [
        [0, 95],
        [10 * S, 95],
        [20 * S, 80], // cancelled
        [30 * S, 95], // pending again, from 30 s
        [50 * S, 95], // 20 s held
        [60 * S, 95] // 30 s held → firing
      ])
    ).toEqual([
      ['pending', 'pending'],
      ['pending', '-'],
      ['ok', 'cancelled'],
      ['pending', 'pending'],
      ['pending', '-'],
      ['firing', 'firing']
    ]);
  });

  it('fires in one pass with for 0s', () => {
    expect(run('avg(cpu) over 1m > 90', [[0, 91]])).toEqual([['firing', 'firing']]);
  });

  it('keeps firing inside the hysteresis band and resolves only below clear', () => {
    expect(
      run('avg(cpu) over 1m > 90 clear < 80', [
        [0, 95],
        [10 * S, 85], // below 90 but not below 80: still firing
        [20 * S, 80], // not < 80
        [30 * S, 79.9], // resolved
        [40 * S, 85] // not > 90: stays ok
      ])
    ).toEqual([
      ['firing', 'firing'],
      ['firing', '-'],
      ['firing', '-'],
      ['ok', 'resolved'],
      ['ok', '-']
    ]);
  });

  it('treats NaN (no data) as no evidence: cancels pending, keeps firing', () => {
    expect(
      run('avg(cpu) over 1m > 90 for 10s', [
        [0, 95],
        [5 * S, NaN], // gap: pending cancelled
        [10 * S, 95],
        [20 * S, 95], // firing
        [30 * S, NaN], // gap: still firing, not resolved
        [40 * S, 10] // resolved
      ])
    ).toEqual([
      ['pending', 'pending'],
      ['ok', 'cancelled'],
      ['pending', 'pending'],
      ['firing', 'firing'],
      ['firing', '-'],
      ['ok', 'resolved']
    ]);
  });

  it('ignores a pass at or before the last evaluation (retries, a second engine)', () => {
    const r = rule('avg(cpu) over 1m > 90');
    const first = evaluateRule(r, [{ seriesKey: 'cpu', value: 95 }], {}, 10 * S);
    expect(first.transitions.map((t) => t.kind)).toEqual(['firing']);
    const again = evaluateRule(r, [{ seriesKey: 'cpu', value: 10 }], first.states, 10 * S);
    expect(again.transitions).toEqual([]);
    expect(again.states).toEqual(first.states);
    const older = evaluateRule(r, [{ seriesKey: 'cpu', value: 10 }], first.states, 5 * S);
    expect(older.transitions).toEqual([]);
  });

  it('keeps one instance per series and evaluates vanished series as no data', () => {
    const r = rule('last(cpu) over 1m > 90 for 10s severity critical');
    const a = evaluateRule(
      r,
      [
        { seriesKey: 'cpu{cpu="0"}', value: 95 },
        { seriesKey: 'cpu{cpu="1"}', value: 20 }
      ],
      {},
      0
    );
    expect(a.transitions).toEqual([
      {
        ruleId: 'r1',
        ruleName: 'last(cpu) over 1m > 90',
        severity: 'critical',
        seriesKey: 'cpu{cpu="0"}',
        kind: 'pending',
        t: 0,
        value: 95
      }
    ]);
    // cpu 0 stopped reporting: its pending alert is cancelled; cpu 1 fires.
    const b = evaluateRule(r, [{ seriesKey: 'cpu{cpu="1"}', value: 99 }], a.states, 10 * S);
    expect(b.transitions.map((t) => [t.seriesKey, t.kind])).toEqual([
      ['cpu{cpu="1"}', 'pending'],
      ['cpu{cpu="0"}', 'cancelled']
    ]);
    // Its instance, now ok without a series, can be forgotten.
    expect(b.dropped).toEqual(['cpu{cpu="0"}']);
    expect(Object.keys(b.states)).toEqual(['cpu{cpu="1"}']);
  });

  describe('absent()', () => {
    const kinds = (x: { transitions: { kind: AlertTransitionKind }[] }) =>
      x.transitions.map((t) => t.kind);

    it('counts `for` from the last sample and resolves when a sample arrives', () => {
      // Grace 30 s (default), for 2m: fires once the last sample is 2 min old.
      const r = rule('absent(agent_cpu) for 2m');
      const at = (now: number, lastSeen: number, prev: Record<string, AlertInstanceState>) =>
        evaluateRule(r, [{ seriesKey: 'agent_cpu', value: NaN, lastSeen }], prev, now);
      const s1 = at(20 * S, 0, {}); // 20 s since the sample: within the grace
      expect([s1.states.agent_cpu.status, kinds(s1)]).toEqual(['ok', []]);
      const s2 = at(40 * S, 0, s1.states); // 40 s: absent, pending since the sample
      expect([s2.states.agent_cpu.status, s2.states.agent_cpu.since, kinds(s2)]).toEqual([
        'pending',
        0,
        ['pending']
      ]);
      const s3 = at(119 * S, 0, s2.states);
      expect(s3.states.agent_cpu.status).toBe('pending');
      const s4 = at(120 * S, 0, s3.states); // 2 min since the last sample
      expect([s4.states.agent_cpu.status, kinds(s4)]).toEqual(['firing', ['firing']]);
      expect(s4.states.agent_cpu.value).toBe(120); // seconds since the last sample
      const s5 = at(130 * S, 125 * S, s4.states); // a sample arrived
      expect([s5.states.agent_cpu.status, kinds(s5)]).toEqual(['ok', ['resolved']]);
    });

    it('accepts series never seen: counts from the rule creation', () => {
      const r = rule('absent(never_seen) for 1m', 1_000);
      const input = [{ seriesKey: 'never_seen', value: NaN, lastSeen: null }];
      expect(evaluateRule(r, input, {}, 31_000).states.never_seen.status).toBe('pending');
      const fired = evaluateRule(r, input, {}, 61_000);
      expect(kinds(fired)).toEqual(['firing']);
      // The series appears: the selector-level instance has no input any more → resolved.
      const back = evaluateRule(
        r,
        [{ seriesKey: 'never_seen{a="1"}', value: NaN, lastSeen: 61_500 }],
        fired.states,
        62_000
      );
      expect(back.transitions.map((t) => [t.seriesKey, t.kind])).toEqual([
        ['never_seen', 'resolved']
      ]);
      expect(back.states['never_seen{a="1"}'].status).toBe('ok');
      expect(back.dropped).toEqual(['never_seen']);
    });
  });

  it('clears acknowledgement when the alert resolves', () => {
    const r = rule('avg(cpu) over 1m > 90');
    const a = evaluateRule(r, [{ seriesKey: 'cpu', value: 95 }], {}, 0);
    const acked = { cpu: { ...a.states.cpu, acknowledged: true } };
    const b = evaluateRule(r, [{ seriesKey: 'cpu', value: 96 }], acked, 1);
    expect(b.states.cpu.acknowledged).toBe(true);
    const c = evaluateRule(r, [{ seriesKey: 'cpu', value: 1 }], b.states, 2);
    expect(c.states.cpu.acknowledged).toBe(false);
  });
});
