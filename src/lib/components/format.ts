/**
 * The one number and time formatter of the app (DESIGN.md: Intl, SI prefixes, IEC for
 * bytes). Every value is shown with its unit: bytes in KiB/MiB/GiB, durations in µs … d,
 * percentages and ratios as "%", counts as whole numbers, other units with SI prefixes
 * (k, M, G …) and plain numbers as words ("14 billion", never "14B", which reads as bytes).
 * `formatTicks` chooses the digits a set of axis ticks needs so no two ticks read alike.
 */

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const SISmall = ['', 'm', 'µ', 'n', 'p'];

/** Units by the names series carry (guessUnit in ingest/naming.ts, OpenTelemetry, demo). */
type UnitKind = 'bytes' | 'bits' | 'duration' | 'percent' | 'ratio' | 'count' | 'plain' | 'si';
const ByteUnits = new Set(['B', 'By', 'byte', 'bytes']);
const BitUnits = new Set(['bit', 'bits']);
const CountUnits = new Set(['count', 'events', 'executions', 'requests', 'packets', 'tokens']);
/** Milliseconds per duration unit. */
const DurationMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  seconds: 1000,
  min: 60_000,
  h: 3_600_000
};

/** How a unit reads on an axis title or a column header: "B" → "bytes". */
export function unitLabel(unit: string): string {
  const { base, perSecond } = splitRate(unit);
  const names: Record<string, string> = {
    B: 'bytes',
    By: 'bytes',
    us: 'µs',
    s: 'seconds',
    Cel: '°C',
    ratio: '%'
  };
  const name = names[base] ?? base;
  return perSecond ? `${name || 'per'}/s`.replace('per/s', 'per second') : name;
}

function splitRate(unit: string): { base: string; perSecond: boolean } {
  if (unit.endsWith('/s')) return { base: unit.slice(0, -2), perSecond: true };
  return { base: unit, perSecond: false };
}

function kindOf(base: string): UnitKind {
  if (ByteUnits.has(base)) return 'bytes';
  if (BitUnits.has(base)) return 'bits';
  if (base in DurationMs) return 'duration';
  if (base === '%' || base === 'percent') return 'percent';
  if (base === 'ratio') return 'ratio';
  if (CountUnits.has(base)) return 'count';
  if (base === '') return 'plain';
  return 'si';
}

