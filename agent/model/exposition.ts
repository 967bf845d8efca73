/**
 * A small reader of the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0, enough
 * to scrape a model server's `/metrics`: every sample with its labels and value, plus the
 * `# TYPE` of each family. The page's importer (src/lib/ingest/prometheus.ts) streams bytes
 * into storage slots keyed by series; the collector instead needs one scrape's samples in
 * memory to take counter deltas and histogram quantiles, so it reads the text itself.
 * Timestamps on sample lines are ignored: the collector stamps the scrape time.
 */

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: ExpositionSample[];
  /** `# TYPE` per family name (counter, gauge, histogram, summary, …). */
  types: Map<string, string>;
}

const LabelPair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

/**
 * Parses an exposition text. Malformed lines are skipped (a scrape keeps what it can read).
 * Empty text → no samples. O(n) in the text length.
 * @example parseExposition('# TYPE up gauge\nup{job="a"} 1').samples // [{ name: 'up', labels: { job: 'a' }, value: 1 }]
 */
export function parseExposition(text: string): Exposition {
  const samples: ExpositionSample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types.set(m[1], m[2]);
      continue;
    }
    const sample = parseSampleLine(line);
    if (sample) samples.push(sample);
  }
  return { samples, types };
}

function parseSampleLine(line: string): ExpositionSample | undefined {
  const nameEnd = line.search(/[\s{]/);
  if (nameEnd <= 0) return undefined;
  const name = line.slice(0, nameEnd);
  const labels: Record<string, string> = {};
  let pos = nameEnd;
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      LabelPair.lastIndex = pos;
      const m = LabelPair.exec(line);
      if (!m) return undefined;
      labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      pos = LabelPair.lastIndex;
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  const value = parseValue(rest[0]);
  return value === undefined ? undefined : { name, labels, value };
}

function parseValue(token: string | undefined): number | undefined {
  if (token === undefined || token === '') return undefined;
  if (token === '+Inf' || token === 'Inf') return Infinity;
  if (token === '-Inf') return -Infinity;
  if (token === 'NaN') return NaN;
  const v = Number(token);
  return Number.isNaN(v) ? undefined : v;
}
