/**
 * The Explore view as plain data, and its round trip through the URL so a view can be
 * bookmarked and the back button works: `?series=<key>&series=<key2>&range=1h` (one or
 * several series drawn together) or
 * `&from=<ms>&to=<ms>` (absolute), `&res=auto|raw|<tier>`, `&agg=avg,band,p95`, `&cmp=1`
 * (previous period), `&counter=raw` (counters as stored instead of per-second rates),
 * `&hist=raw` (a histogram's bucket series as stored instead of its p50/p95/p99) and
 * `&q=<search>`. Defaults are left out of the URL.
 */
import { TierNames, type Aggregate, type TierName } from '$lib/types';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Relative ranges, from the last 5 minutes to the last 5 years. */
export const RangePresets = [
  { id: '5m', label: 'Last 5 minutes', ms: 5 * MIN },
  { id: '15m', label: 'Last 15 minutes', ms: 15 * MIN },
  { id: '1h', label: 'Last hour', ms: HOUR },
  { id: '6h', label: 'Last 6 hours', ms: 6 * HOUR },
  { id: '24h', label: 'Last 24 hours', ms: DAY },
  { id: '7d', label: 'Last 7 days', ms: 7 * DAY },
  { id: '30d', label: 'Last 30 days', ms: 30 * DAY },
  { id: '90d', label: 'Last 90 days', ms: 90 * DAY },
  { id: '1y', label: 'Last year', ms: 365 * DAY },
  { id: '5y', label: 'Last 5 years', ms: 5 * 365 * DAY }
] as const;
export type RangePreset = (typeof RangePresets)[number]['id'];

/** What the chart can draw: the average, the min–max band, percentiles. */
export const ExploreAggregates = ['avg', 'band', 'p50', 'p95', 'p99'] as const;
export type ExploreAggregate = (typeof ExploreAggregates)[number];
export type Resolution = 'auto' | 'raw' | TierName;

export interface ExploreView {
  /** Keys of the series drawn together, in the order they were picked. */
  series: string[];
  range: RangePreset;
  /** Absolute range; both set or both null (then `range` applies). */
  from: number | null;
  to: number | null;
  res: Resolution;
  agg: ExploreAggregate[];
  compare: boolean;
  /** Counters as stored (cumulative) instead of the default per-second rate. */
  rawCounter: boolean;
  /** A histogram bucket series as stored instead of the family's p50/p95/p99. */
  rawHistogram: boolean;
  q: string;
}

export const DefaultExploreView: ExploreView = {
  series: [],
  range: '1h',
  from: null,
  to: null,
  res: 'auto',
  agg: ['avg'],
  compare: false,
  rawCounter: false,
  rawHistogram: false,
  q: ''
};

/** Smallest span a zoom may reach (one second). */
export const MinSpanMs = 1_000;

/**
 * Reads a view from URL parameters; anything unreadable falls back to its default and
 * is named in `problems` (a sentence each) so the page can say what it ignored.
 */
export function parseExploreView(params: URLSearchParams): {
  view: ExploreView;
  problems: string[];
} {
  const problems: string[] = [];
  const view: ExploreView = { ...DefaultExploreView, agg: [...DefaultExploreView.agg] };
  view.series = [...new Set(params.getAll('series').filter(Boolean))];
  view.q = params.get('q') ?? '';
  const range = params.get('range');
  if (range !== null) {
    if (RangePresets.some((p) => p.id === range)) view.range = range as RangePreset;
    else problems.push(`Unknown range "${range}"; showing the last hour.`);
  }
  const fromRaw = params.get('from');
  const toRaw = params.get('to');
  if (fromRaw !== null || toRaw !== null) {
    const from = readTime(fromRaw);
    const to = readTime(toRaw);
    if (from === null || to === null) {
      problems.push('"from" and "to" must both be times (epoch ms or ISO 8601); ignored.');
    } else if (!(to > from)) {
      problems.push('"to" must be after "from"; ignored.');
    } else {
      view.from = from;
      view.to = to;
    }
  }
  const res = params.get('res');
  if (res !== null) {
    if (res === 'auto' || res === 'raw' || (TierNames as readonly string[]).includes(res)) {
      view.res = res as Resolution;
    } else problems.push(`Unknown resolution "${res}"; choosing automatically.`);
  }
  const agg = params.get('agg');
  if (agg !== null) {
    const parts = agg.split(',').filter(Boolean);
    const known = parts.filter((a): a is ExploreAggregate =>
      (ExploreAggregates as readonly string[]).includes(a)
    );
    const unknown = parts.filter((a) => !known.includes(a as ExploreAggregate));
    if (unknown.length)
      problems.push(`Unknown aggregate ${unknown.map((u) => `"${u}"`).join(', ')}.`);
    if (known.length) view.agg = ExploreAggregates.filter((a) => known.includes(a));
  }
  view.compare = params.get('cmp') === '1';
  view.rawCounter = params.get('counter') === 'raw';
  view.rawHistogram = params.get('hist') === 'raw';
  return { view, problems };
}

