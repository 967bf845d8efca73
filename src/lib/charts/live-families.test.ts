import { describe, expect, it } from 'vitest';
import type { SeriesRecord } from '$lib/types';
import { describeLine, filterFamilies, groupFamilies } from './live-families';

let nextId = 1;
function series(name: string, labels: Record<string, string>, lastV?: number): SeriesRecord {
  const id = nextId++;
  const key = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
  return {
    id,
    key,
    name,
    labels,
    unit: '%',
    kind: name.endsWith('_total') ? 'counter' : 'gauge',
    source: 'api',
    category: 'system',
    lastV,
    lastT: lastV === undefined ? undefined : 1000 * id
  };
}

describe('groupFamilies', () => {
  it('is empty for no series', () => {
    expect(groupFamilies([])).toEqual([]);
  });

  it('puts series sharing a name in one family, highest latest value first', () => {
    const cpu0 = series('cpu', { cpu: '0' }, 10);
    const cpu1 = series('cpu', { cpu: '1' }, 30);
    const cpu2 = series('cpu', { cpu: '2' });
    const mem = series('mem', {}, 5);
    const families = groupFamilies([mem, cpu0, cpu2, cpu1]);
    expect(families.map((f) => f.name)).toEqual(['cpu', 'mem']);
    expect(families[0].members.map((s) => s.id)).toEqual([cpu1.id, cpu0.id, cpu2.id]);
    expect(families[0].lastT).toBe(Math.max(cpu0.lastT!, cpu1.lastT!));
    expect(families[1].lastT).toBe(mem.lastT);
  });

  it('marks counter families as rates', () => {
    const [f] = groupFamilies([series('requests_total', { code: '200' }, 1)]);
    expect(f.rate).toBe(true);
    expect(f.unit).toBe('%/s');
  });

  it('groups 10,000 series into their families', () => {
    const list = Array.from({ length: 10_000 }, (_, i) =>
      series(`metric_${i % 25}`, { instance: String(i) }, i)
    );
    const families = groupFamilies(list);
    expect(families).toHaveLength(25);
    expect(families.every((f) => f.members.length === 400)).toBe(true);
  });
});

describe('filterFamilies', () => {
  const families = groupFamilies([
    series('cpu_seconds_total', { cpu: '0', mode: 'idle' }, 1),
    series('cpu_seconds_total', { cpu: '0', mode: 'user' }, 2),
    series('memory_used_bytes', {}, 3)
  ]);

  it.each([
    ['', 2, 3],
    ['cpu', 1, 2],
    ['CPU mode=idle', 1, 1],
    ['memory', 1, 1],
    ['nothing', 0, 0]
  ])('"%s" keeps %i families and %i series', (query, nFamilies, nSeries) => {
    const out = filterFamilies(families, query);
    expect(out).toHaveLength(nFamilies);
    expect(out.reduce((n, f) => n + f.members.length, 0)).toBe(nSeries);
  });
});

describe('describeLine', () => {
  it('names a line by its labels, or by the family name when it has none', () => {
    expect(describeLine({ name: 'cpu', labels: { cpu: '0', mode: 'idle' } })).toBe(
      'cpu=0, mode=idle'
    );
    expect(describeLine({ name: 'mem', labels: {} })).toBe('mem');
  });
});
