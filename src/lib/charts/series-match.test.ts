import { describe, expect, it } from 'vitest';
import type { SeriesRecord } from '$lib/types';
import { parseSelector, seriesMatcher } from './series-match';

const rec = (name: string, labels: Record<string, string>): SeriesRecord => ({
  id: 1,
  key: name,
  name,
  labels,
  unit: '',
  kind: 'gauge',
  source: 'import',
  category: 'system'
});
const cpus = ['0', '1', '2', '3'].map((cpu) => rec('node_cpu', { cpu, mode: 'idle' }));
const all = [...cpus, rec('node_load1', {}), rec('node_cpu', { cpu: '0', mode: 'user' })];
const names = (q: string) =>
  all.filter(seriesMatcher(q).test).map((s) => `${s.name}${JSON.stringify(s.labels)}`);

describe('series search', () => {
  it('reads selectors with every matcher', () => {
    expect(parseSelector('node_cpu{cpu=~"[01]", mode!="user"}')).toEqual({
      name: 'node_cpu',
      matchers: [
        { label: 'cpu', op: '=~', value: '[01]' },
        { label: 'mode', op: '!=', value: 'user' }
      ]
    });
    expect(parseSelector('{job="a\\"b"}')).toEqual({
      name: null,
      matchers: [{ label: 'job', op: '=', value: 'a"b' }]
    });
    expect(parseSelector('cpu total')).toBeNull();
    expect(parseSelector('x{cpu=0}')).toBeNull();
  });

  it('matches label values exactly and regexes anchored', () => {
    expect(names('node_cpu{mode="idle"}')).toHaveLength(4);
    expect(names('node_cpu{cpu=~"[12]"}')).toEqual([
      'node_cpu{"cpu":"1","mode":"idle"}',
      'node_cpu{"cpu":"2","mode":"idle"}'
    ]);
    expect(names('node_cpu{cpu=~"1"}')).toHaveLength(1);
    expect(names('{mode!~"id.*"}')).toEqual(['node_load1{}', 'node_cpu{"cpu":"0","mode":"user"}']);
  });

  it('keeps the word search, and names a bad regex', () => {
    expect(names('cpu user')).toEqual(['node_cpu{"cpu":"0","mode":"user"}']);
    expect(names('')).toHaveLength(all.length);
    expect(seriesMatcher('x{a=~"("}').problem).toMatch(/not a valid regex/);
  });
});
