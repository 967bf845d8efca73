/**
 * OpenMetrics 1.0 rules (specification/OpenMetrics.md of OpenObservability/OpenMetrics) that
 * the lenient Prometheus reader does not enforce, checked line by line on a file read as
 * OpenMetrics. Each violation is reported with the line and the rule; the samples of a family
 * with a violation are held back and dropped when the family ends, so the valid families of
 * the file still import. Plain Prometheus text (0.0.4) is never checked: its rules are laxer.
 *
 * Checked: the ABNF of every line (single spaces, no trailing blanks, no CR, no blank lines,
 * no comments other than TYPE/HELP/UNIT/EOF, number and timestamp syntax, label syntax);
 * `# EOF` last and present; metadata at most once per family, before its samples, with a
 * valid type and a unit that is the name's suffix (empty for info/stateset); family names
 * unique, not interleaved and not clashing with another family's sample names; sample names
 * with the suffixes of their type; counters, histogram buckets/count/sum and summary
 * count/sum neither NaN nor negative, counts and buckets integers; histogram and
 * gaugehistogram points with a `+Inf` bucket, thresholds unique and increasing, buckets
 * cumulative, `_count` equal to the `+Inf` bucket, no `_sum` with negative thresholds, no `le`
 * on the metric; summary quantiles in [0, 1] with non-negative values; info values 1;
 * stateset values 0/1 with the family-name label; timestamps increasing per metric, metrics
 * and metric points not interleaved; exemplars only on `_total` and `_bucket`, at most 128
 * code points of labels, within their bucket; reserved `_`-prefixed names.
 */

export type OmType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'stateset'
  | 'info'
  | 'summary'
  | 'unknown';

const Suffixes: Record<OmType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  stateset: [''],
  info: ['_info'],
  summary: ['', '_count', '_sum', '_created'],
  unknown: ['']
};
const Types = new Set(Object.keys(Suffixes));
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const REAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?(inf|infinity)|nan)$/i;
const EXEMPLAR_MAX = 128;

/** An OpenMetrics number (ABNF `number`), or undefined. */
export function omNumber(text: string): number | undefined {
  if (REAL.test(text)) return Number(text);
  if (!SPECIAL.test(text)) return undefined;
  const t = text.toLowerCase();
  return t === 'nan' ? NaN : t.startsWith('-') ? -Infinity : Infinity;
}

interface OmSample {
  name: string;
  labels: [string, string][];
  value: number;
  ts?: number;
  exemplar?: { labels: [string, string][]; value: number };
}

/** Reads a label set at `line[i] === '{'`; returns the labels and the index after '}'. */
function readLabels(
  line: string,
  start: number
): { labels: [string, string][]; end: number } | string {
  const labels: [string, string][] = [];
  let i = start + 1;
  if (line[i] === '}') return { labels, end: i + 1 };
  for (;;) {
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i, i + 1024));
    if (m === null) return `invalid label name at column ${i + 1}`;
    const name = m[0];
    i += name.length;
    if (line[i] !== '=' || line[i + 1] !== '"')
      return `label ${name}: expected ="value" with no blanks`;
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return `label ${name}: unterminated value`;
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        if (n === undefined) return `label ${name}: unterminated value`;
        value += n === 'n' ? '\n' : n;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    if (labels.some(([k]) => k === name)) return `duplicate label ${name}`;
    labels.push([name, value]);
    if (line[i] === '}') return { labels, end: i + 1 };
    if (line[i] !== ',' || line[i + 1] === '}') return 'labels must be separated by a single ","';
    i++;
  }
}

