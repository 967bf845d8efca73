/**
 * Live charts one per metric family: the series sharing a name (and a category), such as
 * node_cpu_seconds_total{cpu,mode}, share one chart with a line each — Netdata's families,
 * Grafana's repeated panels. At 10,000 series that is tens of charts, not thousands.
 */
import type { SeriesRecord } from '$lib/types';

export interface LiveFamily {
  /** `category/name`: unique, stable across refreshes. */
  id: string;
  name: string;
  category: SeriesRecord['category'];
  /** Unit of what the chart shows (a counter's unit per second). */
  unit: string;
  /** Counters are shown as per-second rates. */
  rate: boolean;
  /** Series of the family, highest latest value first. */
  members: SeriesRecord[];
  /** Newest point of any member (from the series list), or -Infinity. */
  lastT: number;
}

/** Lines a family chart draws before "Show all". */
export const LiveFamilyDefaults = { lines: 6 };

/**
 * Groups series into families by category and name; families sorted by name, members by
 * latest value (highest first; series without one last, then by key). O(n log n).
 * Empty input → empty list.
 * @example groupFamilies([cpu0, cpu1, mem]); // [{ name: 'cpu', members: [cpu1, cpu0] }, { name: 'mem', … }]
 */
export function groupFamilies(series: readonly SeriesRecord[]): LiveFamily[] {
  const byId = new Map<string, LiveFamily>();
  for (const s of series) {
    const id = `${s.category}/${s.name}`;
    let f = byId.get(id);
    if (!f) {
      f = {
        id,
        name: s.name,
        category: s.category,
        unit: s.kind === 'counter' ? perSecond(s.unit) : s.unit,
        rate: s.kind === 'counter',
        members: [],
        lastT: -Infinity
      };
      byId.set(id, f);
    }
    f.members.push(s);
    if (s.lastT !== undefined && s.lastT > f.lastT) f.lastT = s.lastT;
  }
  const families = [...byId.values()];
  for (const f of families) f.members.sort(byLatestValue);
  return families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The unit of a counter's rate: `bytes` → `bytes/s`, a plain count → `/s`. */
export function perSecond(unit: string): string {
  return !unit || unit === 'count' ? '/s' : `${unit}/s`;
}

function byLatestValue(a: SeriesRecord, b: SeriesRecord): number {
  const av = a.lastV ?? NaN;
  const bv = b.lastV ?? NaN;
  if (Number.isNaN(av) !== Number.isNaN(bv)) return Number.isNaN(av) ? 1 : -1;
  if (av !== bv && !Number.isNaN(av)) return bv - av;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The families matching a search: a family whose name contains every word keeps all its
 * series; otherwise only the series whose labels contain the remaining words do. Case
 * insensitive; an empty query keeps everything. O(series × words).
 * @example filterFamilies(families, 'cpu mode=idle'); // cpu families, idle series only
 */
export function filterFamilies(families: readonly LiveFamily[], query: string): LiveFamily[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...families];
  const out: LiveFamily[] = [];
  for (const f of families) {
    const name = f.name.toLowerCase();
    const rest = words.filter((w) => !name.includes(w));
    if (rest.length === 0) {
      out.push(f);
      continue;
    }
    const members = f.members.filter((s) => {
      const text = describeLabels(s).toLowerCase();
      return rest.every((w) => text.includes(w));
    });
    if (members.length) out.push({ ...f, members });
  }
  return out;
}

/** A series' labels as `k=v, k=v` (empty when it has none). */
export function describeLabels(s: Pick<SeriesRecord, 'labels'>): string {
  return Object.entries(s.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The name of a series' line in its family chart: its labels, or the family name. */
export function describeLine(s: Pick<SeriesRecord, 'labels' | 'name'>): string {
  return describeLabels(s) || s.name;
}
