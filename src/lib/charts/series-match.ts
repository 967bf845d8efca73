/**
 * The Explore series search: plain words (every word must appear in the name, a label,
 * the category or the source) or a Prometheus-style selector, `name{label="v"}`, with the
 * matchers `=`, `!=`, `=~` and `!~` (regexes anchored, as in PromQL). A hand-written
 * parser: the grammar is one line, and a PromQL library would bring a whole query engine.
 */
import type { SeriesRecord } from '$lib/types';

export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  name: string | null;
  matchers: LabelMatcher[];
}

const SelectorRe = /^\s*([A-Za-z_:][\w:.]*)?\s*\{(.*)\}\s*$/;
const MatcherRe = /\s*([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/** Reads `name{a="x",b=~"y.*"}` (or a bare `{…}`); null when `q` is not a selector. */
export function parseSelector(q: string): Selector | null {
  const m = SelectorRe.exec(q);
  if (!m) return null;
  const body = m[2];
  const matchers: LabelMatcher[] = [];
  MatcherRe.lastIndex = 0;
  while (MatcherRe.lastIndex < body.length) {
    const start = MatcherRe.lastIndex;
    const mm = MatcherRe.exec(body);
    if (!mm) {
      if (body.slice(start).trim() === '') break;
      return null;
    }
    matchers.push({
      label: mm[1],
      op: mm[2] as LabelMatcher['op'],
      value: mm[3].replace(/\\(.)/g, '$1')
    });
  }
  return { name: m[1] ?? null, matchers };
}

function compile(m: LabelMatcher): ((v: string | undefined) => boolean) | null {
  if (m.op === '=') return (v) => (v ?? '') === m.value;
  if (m.op === '!=') return (v) => (v ?? '') !== m.value;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.value})$`);
  } catch {
    return null;
  }
  return m.op === '=~' ? (v) => re.test(v ?? '') : (v) => !re.test(v ?? '');
}

/** A predicate for `q`, and a sentence when `q` cannot be read (a bad regex). */
export function seriesMatcher(q: string): {
  test: (s: SeriesRecord) => boolean;
  problem: string | null;
} {
  const selector = parseSelector(q);
  if (selector) {
    const tests = selector.matchers.map((m) => ({ m, f: compile(m) }));
    const bad = tests.find((t) => t.f === null);
    if (bad) return { test: () => false, problem: `“${bad.m.value}” is not a valid regex.` };
    return {
      test: (s) =>
        (selector.name === null || s.name === selector.name) &&
        tests.every(({ m, f }) => f!(s.labels[m.label])),
      problem: null
    };
  }
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  return {
    test: (s) => {
      if (words.length === 0) return true;
      const text = searchText(s);
      return words.every((w) => text.includes(w));
    },
    problem: null
  };
}

/** What the plain word search looks in: name, labels, category, source, lower-cased. */
export function searchText(s: SeriesRecord): string {
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${s.name} ${labels} ${s.category} ${s.source}`.toLowerCase();
}
