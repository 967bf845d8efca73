import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '$lib/types';
import { evaluateRule, type EvaluableRule } from './evaluate';
import { parseRule } from './parse';
import {
  computeResultLogInputs,
  listResultLogSeries,
  ResultLogAlertTemplates,
  type ViewHealth
} from './resultlog';
import type { AlertInstanceState } from './types';

const NOW = Date.UTC(2026, 11, 7, 12);
const MIN = 60_000;

/** `n` events spread over the last 10 minutes before `at`. */
function events(n: number, f: (i: number) => Partial<ResultEvent>, at = NOW): ResultEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    t: at - 10 * MIN + (i * 10 * MIN) / n,
    actionType: 'build',
    status: 'success',
    durationMs: 200,
    triggerId: 'trigger-1',
    organisationId: 'acme',
    ...f(i)
  }));
}

const healthyViews: ViewHealth[] = ['hourly', 'triggers', 'recentFailures', 'distribution'].map(
  (view) => ({ view, ageMs: 5_000, durationMs: 40, failed: false })
);

function rule(text: string): EvaluableRule {
  const p = parseRule(text);
  if (!p.ok) throw new Error(p.error.message);
  return { ...p.spec, id: 'r', createdAt: 0 };
}

/** Runs the rule at now and once more after its `for`, on the same data; the final states. */
function run(text: string, source: { events: ResultEvent[]; views: ViewHealth[] }) {
  const r = rule(text);
  let states: Record<string, AlertInstanceState> = {};
  const fired: string[] = [];
  for (const at of [NOW, NOW + r.forMs + 1]) {
    const shifted = source.events.map((e) => ({ ...e, t: e.t + (at - NOW) }));
    const inputs = computeResultLogInputs(r.condition, { ...source, events: shifted, now: at });
    const res = evaluateRule(r, inputs, states, at);
    states = res.states;
    for (const t of res.transitions) if (t.kind === 'firing') fired.push(t.seriesKey);
  }
  return { fired, inputs: Object.keys(states) };
}

const template = (id: string) => ResultLogAlertTemplates.find((t) => t.id === id)!.text;

describe('the recommended result-log alerts, as templates', () => {
  it('every template parses', () => {
    expect(ResultLogAlertTemplates).toHaveLength(5);
    for (const t of ResultLogAlertTemplates) expect(parseRule(t.text).ok).toBe(true);
  });

  it('success rate < 90 %: fires at 85 % (mixed-case statuses count), quiet at 95 %', () => {
    const bad = events(100, (i) => ({ status: i < 85 ? 'SUCCESS' : 'failure' }));
    const good = events(100, (i) => ({ status: i < 95 ? 'Success' : 'failure' }));
    const text = template('low-success-rate');
    expect(run(text, { events: bad, views: healthyViews }).fired).toEqual([
      'resultlog:success{scope="all"}'
    ]);
    expect(run(text, { events: good, views: healthyViews }).fired).toEqual([]);
  });

  it('p95 > 1 s per action type: fires for the slow one only; null durations are gaps', () => {
    // build: 1..100 × 20 ms → p95 = 1,901 ms; deploy: 1..100 × 5 ms → 475.25 ms, and nulls.
    const mixed = [
      ...events(100, (i) => ({ durationMs: (i + 1) * 20 })),
      ...events(100, (i) => ({ actionType: 'deploy', durationMs: (i + 1) * 5 })),
      ...events(50, () => ({ actionType: 'deploy', durationMs: null as unknown as number }))
    ];
    const text = template('slow-p95');
    const r = run(text, { events: mixed, views: healthyViews });
    expect(r.fired).toEqual(['resultlog:duration_ms{actionType="build",scope="actionType"}']);
    const values = computeResultLogInputs(rule(text).condition, {
      events: mixed,
      views: [],
      now: NOW
    });
    expect(values.map((v) => v.value)).toEqual([1901, 475.25]);
    const fast = events(100, (i) => ({ durationMs: (i + 1) * 9 })); // p95 = 855.45
    expect(run(text, { events: fast, views: healthyViews }).fired).toEqual([]);
  });

  it.each([
    ['stale-view', { ageMs: 16 * MIN }, { ageMs: 14 * MIN }],
    ['failed-refresh', { failed: true }, { failed: false }],
    ['slow-refresh', { durationMs: 5_001 }, { durationMs: 5_000 }]
  ])('%s fires for the broken view only, and not at the edge', (id, broken, edge) => {
    const text = template(id);
    const views = healthyViews.map((v) => (v.view === 'triggers' ? { ...v, ...broken } : v));
    const r = run(text, { events: [], views });
    expect(r.fired).toHaveLength(1);
    expect(r.fired[0]).toContain('view="triggers"');
    const atEdge = healthyViews.map((v) => (v.view === 'triggers' ? { ...v, ...edge } : v));
    expect(run(text, { events: [], views: atEdge }).fired).toEqual([]);
    expect(run(text, { events: [], views: healthyViews }).fired).toEqual([]);
  });
});

describe('computeResultLogInputs', () => {
  it('error rate per trigger and organisation; events outside the window are left out', () => {
    const list = [
      ...events(10, (i) => ({ status: i < 3 ? 'failure' : 'success' })),
      ...events(10, () => ({ triggerId: 'trigger-2', organisationId: 'globex' })),
      // Older than the 15-minute window: a failure that must not count.
      {
        t: NOW - 20 * MIN,
        actionType: 'build',
        status: 'failure',
        durationMs: 1,
        triggerId: 'trigger-2'
      }
    ];
    const c = rule('avg(resultlog:error{scope="trigger"}) over 15m > 0.1').condition;
    const inputs = computeResultLogInputs(c, { events: list, views: [], now: NOW });
    expect(inputs).toEqual([
      { seriesKey: 'resultlog:error{scope="trigger",triggerId="trigger-1"}', value: 0.3 },
      { seriesKey: 'resultlog:error{scope="trigger",triggerId="trigger-2"}', value: 0 }
    ]);
    const org = rule('count(resultlog:success{organisationId="globex"}) over 15m > 0').condition;
    expect(computeResultLogInputs(org, { events: list, views: [], now: NOW })).toEqual([
      { seriesKey: 'resultlog:success{organisationId="globex",scope="organisation"}', value: 10 }
    ]);
  });

  it('lists the virtual series for the editor', () => {
    const names = listResultLogSeries(
      events(1, () => ({})),
      healthyViews.slice(0, 1)
    ).map((s) => s.key);
    expect(names).toContain('resultlog:success{scope="all"}');
    expect(names).toContain('resultlog:duration_ms{actionType="build",scope="actionType"}');
    expect(names).toContain('resultlog:view_failed{view="hourly"}');
  });
});