const numberFormats = new Map<string, Intl.NumberFormat>();
/** `v` with `digits` fraction digits; trailing zeros dropped unless `exact` (ticks align). */
function fixed(v: number, digits: number, exact = false): string {
  const key = `${exact ? 'e' : 'f'}${digits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(undefined, {
      minimumFractionDigits: exact ? digits : 0,
      maximumFractionDigits: digits
    });
    numberFormats.set(key, f);
  }
  return f.format(v);
}

/** Digits that show 3 significant figures of `v` (0 from 100 up). */
function autoDigits(v: number): number {
  const a = Math.abs(v);
  if (a === 0 || a >= 100) return 0;
  if (a >= 10) return 1;
  if (a >= 1) return 2;
  return Math.min(6, 2 - Math.floor(Math.log10(a)));
}

/** Digits of plain numbers and percentages: two, as measured values usually carry. */
function plainDigits(v: number): number {
  return Math.abs(v) >= 1 || v === 0 ? 2 : autoDigits(v);
}

/** Scales `v` by `base` steps into `prefixes`; returns the scaled value and its prefix. */
function scale(v: number, base: number, prefixes: string[]): [number, string] {
  let x = Math.abs(v);
  let i = 0;
  while (x >= base && i < prefixes.length - 1) {
    x /= base;
    i++;
  }
  return [Math.sign(v) * x, prefixes[i]];
}

export interface FormatOptions {
  /** Fraction digits after scaling (ticks: as many as needed to tell them apart). */
  digits?: number;
  /** Scale as this magnitude would be (ticks share one prefix: the largest tick's). */
  magnitude?: number;
}

/** Formats bytes with IEC units: 1536 → "1.50 KiB". */
export function formatBytes(bytes: number | null | undefined, options: FormatOptions = {}): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const [, prefix] = scale(options.magnitude ?? bytes, 1024, IEC);
  const x = bytes / 1024 ** IEC.indexOf(prefix);
  const digits = options.digits ?? (prefix === 'B' ? 0 : autoDigits(x));
  return `${fixed(x, digits, options.digits !== undefined)} ${prefix}`;
}

function formatSI(v: number, symbol: string, options: FormatOptions): string {
  const m = Math.abs(options.magnitude ?? v);
  let x: number;
  let prefix: string;
  if (m !== 0 && m < 1 && symbol) {
    const i = Math.min(SISmall.length - 1, Math.ceil(-Math.log10(m) / 3 - 1e-9));
    prefix = SISmall[i];
    x = v * 1000 ** i;
  } else {
    [, prefix] = scale(m, 1000, SI);
    x = v / 1000 ** SI.indexOf(prefix);
  }
  const digits = options.digits ?? autoDigits(x);
  return `${fixed(x, digits, options.digits !== undefined)} ${prefix}${symbol}`.trim();
}

const words = new Intl.NumberFormat(undefined, {
  notation: 'compact',
  compactDisplay: 'long',
  maximumFractionDigits: 1
});

/**
 * Formats a value in its unit. Rates (`unit/s`) keep the unit's scaling: "3.2 MiB/s".
 * @example formatValue(14e9, 'B') // "13.0 GiB"; formatValue(5514.75, 'count') // "5,515"
 */
export function formatValue(
  value: number | null | undefined,
  unit = '',
  options: FormatOptions = {}
): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'gap';
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '−∞';
  const { base, perSecond } = splitRate(unit);
  const suffix = perSecond ? '/s' : '';
  switch (kindOf(base)) {
    case 'bytes':
      return formatBytes(value, options) + suffix;
    case 'bits':
      return formatSI(value, 'bit', options) + suffix;
    case 'duration': {
      const ms = value * DurationMs[base];
      // A rate of seconds (CPU seconds per second) is a share, not a duration.
      if (perSecond) return `${formatPlain(value, options)} ${base}/s`;
      return formatDuration(ms, options);
    }
    case 'percent':
      return `${fixed(value, options.digits ?? plainDigits(value), options.digits !== undefined)} %${suffix}`;
    case 'ratio':
      return `${fixed(value * 100, options.digits ?? plainDigits(value * 100), options.digits !== undefined)} %${suffix}`;
    case 'count':
      // Counts are whole; their rates are not.
      if (perSecond) return formatSI(value, `${base}/s`, options);
      return `${formatPlain(Math.round(value), { ...options, digits: options.digits ?? 0 })}${base === 'count' ? '' : ` ${base}`}`;
    case 'plain':
      return formatPlain(value, options) + (perSecond ? ' /s' : '');
    default:
      return formatSI(value, base, options) + suffix;
  }
}

/** A number without a unit: grouped below a million, in words above ("14 billion"). */
function formatPlain(v: number, options: FormatOptions): string {
  const m = Math.abs(options.magnitude ?? v);
  if (m >= 1_000_000 && options.digits === undefined) return words.format(v);
  if (m >= 1_000_000) {
    const [, prefix] = scale(m, 1000, SI);
    return `${fixed(v / 1000 ** SI.indexOf(prefix), options.digits!, true)} ${prefix}`;
  }
  if (options.digits !== undefined) return fixed(v, options.digits, true);
  return fixed(v, plainDigits(v));
}

/**
 * Labels for a set of axis ticks: one prefix for all (the largest tick's) and as many
 * fraction digits as needed for neighbouring ticks to differ (never "395 GiB" six times).
 */
export function formatTicks(values: number[], unit = ''): string[] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return values.map((v) => formatValue(v, unit));
  const magnitude = Math.max(...finite.map(Math.abs));
  let labels: string[] = [];
  for (let digits = 0; digits <= 6; digits++) {
    labels = values.map((v) => formatValue(v, unit, { digits, magnitude }));
    if (labels.every((l, i) => i === 0 || l !== labels[i - 1])) return labels;
  }
  return labels;
}

/** Durations as "850 µs", "1.20 ms", "3.40 s", "3 h 5 min". */
export function formatDuration(ms: number, options: FormatOptions = {}): string {
  if (!Number.isFinite(ms)) return '—';
  const a = Math.abs(options.magnitude !== undefined ? options.magnitude : ms);
  const d = options.digits;
  const x = d !== undefined;
  if (a < 1e-3) return `${fixed(ms * 1e6, d ?? 0, x)} ns`;
  if (a < 1) return `${fixed(ms * 1000, d ?? 0, x)} µs`;
  if (a < 1000) return `${fixed(ms, d ?? (a < 10 ? 2 : a < 100 ? 1 : 0), x)} ms`;
  if (a < 60_000) return `${fixed(ms / 1000, d ?? (a < 10_000 ? 2 : 1), x)} s`;
  if (d !== undefined) {
    if (a < 3_600_000) return `${fixed(ms / 60_000, d, x)} min`;
    if (a < 172_800_000) return `${fixed(ms / 3_600_000, d, x)} h`;
    return `${fixed(ms / 86_400_000, d, x)} d`;
  }
  const totalMin = Math.round(ms / 60_000);
  if (Math.abs(totalMin) < 60) return `${totalMin} min`;
  const h = Math.trunc(totalMin / 60);
  const m = Math.abs(totalMin % 60);
  if (Math.abs(h) < 48) return m ? `${h} h ${m} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium'
});

export function formatTime(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return '—';
  return timeFmt.format(t);
}

/** A count as a whole number with grouping: 5514.75 → "5,515". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return fixed(Math.round(n), 0);
}

/** Column titles for field names: "p95Ms" → "p95 (ms)", "avg" → "Average". */
export function columnTitle(field: string): string {
  const known: Record<string, string> = {
    avg: 'Average',
    min: 'Minimum',
    max: 'Maximum',
    sum: 'Sum',
    count: 'Count',
    first: 'First',
    last: 'Last',
    stddev: 'Std. deviation',
    rate: 'Rate'
  };
  if (known[field]) return known[field];
  const unitSuffix = /(Ms|Bytes|Pct|Percent|Seconds)$/.exec(field);
  const units: Record<string, string> = {
    Ms: 'ms',
    Bytes: 'bytes',
    Pct: '%',
    Percent: '%',
    Seconds: 's'
  };
  const stem = unitSuffix ? field.slice(0, -unitSuffix[1].length) : field;
  const wordsOf = stem
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  // Percentiles keep their usual spelling: "p95".
  const title = /^p\d+$/.test(wordsOf)
    ? wordsOf
    : wordsOf.charAt(0).toUpperCase() + wordsOf.slice(1);
  return unitSuffix ? `${title} (${units[unitSuffix[1]]})` : title;
}
