/**
 * An in-memory search index of series for Explore (issue 28): every token of a series'
 * name (split at `_`, `.`, `:` and `-`) and of its label names and values points to the
 * series ids that carry it, so a search reads a few posting lists instead of every record.
 * It grows incrementally: `addRecords` takes only series it has not seen (ids only grow).
 *
 * A search is a list of words (each part of a word must start a token of the series, and
 * the word must appear in it: "cpu tot" finds `cpu_usage_percent{cpu="total"}`, "sage"
 * does not: the index finds token starts, not any substring) or, for a selector such as
 * `node_cpu{cpu=~"0|1"}`, the name's posting list filtered by the selector.
 */
import { parseSelector, searchText, seriesMatcher } from '$lib/charts/series-match';
import type { SeriesRecord } from '$lib/types';

const TokenSplit = /[\s_.:\-/{}=,"]+/;

function tokensOf(s: SeriesRecord): string[] {
  const parts = [s.name, s.category, s.source];
  for (const [k, v] of Object.entries(s.labels)) parts.push(k, v);
  const out = new Set<string>();
  for (const p of parts) {
    const lower = p.toLowerCase();
    out.add(lower);
    for (const t of lower.split(TokenSplit)) if (t) out.add(t);
  }
  return [...out];
}

export class SeriesIndex {
  readonly #byId = new Map<number, SeriesRecord>();
  readonly #byKey = new Map<string, number>();
  /** The text the plain search looks in (as series-match.ts builds it), lower-cased. */
  readonly #text = new Map<number, string>();
  /** token → ids, and the sorted token list for prefix lookups. */
  readonly #postings = new Map<string, number[]>();
  #sortedTokens: string[] | null = [];
  #maxId = 0;

  get size(): number {
    return this.#byId.size;
  }

  /** The largest id indexed: read only series above it next time. */
  get maxId(): number {
    return this.#maxId;
  }

  /** Adds (or refreshes) records; new tokens are indexed, known ones keep their place. */
  addRecords(records: SeriesRecord[]): void {
    for (const r of records) {
      const known = this.#byId.has(r.id);
      this.#byId.set(r.id, r);
      this.#maxId = Math.max(this.#maxId, r.id);
      if (known) continue;
      this.#byKey.set(r.key, r.id);
      this.#text.set(r.id, searchText(r));
      for (const t of tokensOf(r)) {
        let list = this.#postings.get(t);
        if (!list) {
          list = [];
          this.#postings.set(t, list);
          this.#sortedTokens = null;
        }
        list.push(r.id);
      }
    }
  }

  byKeys(keys: string[]): SeriesRecord[] {
    return keys.flatMap((k) => {
      const id = this.#byKey.get(k);
      return id === undefined ? [] : [this.#byId.get(id)!];
    });
  }

  /** The range of sorted tokens starting with `prefix`, and how many ids they list. */
  #prefixRange(prefix: string): { lo: number; hi: number; ids: number } {
    const tokens = (this.#sortedTokens ??= [...this.#postings.keys()].sort());
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tokens[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    let ids = 0;
    for (; end < tokens.length && tokens[end].startsWith(prefix); end++)
      ids += this.#postings.get(tokens[end])!.length;
    return { lo, hi: end, ids };
  }

  /** Ids of series with a token in the sorted range `lo`–`hi`. */
  #idsIn(range: { lo: number; hi: number }): Set<number> {
    const tokens = this.#sortedTokens!;
    const ids = new Set<number>();
    for (let i = range.lo; i < range.hi; i++)
      for (const id of this.#postings.get(tokens[i])!) ids.add(id);
    return ids;
  }

  /**
   * Series matching `text` (all when empty), ordered by key, at most `limit`; `total` is
   * how many matched in all.
   */
  search(text: string, limit: number): { series: SeriesRecord[]; total: number } {
    const q = text.trim();
    if (q === '') return { series: firstByKey(this.#byId.values(), limit), total: this.size };
    let matched: SeriesRecord[];
    const selector = parseSelector(q);
    if (selector) {
      const matcher = seriesMatcher(q);
      const named = selector.name ? (this.#postings.get(selector.name.toLowerCase()) ?? []) : null;
      const candidates = named ? named.map((id) => this.#byId.get(id)!) : this.#byId.values();
      matched = [];
      for (const s of candidates) if (matcher.test(s)) matched.push(s);
    } else {
      // Each part of each word must start a token: the rarest part's series are the
      // candidates, and the words themselves must appear in them (as the plain search asks).
      const parts = q.toLowerCase().split(TokenSplit).filter(Boolean);
      const ranges = parts.map((w) => this.#prefixRange(w)).sort((a, b) => a.ids - b.ids);
      const words = q.toLowerCase().split(/\s+/);
      matched = [];
      for (const id of ranges.length ? this.#idsIn(ranges[0]) : []) {
        const text = this.#text.get(id)!;
        if (words.every((w) => text.includes(w))) matched.push(this.#byId.get(id)!);
      }
    }
    return { series: firstByKey(matched, limit), total: matched.length };
  }
}

/** The first `limit` records by key, without sorting them all (n log limit). */
function firstByKey(records: Iterable<SeriesRecord>, limit: number): SeriesRecord[] {
  const top: SeriesRecord[] = [];
  if (limit <= 0) return top;
  for (const r of records) {
    if (top.length >= limit && r.key >= top[top.length - 1].key) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (top[mid].key < r.key) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, r);
    if (top.length > limit) top.pop();
  }
  return top;
}