function readTime(raw: string | null): number | null {
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  if (Number.isFinite(n)) return n;
  const parsed = Date.parse(raw);
  return Number.isFinite(parsed) ? parsed : null;
}

/** The URL query string of a view (no leading "?"), defaults left out. */
export function formatExploreView(view: ExploreView): string {
  const p = new URLSearchParams();
  for (const key of view.series) p.append('series', key);
  if (view.from !== null && view.to !== null) {
    p.set('from', String(Math.round(view.from)));
    p.set('to', String(Math.round(view.to)));
  } else if (view.range !== DefaultExploreView.range) p.set('range', view.range);
  if (view.res !== 'auto') p.set('res', view.res);
  if (view.agg.join(',') !== DefaultExploreView.agg.join(',')) p.set('agg', view.agg.join(','));
  if (view.compare) p.set('cmp', '1');
  if (view.rawCounter) p.set('counter', 'raw');
  if (view.rawHistogram) p.set('hist', 'raw');
  if (view.q) p.set('q', view.q);
  return p.toString();
}

/** The absolute range a view shows at `now`. */
export function resolveRange(view: ExploreView, now: number): { from: number; to: number } {
  if (view.from !== null && view.to !== null) return { from: view.from, to: view.to };
  const preset = RangePresets.find((p) => p.id === view.range) ?? RangePresets[2];
  return { from: now - preset.ms, to: now };
}

/**
 * Zooms a range by `factor` (< 1 in, > 1 out) keeping `center` at the same relative place;
 * never narrower than MinSpanMs.
 */
export function zoomRange(
  range: { from: number; to: number },
  factor: number,
  center = (range.from + range.to) / 2
): { from: number; to: number } {
  const span = range.to - range.from;
  const next = Math.max(MinSpanMs, span * factor);
  const share = span > 0 ? (center - range.from) / span : 0.5;
  const from = center - share * next;
  return { from, to: from + next };
}

/** Moves a range by `share` of its span (negative: back in time). */
export function panRange(range: { from: number; to: number }, share: number) {
  const d = (range.to - range.from) * share;
  return { from: range.from + d, to: range.to + d };
}

/** The store aggregates a set of drawn aggregates needs. */
export function queryAggregates(agg: ExploreAggregate[]): Aggregate[] {
  const out = new Set<Aggregate>();
  for (const a of agg) {
    if (a === 'band') {
      out.add('min');
      out.add('max');
    } else out.add(a);
  }
  return [...out];
}

/** How a resolution reads on a chart: "raw points", "1 min buckets". */
export function describeResolution(tier: Resolution): string {
  const names: Record<string, string> = {
    raw: 'raw points',
    '1s': '1 s buckets',
    '10s': '10 s buckets',
    '1m': '1 min buckets',
    '5m': '5 min buckets',
    '15m': '15 min buckets',
    '1h': '1 h buckets',
    '1d': '1 day buckets',
    '1w': '1 week buckets',
    '1M': '1 month buckets',
    auto: 'automatic'
  };
  return names[tier] ?? tier;
}

/**
 * The range to show when the chosen one holds none of the data: the data's extent
 * (`firstT`–`lastT` of the drawn series), padded by 5 % each side so end points are not on
 * the frame; a single sample sits in the middle of a one-minute window.
 * Null when the chosen range overlaps the data, or no extent is known.
 */
export function zoomToData(
  range: { from: number; to: number },
  extents: { firstT?: number; lastT?: number }[]
): { from: number; to: number } | null {
  let first = Infinity;
  let last = -Infinity;
  for (const e of extents) {
    if (e.firstT === undefined || e.lastT === undefined) continue;
    first = Math.min(first, e.firstT);
    last = Math.max(last, e.lastT);
  }
  if (!Number.isFinite(first) || !Number.isFinite(last)) return null;
  if (last >= range.from && first <= range.to) return null;
  const pad = last > first ? Math.max((last - first) * 0.05, 500) : 30_000;
  return { from: first - pad, to: last + pad };
}