/** Parses a sample line by the ABNF; a string is the reason it is not one. */
function parseSample(line: string): OmSample | string {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) return `invalid metric name "${name.slice(0, 60)}"`;
  let labels: [string, string][] = [];
  if (line[i] === '{') {
    const l = readLabels(line, i);
    if (typeof l === 'string') return l;
    labels = l.labels;
    i = l.end;
  }
  const rest = line.slice(i);
  const hash = rest.indexOf(' # ');
  const main = hash < 0 ? rest : rest.slice(0, hash);
  const parts = main.split(' ');
  if (
    parts[0] !== '' ||
    parts.length < 2 ||
    parts.length > 3 ||
    parts.some((p, k) => k > 0 && p === '')
  )
    return 'expected exactly one space before the value and the timestamp, and none at the end';
  const value = omNumber(parts[1]);
  if (value === undefined) return `invalid value "${parts[1].slice(0, 40)}"`;
  let ts: number | undefined;
  if (parts.length === 3) {
    if (!REAL.test(parts[2])) return `invalid timestamp "${parts[2].slice(0, 40)}"`;
    ts = Number(parts[2]);
  }
  const sample: OmSample = { name, labels, value, ts };
  if (hash >= 0) {
    const ex = rest.slice(hash + 3);
    if (ex[0] !== '{') return 'an exemplar must start with a label set';
    const l = readLabels(ex, 0);
    if (typeof l === 'string') return `exemplar: ${l}`;
    const tail = ex.slice(l.end).split(' ');
    if (tail[0] !== '' || tail.length < 2 || tail.length > 3)
      return 'exemplar: expected "# {labels} value [timestamp]"';
    const v = omNumber(tail[1]);
    if (v === undefined) return `exemplar: invalid value "${tail[1].slice(0, 40)}"`;
    if (tail.length === 3 && !REAL.test(tail[2])) return 'exemplar: invalid timestamp';
    const length = l.labels.reduce((n, [k, x]) => n + [...k].length + [...x].length, 0);
    if (length > EXEMPLAR_MAX)
      return `exemplar labels are ${length} code points long (at most ${EXEMPLAR_MAX})`;
    sample.exemplar = { labels: l.labels, value: v };
  }
  return sample;
}

interface Family {
  name: string;
  type: OmType;
  typed: boolean;
  meta: Set<string>;
  unit: string;
  hasSamples: boolean;
  bad: boolean;
  /** Metric keys seen, and the one being read. */
  metrics: Set<string>;
  metric: string;
  /** The metric point being read (histogram checks), by metric key + timestamp. */
  point: string;
  buckets: { le: number; v: number; line: number }[];
  count: number | undefined;
  sum: boolean;
  pointLine: number;
  /** Last timestamp per sample series. */
  lastTs: Map<string, number>;
  pointTs: Map<string, number | undefined>;
}

export interface OmReport {
  (line: number, message: string): void;
}

/**
 * The validator. `line` is called with every line (without its '\n') before the reader
 * reads it and returns false when the line breaks a rule (it was reported and must not be
 * read); `familyEnded` says when the samples held for the last family may be stored
 * (`true`) or must be dropped (`false`).
 */
export class OpenMetricsValidator {
  private family: Family | undefined;
  private readonly names = new Set<string>();
  /** Sample names every family so far can produce, and which family produces them. */
  private readonly sampleNames = new Map<string, string>();
  private eof = false;
  private lastLine = 0;

  constructor(
    private readonly report: OmReport,
    private readonly familyEnded: (keep: boolean) => void
  ) {}

  /** Reports a broken rule; `taint`: the current family is not imported (its own line broke it). */
  private fail(line: number, message: string, taint = true): false {
    this.report(line, message);
    if (taint && this.family) this.family.bad = true;
    return false;
  }

  private open(name: string, line: number, type: OmType = 'unknown', typed = false): boolean {
    this.close();
    this.family = {
      name,
      type,
      typed,
      meta: new Set(),
      unit: '',
      hasSamples: false,
      bad: false,
      metrics: new Set(),
      metric: '',
      point: '',
      buckets: [],
      count: undefined,
      sum: false,
      pointLine: line,
      lastTs: new Map(),
      pointTs: new Map()
    };
    if (this.names.has(name))
      return this.fail(
        line,
        `family ${name} appears twice: families must not be interleaved or repeated`
      );
    if (name.startsWith('_'))
      return this.fail(line, `family name ${name}: names starting with "_" are reserved`);
    const clash = this.sampleNames.get(name);
    this.names.add(name);
    if (clash !== undefined)
      return this.fail(line, `family ${name} clashes with the samples of family ${clash}`);
    return true;
  }

