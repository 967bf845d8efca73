import { describe, expect, it } from 'vitest';
import {
  matchSelector,
  parseSeriesKey,
  selectSeries,
  validateRuleAgainst,
  type SeriesInfo
} from './match';
import { seriesKey } from '$lib/types/series-key';
import { parseRule } from './parse';
import type { AlertRuleSpec } from './types';

function spec(text: string): AlertRuleSpec {
  const r = parseRule(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.spec;
}
const series: SeriesInfo[] = [
  { key: 'cpu{cpu="0"}', name: 'cpu', labels: { cpu: '0' }, kind: 'gauge' },
  { key: 'cpu{cpu="1"}', name: 'cpu', labels: { cpu: '1' }, kind: 'gauge' },
  { key: 'cpu{cpu="total"}', name: 'cpu', labels: { cpu: 'total' }, kind: 'gauge' },
  { key: 'cpu', name: 'cpu', labels: {}, kind: 'gauge' },
  { key: 'rx{device="eth0"}', name: 'rx', labels: { device: 'eth0' }, kind: 'counter' }
];
const keys = (text: string) =>
  selectSeries(spec(`last(${text}) over 1m > 0`).condition.selector, series).map((s) => s.key);

describe('matchSelector', () => {
  it.each([
    ['cpu', ['cpu{cpu="0"}', 'cpu{cpu="1"}', 'cpu{cpu="total"}', 'cpu']],
    ['cpu{cpu="1"}', ['cpu{cpu="1"}']],
    ['cpu{cpu!="total"}', ['cpu{cpu="0"}', 'cpu{cpu="1"}', 'cpu']],
    // Regular expressions match the whole value, as in Prometheus: "1" does not match "total".
    ['cpu{cpu=~"[0-9]+"}', ['cpu{cpu="0"}', 'cpu{cpu="1"}']],
    ['cpu{cpu=~"o"}', []],
    ['cpu{cpu!~"0|1"}', ['cpu{cpu="total"}', 'cpu']],
    // A missing label reads as "": `cpu=""` matches the unlabelled series only.
    ['cpu{cpu=""}', ['cpu']],
    ['rx{device="eth1"}', []],
    ['nope', []]
  ])('%s', (selector, expected) => expect(keys(selector)).toEqual(expected));

  it('needs the same name', () => {
    const sel = spec('last(cpu) over 1m > 0').condition.selector;
    expect(matchSelector(sel, { key: 'cpu2', name: 'cpu2', labels: {} })).toBe(false);
  });
});

describe('validateRuleAgainst', () => {
  it.each([
    [
      'avg(cpu{cpu="9"}) over 1m > 1',
      [
        'No stored series of cpu has these labels (4 with other labels); the rule waits until one does.'
      ]
    ],
    [
      'avg(mem) over 1m > 1',
      ['No series named mem is stored yet; the rule waits until one arrives.']
    ],
    ['absent(mem)', []],
    ['rate(rx) over 1m > 1', []],
    [
      'rate(cpu{cpu="0"}) over 1m > 1',
      ['rate() expects a counter, but cpu{cpu="0"} is a gauge: a drop reads as a counter reset.']
    ],
    ['avg(cpu{cpu=~"0|1"}) over 1m > 1', ['Matches 2 series: one alert per series.']]
  ])('%s', (text, warnings) => expect(validateRuleAgainst(spec(text), series)).toEqual(warnings));
});

describe('parseSeriesKey', () => {
  it.each([
    ['up', {}],
    ['events:latency_p95', { actionType: 'build' }],
    ['m', { a: 'x,y', b: 'quote " and \\ back', c: 'line\nbreak' }]
  ])('round-trips seriesKey(%s, …)', (name, labels) => {
    const key = seriesKey(name, labels);
    expect(parseSeriesKey(key)).toEqual({ key, name, labels });
  });
  it.each(['', 'm{a=1}', 'm{a="x"', 'm{a="x" b="y"}'])('%s is not a key', (key) =>
    expect(parseSeriesKey(key)).toBeNull()
  );
});
