import { describe, expect, it } from 'vitest';
import { rankTop } from './topn';

describe('rankTop', () => {
  const rows = [
    { triggerId: 'a', executions: 5, failures: 4 },
    { triggerId: 'b', executions: 9, failures: 1 },
    { triggerId: 'c', executions: NaN, failures: 2 }
  ];

  it('ranks by the first numeric column, largest first, leaving out non-numbers', () => {
    const top = rankTop(rows, { limit: 5 });
    expect(top.labelColumn).toBe('triggerId');
    expect(top.items.map((i) => [i.label, i.value, i.share])).toEqual([
      ['b', 9, 1],
      ['a', 5, 5 / 9]
    ]);
  });

  it('ranks by the field asked for, at most limit', () => {
    expect(rankTop(rows, { limit: 1, field: 'failures' }).items.map((i) => i.label)).toEqual(['a']);
  });

  it('is empty for no rows', () => {
    expect(rankTop([], { limit: 3 }).items).toEqual([]);
  });
});
