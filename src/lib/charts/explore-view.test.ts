import { describe, expect, it } from 'vitest';
import {
  DefaultExploreView,
  formatExploreView,
  panRange,
  parseExploreView,
  queryAggregates,
  resolveRange,
  zoomRange,
  zoomToData,
  type ExploreView
} from './explore-view';

const parse = (q: string) => parseExploreView(new URLSearchParams(q));

describe('Explore view in the URL', () => {
  it('reads defaults from an empty query and writes them as nothing', () => {
    const { view, problems } = parse('');
    expect(view).toEqual(DefaultExploreView);
    expect(problems).toEqual([]);
    expect(formatExploreView(view)).toBe('');
  });

  it('round-trips a full view', () => {
    const view: ExploreView = {
      series: ['cpu_usage_percent{cpu="0"}', 'cpu_usage_percent{cpu="1"}'],
      range: '7d',
      from: 1_700_000_000_000,
      to: 1_700_003_600_000,
      res: '1m',
      agg: ['avg', 'band', 'p99'],
      compare: true,
      rawCounter: true,
      rawHistogram: true,
      q: 'cpu'
    };
    const back = parse(formatExploreView(view)).view;
    // An absolute range wins over the preset, which is then not written.
    expect(back).toEqual({ ...view, range: DefaultExploreView.range });
  });

  it('names what it could not read and keeps the defaults', () => {
    const { view, problems } = parse('range=2w&res=3m&agg=avg,median&from=5&to=1');
    expect(view.range).toBe('1h');
    expect(view.res).toBe('auto');
    expect(view.agg).toEqual(['avg']);
    expect(view.from).toBeNull();
    expect(problems).toEqual([
      'Unknown range "2w"; showing the last hour.',
      '"to" must be after "from"; ignored.',
      'Unknown resolution "3m"; choosing automatically.',
      'Unknown aggregate "median".'
    ]);
  });

  it('accepts ISO times for from and to', () => {
    const { view } = parse('from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z');
    expect(view.from).toBe(Date.UTC(2026, 0, 1));
    expect(view.to).toBe(Date.UTC(2026, 0, 2));
  });

  it('orders aggregates canonically', () => {
    expect(parse('agg=p99,avg').view.agg).toEqual(['avg', 'p99']);
  });
});

describe('ranges', () => {
  it('resolves a preset against now', () => {
    expect(resolveRange({ ...DefaultExploreView, range: '5m' }, 1_000_000)).toEqual({
      from: 700_000,
      to: 1_000_000
    });
  });

  it('zooms around a point keeping its relative place', () => {
    expect(zoomRange({ from: 0, to: 1000_000 }, 0.5, 250_000)).toEqual({
      from: 125_000,
      to: 625_000
    });
    expect(
      zoomRange({ from: 0, to: 1000 }, 0.001).to - zoomRange({ from: 0, to: 1000 }, 0.001).from
    ).toBe(1000);
  });

  it('pans by a share of the span', () => {
    expect(panRange({ from: 100, to: 200 }, -0.5)).toEqual({ from: 50, to: 150 });
  });

  it('asks the store for min and max when the band is drawn', () => {
    expect(queryAggregates(['avg', 'band', 'p95'])).toEqual(['avg', 'min', 'max', 'p95']);
  });
});

describe('zoom to data', () => {
  const hour = { from: 10_000_000, to: 13_600_000 };
  it('leaves a range that overlaps the data alone', () => {
    expect(zoomToData(hour, [{ firstT: 0, lastT: 11_000_000 }])).toBeNull();
    expect(zoomToData(hour, [{}])).toBeNull();
  });
  it('opens on the extent of every series when the range holds none of it', () => {
    const r = zoomToData(hour, [
      { firstT: 1_000_000, lastT: 2_000_000 },
      { firstT: 1_500_000, lastT: 3_000_000 }
    ])!;
    expect(r.from).toBeLessThan(1_000_000);
    expect(r.to).toBeGreaterThan(3_000_000);
  });
  it('centres a single sample in a window at least a minute wide', () => {
    expect(zoomToData(hour, [{ firstT: 5_000, lastT: 5_000 }])).toEqual({
      from: -25_000,
      to: 35_000
    });
  });
});
