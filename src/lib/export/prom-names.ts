/**
 * OpenTelemetry → Prometheus names, after the OpenTelemetry specification's
 * "Prometheus and OpenMetrics Compatibility" (compatibility/prometheus_and_openmetrics.md,
 * "Metric Metadata" and "Metric Attributes"): characters Prometheus does not allow become
 * `_`, runs of `_` collapse to one, a leading digit gets a `_`, the unit is appended as a
 * word (`s` → `_seconds`, `By/s` → `_bytes_per_second`, `1` → `_ratio` on gauges) unless the
 * name already ends with it, and monotonic sums get `_total` (the OpenMetrics writer adds
 * that). Names that are already valid Prometheus names are kept exactly as they are, so a
 * Prometheus scrape or Tidemark's own series round-trip under the same names; only names
 * that had to be translated (OpenTelemetry's dotted ones) get the unit word.
 */

const VALID_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const VALID_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Unit words of the specification's table, plus the spellings Tidemark's own series use. */
export const PromUnitWords: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  B: 'bytes',
  bytes: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  bit: 'bits',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  '°C': 'celsius',
  Hz: 'hertz',
  '%': 'percent',
  $: 'dollars'
};

/** Words after `/` (`By/s` → `bytes_per_second`). */
export const PromPerUnitWords: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year'
};

/**
 * Replaces what a Prometheus name may not hold with `_` and collapses runs of `_`. Leading
 * underscores are dropped, since OpenMetrics reserves names starting with `_`
 * (`%usr` → `usr`); a name that would start with a digit gets `metric_` (`key_` for a
 * label), as the specification's label rule does. A valid name not starting with `_` comes
 * back unchanged (runs of `_` included).
 *
 * Empty input: 'metric_' (or 'key_'). Complexity O(length).
 * @example
 * sanitizePromName('system.cpu.time') // 'system_cpu_time'
 */
export function sanitizePromName(name: string, label = false): string {
  if ((label ? VALID_LABEL : VALID_METRIC).test(name) && !name.startsWith('_')) return name;
  const out = name
    .replace(label ? /[^a-zA-Z0-9_]/g : /[^a-zA-Z0-9_:]/g, '_')
    .replace(/__+/g, '_')
    .replace(/^_+/, '');
  return out === '' || /^[0-9]/.test(out) ? `${label ? 'key' : 'metric'}_${out}` : out;
}

/**
 * The unit as a Prometheus name word: the specification's table, `{annotation}`s dropped,
 * `x/y` as `x_per_y`, `1` as `ratio` for gauges only; anything else sanitized as it is.
 *
 * Empty input: ''. Complexity O(length).
 * @example
 * formatPromUnit('By/s', 'gauge') // 'bytes_per_second'
 */
export function formatPromUnit(unit: string, kind: 'gauge' | 'counter' | 'histogram'): string {
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return kind === 'gauge' ? 'ratio' : '';
  const slash = u.indexOf('/');
  if (slash >= 0) {
    const a = u.slice(0, slash);
    const b = u.slice(slash + 1);
    const head = a === '' || a === '1' ? '' : (PromUnitWords[a] ?? sanitizeWord(a));
    const tail = PromPerUnitWords[b] ?? sanitizeWord(b);
    if (tail === '') return head;
    return head === '' ? `per_${tail}` : `${head}_per_${tail}`;
  }
  return PromUnitWords[u] ?? sanitizeWord(u);
}

function sanitizeWord(w: string): string {
  return w
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/__+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * A series name as Prometheus spells it: unchanged when valid; otherwise sanitized with the
 * unit word appended (before any `_total`, which the caller adds for counters). `translated`
 * says which.
 *
 * Empty input: '_'. Complexity O(length).
 * @example
 * translateMetricName('system.cpu.time', 's', 'counter') // { name: 'system_cpu_time_seconds', translated: true }
 */
export function translateMetricName(
  name: string,
  unit: string,
  kind: 'gauge' | 'counter' | 'histogram'
): { name: string; translated: boolean } {
  if (VALID_METRIC.test(name) && !name.startsWith('_')) return { name, translated: false };
  let out = sanitizePromName(name);
  let total = false;
  if (kind === 'counter' && out.endsWith('_total')) {
    out = out.slice(0, -6);
    total = true;
  }
  const word = formatPromUnit(unit, kind);
  if (word !== '' && !out.endsWith(`_${word}`) && out !== word) out = `${out}_${word}`;
  return { name: total ? `${out}_total` : out, translated: true };
}

/**
 * Label names sanitized (see `sanitizePromName`); names that become equal after it have their
 * values joined with `;` in key order, as the specification says.
 *
 * Empty input: {}. Complexity O(labels).
 * @example
 * sanitizePromLabels({ 'host.name': 'a' }) // { host_name: 'a' }
 */
export function sanitizePromLabels(labels: Record<string, string>): Record<string, string> {
  const keys = Object.keys(labels);
  if (keys.every((k) => VALID_LABEL.test(k) && !k.startsWith('_'))) return labels;
  const out: Record<string, string> = {};
  for (const k of [...keys].sort()) {
    const s = sanitizePromName(k, true);
    out[s] = out[s] === undefined ? labels[k] : `${out[s]};${labels[k]}`;
  }
  return out;
}