  /** Declares the current family's type (from `# TYPE`): its sample names are reserved. */
  private reserve(f: Family): boolean {
    for (const suffix of Suffixes[f.type]) {
      const sample = f.name + suffix;
      if (suffix !== '' && this.names.has(sample))
        return this.fail(
          this.lastLine,
          `family ${f.name} (${f.type}) clashes with family ${sample}`
        );
      this.sampleNames.set(sample, f.name);
    }
    return true;
  }

  private close(): void {
    const f = this.family;
    if (f === undefined) return;
    this.closePoint(f);
    if (!f.typed) this.reserve(f);
    this.family = undefined;
    this.familyEnded(!f.bad);
  }

  /** Checks a finished histogram/gaugehistogram metric point. */
  private closePoint(f: Family): void {
    if (f.point === '' || (f.type !== 'histogram' && f.type !== 'gaugehistogram')) {
      f.point = '';
      return;
    }
    const at = f.pointLine;
    const b = f.buckets;
    if (b.length === 0 || b[b.length - 1].le !== Infinity) {
      if (!b.some((x) => x.le === Infinity))
        this.fail(at, `${f.name}: a histogram point needs a +Inf bucket`);
    }
    if (f.count !== undefined && b.length > 0) {
      const inf = b.find((x) => x.le === Infinity);
      if (inf !== undefined && inf.v !== f.count)
        this.fail(at, `${f.name}: count ${f.count} differs from the +Inf bucket ${inf.v}`);
    }
    if (f.sum && b.some((x) => x.le < 0) && f.type === 'histogram')
      this.fail(at, `${f.name}: a histogram with negative thresholds must not have a _sum`);
    f.point = '';
    f.buckets = [];
    f.count = undefined;
    f.sum = false;
  }

  private comment(text: string, line: number): boolean {
    if (text === '# EOF') {
      this.close();
      this.eof = true;
      return true;
    }
    const m = /^# (TYPE|HELP|UNIT) ([^ ]+)(?: (.*))?$/.exec(text);
    if (m === null)
      return this.fail(
        line,
        'only # TYPE, # HELP, # UNIT and # EOF lines may start with "#" (one space after each word)',
        false
      );
    const [, keyword, name, rest] = m;
    if (!METRIC_NAME.test(name))
      return this.fail(line, `invalid metric name "${name.slice(0, 60)}"`);
    if (this.family?.name !== name) this.open(name, line);
    const f = this.family as Family;
    if (f.hasSamples)
      return this.fail(line, `# ${keyword} ${name} after its samples: metadata comes first`);
    if (f.meta.has(keyword)) return this.fail(line, `repeated # ${keyword} for ${name}`);
    f.meta.add(keyword);
    if (keyword === 'TYPE') {
      if (rest === undefined || !Types.has(rest))
        return this.fail(
          line,
          `invalid type "${(rest ?? '').slice(0, 40)}" (counter, gauge, histogram, gaugehistogram, stateset, info, summary or unknown)`
        );
      f.type = rest as OmType;
      f.typed = true;
      if (f.unit !== '' && (f.type === 'info' || f.type === 'stateset'))
        return this.fail(line, `${name}: ${f.type} families must have an empty unit`);
      return this.reserve(f);
    }
    if (keyword === 'UNIT') {
      const unit = rest ?? '';
      if (unit !== '' && !/^[a-zA-Z0-9_:]+$/.test(unit))
        return this.fail(line, `invalid unit "${unit.slice(0, 40)}"`);
      if (unit !== '' && !name.endsWith(`_${unit}`))
        return this.fail(
          line,
          `unit ${unit} is not the suffix of the name ${name} (expected ${name}_${unit} or no unit)`
        );
      if (unit !== '' && (f.type === 'info' || f.type === 'stateset'))
        return this.fail(line, `${name}: ${f.type} families must have an empty unit`);
      f.unit = unit;
    }
    return true;
  }

