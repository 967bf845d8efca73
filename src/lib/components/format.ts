/** Number and time formatting for display (DESIGN.md: Intl, SI for rates, IEC for bytes). */

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Formats bytes with IEC units: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < IEC.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${bytes < 0 ? '-' : ''}${v.toFixed(digits)} ${IEC[i]}`;
}

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const plain = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/** Formats a value in its unit: bytes in IEC, rates with SI prefixes, the rest plainly. */
export function formatValue(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'gap';
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '−∞';
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'bytes/s') return `${formatBytes(value)}/s`;
  if (unit === 'ms') return formatDuration(value);
  const text = Math.abs(value) >= 10_000 ? compact.format(value) : plain.format(value);
  if (!unit || unit === 'count') return text;
  return unit === '%' ? `${text} %` : `${text} ${unit}`;
}

/** Durations as "850 µs", "1.2 ms", "3.4 s", "3 h 5 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const a = Math.abs(ms);
  if (a < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (a < 1000) return `${ms.toFixed(a < 10 ? 2 : a < 100 ? 1 : 0)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  const totalMin = Math.round(ms / 60_000);
  if (totalMin < 60) return `${totalMin} min`;
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  if (h < 48) return m ? `${h} h ${m} min` : `${h} h`;
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

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat().format(n);
}
