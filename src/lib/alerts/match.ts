import type { AlertRuleSpec, SeriesSelector } from './types';

/** What matching and validation need of a stored series. */
export interface SeriesInfo {
  key: string;
  name: string;
  labels: Record<string, string>;
  kind?: string;
}

/**
 * True when a series matches a selector: same name, and every matcher holds. As in
 * Prometheus, a missing label reads as "", and regular expressions match the whole value.
 *
 * @example matchSelector(sel('cpu{cpu=~"0|1"}'), { name: 'cpu', labels: { cpu: '1' }, key: '' }) // true
 */
export function matchSelector(selector: SeriesSelector, series: SeriesInfo): boolean {
  if (series.name !== selector.name) return false;
  for (const m of selector.matchers) {
    const v = series.labels[m.label] ?? '';
    switch (m.op) {
      case '=':
        if (v !== m.value) return false;
        break;
      case '!=':
        if (v === m.value) return false;
        break;
      case '=~':
        if (!new RegExp(`^(?:${m.value})$`).test(v)) return false;
        break;
      case '!~':
        if (new RegExp(`^(?:${m.value})$`).test(v)) return false;
        break;
    }
  }
  return true;
}

/** The series a rule watches, in the order given. O(series × matchers). */
export function selectSeries<S extends SeriesInfo>(
  selector: SeriesSelector,
  series: readonly S[]
): S[] {
  return series.filter((s) => matchSelector(selector, s));
}

/**
 * Warnings (not errors) about a rule against the series stored now: a selector that matches
 * nothing yet, or `rate()` over something that is not a counter. Absence rules are meant
 * for series that may not exist yet, so they get no warning for that.
 */
export function validateRuleAgainst(spec: AlertRuleSpec, series: readonly SeriesInfo[]): string[] {
  const { selector } = spec.condition;
  const matched = selectSeries(selector, series);
  const out: string[] = [];
  if (matched.length === 0 && spec.condition.kind !== 'absent') {
    const sameName = series.filter((s) => s.name === selector.name).length;
    out.push(
      sameName > 0
        ? `No stored series of ${selector.name} has these labels (${sameName} with other labels); the rule waits until one does.`
        : `No series named ${selector.name} is stored yet; the rule waits until one arrives.`
    );
  }
  if (spec.condition.kind === 'rate') {
    const gauges = matched.filter((s) => s.kind !== undefined && s.kind !== 'counter');
    if (gauges.length > 0) {
      out.push(
        `rate() expects a counter, but ${gauges[0].key} is a ${gauges[0].kind}: a drop reads as a counter reset.`
      );
    }
  }
  if (matched.length > 1) {
    out.push(`Matches ${matched.length} series: one alert per series.`);
  }
  return out;
}

/**
 * The name and labels of a canonical series key (`name{a="x",b="y"}`, see
 * types/series-key.ts); null when the text is not one. O(length).
 *
 * @example parseSeriesKey('up{job="node"}') // { key: 'up{job="node"}', name: 'up', labels: { job: 'node' } }
 */
export function parseSeriesKey(key: string): SeriesInfo | null {
  const brace = key.indexOf('{');
  if (brace < 0) return key.length > 0 ? { key, name: key, labels: {} } : null;
  if (!key.endsWith('}')) return null;
  const labels: Record<string, string> = {};
  const body = key.slice(brace + 1, -1);
  const re = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
  let i = 0;
  while (i < body.length) {
    re.lastIndex = i;
    const m = re.exec(body);
    if (!m) return null;
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    i = re.lastIndex;
  }
  return { key, name: key.slice(0, brace), labels };
}