  /** The family a sample name belongs to, and its suffix; opens an implicit family when new. */
  private familyOf(name: string, line: number): { f: Family; suffix: string } | undefined {
    const f = this.family;
    // A name the current family's type cannot produce starts the next family.
    if (f !== undefined)
      for (const suffix of Suffixes[f.type]) if (name === f.name + suffix) return { f, suffix };
    if (f !== undefined && name === f.name) return { f, suffix: '' }; // reported below: the type has no bare samples
    if (!this.open(name, line)) return undefined;
    return { f: this.family as Family, suffix: '' };
  }

  private sample(text: string, line: number): boolean {
    const s = parseSample(text);
    if (typeof s === 'string') return this.fail(line, s);
    const found = this.familyOf(s.name, line);
    if (found === undefined) return false;
    const { f, suffix } = found;
    f.hasSamples = true;
    if (!Suffixes[f.type].includes(suffix))
      return this.fail(
        line,
        `${s.name}: a ${f.type} family ${f.name} has no samples named with "${suffix || 'no suffix'}" (allowed: ${Suffixes[f.type].map((x) => f.name + x).join(', ')})`
      );
    for (const [k] of s.labels)
      if (k.startsWith('__'))
        return this.fail(line, `label ${k}: names starting with "__" are reserved`);
    const get = (k: string): string | undefined => s.labels.find(([n]) => n === k)?.[1];
    const v = s.value;
    const isHist = f.type === 'histogram' || f.type === 'gaugehistogram';
    // The metric: labels without the point's own (le, quantile, the stateset's state).
    const own = isHist
      ? 'le'
      : f.type === 'summary'
        ? 'quantile'
        : f.type === 'stateset'
          ? f.name
          : '';
    const metric = JSON.stringify(s.labels.filter(([k]) => k !== own).sort());
    if (metric !== f.metric) {
      if (f.metrics.has(metric))
        return this.fail(
          line,
          `${f.name}: metrics must not be interleaved (this label set came before)`
        );
      this.closePoint(f);
      f.metrics.add(metric);
      f.metric = metric;
    }
    // Timestamps increase per series; a metric point's samples share one.
    const series = s.name + metric + (own === '' ? '' : (get(own) ?? ''));
    const last = f.lastTs.get(series);
    if (s.ts !== undefined && last !== undefined && !(s.ts > last))
      return this.fail(
        line,
        `${s.name}: timestamps must increase within a metric (${s.ts} after ${last})`
      );
    if (s.ts !== undefined) f.lastTs.set(series, s.ts);
    const pointTs = f.pointTs.get(metric);
    if (s.ts !== undefined && pointTs !== undefined && s.ts < pointTs)
      return this.fail(line, `${f.name}: metric points must not be interleaved`);
    f.pointTs.set(metric, s.ts);
    const point = metric + '@' + String(s.ts ?? '');
    if (point !== f.point) {
      this.closePoint(f);
      f.point = point;
      f.pointLine = line;
    }
    if (s.exemplar !== undefined && suffix !== '_total' && !(isHist && suffix === '_bucket'))
      return this.fail(
        line,
        `${s.name}: exemplars are allowed only on counter _total and histogram _bucket samples`
      );
    const notNegative = (what: string): boolean =>
      Number.isNaN(v) || v < 0
        ? this.fail(line, `${s.name}: ${what} must not be NaN or negative (${v})`)
        : true;
    const integer = (what: string): boolean =>
      Number.isInteger(v) ? true : this.fail(line, `${s.name}: ${what} must be an integer (${v})`);
    switch (f.type) {
      case 'counter':
        if (suffix === '_total') return notNegative('a counter total');
        return true;
      case 'info':
        return v === 1 ? true : this.fail(line, `${s.name}: an info value must be 1 (${v})`);
      case 'stateset':
        if (get(f.name) === undefined)
          return this.fail(line, `${s.name}: a stateset sample needs the label ${f.name}`);
        return v === 0 || v === 1
          ? true
          : this.fail(line, `${s.name}: a stateset value must be 0 or 1 (${v})`);
      case 'summary': {
        const q = get('quantile');
        if (suffix === '') {
          if (q === undefined)
            return this.fail(line, `${s.name}: a summary quantile sample needs a quantile label`);
          const qn = omNumber(q);
          if (qn === undefined || !(qn >= 0 && qn <= 1))
            return this.fail(line, `${s.name}: quantile "${q}" is not between 0 and 1`);
          return v < 0
            ? this.fail(line, `${s.name}: a quantile value must not be negative (${v})`)
            : true;
        }
        if (q !== undefined)
          return this.fail(line, `${s.name}: only quantile samples carry a quantile label`);
        if (suffix === '_count')
          return notNegative('a summary count') && integer('a summary count');
        if (suffix === '_sum') return notNegative('a summary sum');
        return true;
      }
      case 'histogram':
      case 'gaugehistogram': {
        const le = get('le');
        if (suffix !== '_bucket') {
          if (le !== undefined)
            return this.fail(line, `${s.name}: only _bucket samples carry an le label`);
          if (suffix === '_count' || suffix === '_gcount') {
            if (!(notNegative('a count') && integer('a count'))) return false;
            f.count = v;
          }
          if (suffix === '_sum') {
            f.sum = true;
            return notNegative('a histogram sum');
          }
          if (suffix === '_gsum' && Number.isNaN(v))
            return this.fail(line, `${s.name}: _gsum must not be NaN`);
          return true;
        }
        if (le === undefined) return this.fail(line, `${s.name}: a bucket needs an le label`);
        const bound = omNumber(le);
        if (bound === undefined || Number.isNaN(bound))
          return this.fail(line, `${s.name}: le "${le}" is not a number`);
        if (!(notNegative('a bucket') && integer('a bucket'))) return false;
        const prev = f.buckets[f.buckets.length - 1];
        if (prev !== undefined && !(bound > prev.le))
          return this.fail(
            line,
            `${s.name}: buckets must be in increasing le order and unique (${le} after ${prev.le})`
          );
        if (prev !== undefined && v < prev.v)
          return this.fail(
            line,
            `${s.name}: buckets must be cumulative (${v} < ${prev.v} of le ${prev.le})`
          );
        if (
          s.exemplar !== undefined &&
          (s.exemplar.value > bound || (prev !== undefined && s.exemplar.value <= prev.le))
        )
          return this.fail(
            line,
            `${s.name}: the exemplar ${s.exemplar.value} is outside its bucket`
          );
        f.buckets.push({ le: bound, v, line });
        return true;
      }
      default:
        return true;
    }
  }

  /** Checks one line (no '\n'); false when it breaks a rule and must not be read. */
  line(text: string, line: number): boolean {
    this.lastLine = line;
    if (this.eof) return this.fail(line, 'content after # EOF', false);
    if (text.endsWith('\r')) return this.fail(line, 'line ends must be "\\n" without "\\r"');
    if (text === '') return this.fail(line, 'empty lines are not allowed in OpenMetrics', false);
    if (text.startsWith('#')) return this.comment(text, line);
    return this.sample(text, line);
  }

  /** At the end of the input: closes the last family; reports a missing `# EOF`. */
  end(line: number): void {
    this.close();
    if (!this.eof) this.report(line, 'an OpenMetrics exposition must end with "# EOF"');
  }
}
