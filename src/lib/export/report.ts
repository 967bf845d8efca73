import { createSketch, type QuantileSketch } from '../tsdb/sketch';

/**
 * The human-readable report: one self-contained HTML file (inline CSS, inline SVG
 * sparklines, no script, no external asset, so it opens offline and leaks no request),
 * with the scope, a per-series min/avg/max/p95 table, anomalies and insights. Every text
 * from the data is HTML-escaped (RELIABILITY.md #21: hostile labels render as text).
 */
export const ReportDefaults = { sparkBins: 60, sparkWidth: 120, sparkHeight: 24 };

/** Per-series figures of the report, accumulated while the export streams. */
export interface SeriesSummary {
  name: string;
  labels: Record<string, string>;
  unit: string;
  count: number;
  min: number;
  max: number;
  avg: number;
  /** Within the quantile sketch's 1% relative error. */
  p95: number;
  /** Mean per time bin over the range (NaN: no value in that bin). */
  spark: number[];
}

/** Accumulates a series' summary from its points, slice after slice. */
export interface SummaryAccumulator {
  add(t: Float64Array, v: Float64Array): void;
  finish(): SeriesSummary;
}

/**
 * Creates an accumulator over [from, to] with `bins` sparkline bins. NaN and ±Infinity are
 * not counted in the figures.
 *
 * Empty input: count 0, figures NaN, spark all NaN. Complexity O(points) + O(bins).
 * @example
 * const acc = createSummaryAccumulator({ series, from: 0, to: 10 });
 * acc.add(Float64Array.of(1), Float64Array.of(5)); acc.finish().max // 5
 */
export function createSummaryAccumulator(options: {
  series: { name: string; labels: Record<string, string>; unit: string };
  from: number;
  to: number;
  bins?: number;
}): SummaryAccumulator {
  const bins = options.bins ?? ReportDefaults.sparkBins;
  const span = Math.max(1, options.to - options.from);
  const sum = new Float64Array(bins);
  const n = new Float64Array(bins);
  const sketch: QuantileSketch = createSketch();
  let count = 0;
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  return {
    add(t, v) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (!Number.isFinite(x)) continue;
        count++;
        total += x;
        if (x < min) min = x;
        if (x > max) max = x;
        sketch.add(x);
        const b = Math.min(
          bins - 1,
          Math.max(0, Math.floor(((t[i] - options.from) / span) * bins))
        );
        sum[b] += x;
        n[b]++;
      }
    },
    finish() {
      return {
        ...options.series,
        count,
        min: count > 0 ? min : NaN,
        max: count > 0 ? max : NaN,
        avg: count > 0 ? total / count : NaN,
        p95: count > 0 ? sketch.quantile(0.95) : NaN,
        spark: Array.from(sum, (s, i) => (n[i] > 0 ? s / n[i] : NaN))
      };
    }
  };
}

/**
 * Escapes text for HTML element content and attribute values.
 *
 * Empty input: ''. Complexity O(length).
 * @example
 * escapeHtml('<img src=x onerror=alert(1)>') // '&lt;img src=x onerror=alert(1)&gt;'
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * An inline SVG sparkline of bin means (gaps break the line); '' when nothing is finite.
 *
 * Empty input: ''. Complexity O(bins).
 * @example
 * renderSparkline([1, 2, 3]) // '<svg …><path d="M0,24L60,12L120,0" …/></svg>'
 */
export function renderSparkline(values: number[]): string {
  const { sparkWidth: w, sparkHeight: h } = ReportDefaults;
  const d = sparklinePath(values, { width: w, height: h });
  if (d === '') return '';
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="trend"><path d="${d}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>`;
}

/**
 * The SVG path of a sparkline of `values` (oldest first) in a `width`×`height` box: NaN
 * breaks the line, a flat series sits in the middle. '' when nothing is finite. O(n).
 * @example sparklinePath([1, 2, 3], { width: 120, height: 24 }) // 'M0,24L60,12L120,0'
 */
export function sparklinePath(
  values: readonly number[],
  box: { width: number; height: number }
): string {
  const { width: w, height: h } = box;
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    const y = hi === lo ? h / 2 : h - ((v - lo) / (hi - lo)) * h;
    d += `${pen ? 'L' : 'M'}${+(i * step).toFixed(1)},${+y.toFixed(1)}`;
    pen = true;
  });
  return d;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '+∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-3)) return v.toExponential(3);
  return String(+v.toPrecision(6));
}

function labelText(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${labels[k]}"`).join(', ')}}`;
}

export interface ReportInput {
  title: string;
  /** ISO-8601 stamp and the zone the times are shown in (times are UTC ISO in the file). */
  createdAt: number;
  scope: { label: string; value: string }[];
  series: SeriesSummary[];
  anomalies: { series: string; t: number; value: number; score: number; detector: string }[];
  insights: { type: string; subject: string; confidence: number; text: string }[];
  /** Privacy notes (fields removed, groups suppressed) shown at the top. */
  privacy: string[];
  sparklines: boolean;
}

/** The report pages' shared style: light and dark, print-friendly. */
export const ReportStyle = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0b5cad}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--accent:#6cb6ff}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg);margin:2rem auto;max-width:72rem;padding:0 1rem}
h1,h2{line-height:1.2}h2{margin-top:2rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:middle}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:var(--muted)}.spark{color:var(--accent)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:var(--muted)}dd{margin:0}
`;

/**
 * The head of a self-contained report page: a Content-Security-Policy that lets nothing be
 * fetched (no script, no remote style, font or image), the shared style and `extraStyle`.
 */
export function openReportHtml(title: string, extraStyle: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<title>${escapeHtml(title)}</title><style>${ReportStyle}${extraStyle}</style></head><body>`
  );
}

/**
 * Writes the report as one self-contained HTML document.
 *
 * Empty input (no series, anomalies, insights): the scope and "nothing in this scope" notes.
 * Complexity O(series × bins + anomalies + insights).
 * @example
 * writeReportHtml({ title: 'Tidemark report', createdAt: 0, scope: [], series: [], anomalies: [], insights: [], privacy: [], sparklines: true })
 */
export function writeReportHtml(input: ReportInput): string {
  const e = escapeHtml;
  const out: string[] = [];
  out.push(
    openReportHtml(input.title, ''),
    `<h1>${e(input.title)}</h1><p class="muted">Generated ${e(new Date(input.createdAt).toISOString())} by Tidemark. Times are UTC.</p>`,
    '<h2>Scope</h2><dl>'
  );
  for (const s of input.scope) out.push(`<dt>${e(s.label)}</dt><dd>${e(s.value)}</dd>`);
  out.push('</dl>');
  if (input.privacy.length > 0) {
    out.push('<h2>Privacy</h2><ul>');
    for (const p of input.privacy) out.push(`<li>${e(p)}</li>`);
    out.push('</ul>');
  }
  out.push(`<h2>Series (${input.series.length})</h2>`);
  if (input.series.length === 0) out.push('<p>No series in this scope.</p>');
  else {
    out.push(
      '<table><thead><tr><th scope="col">Series</th><th scope="col">Unit</th><th scope="col" class="num">Values</th><th scope="col" class="num">Min</th><th scope="col" class="num">Avg</th><th scope="col" class="num">Max</th><th scope="col" class="num">p95 (±1%)</th>',
      input.sparklines ? '<th scope="col">Trend</th>' : '',
      '</tr></thead><tbody>'
    );
    for (const s of input.series)
      out.push(
        `<tr><td>${e(s.name)}<span class="muted">${e(labelText(s.labels))}</span></td><td>${e(s.unit)}</td>`,
        `<td class="num">${s.count}</td><td class="num">${formatNumber(s.min)}</td><td class="num">${formatNumber(s.avg)}</td>`,
        `<td class="num">${formatNumber(s.max)}</td><td class="num">${formatNumber(s.p95)}</td>`,
        input.sparklines ? `<td>${renderSparkline(s.spark)}</td>` : '',
        '</tr>'
      );
    out.push('</tbody></table>');
  }
  out.push(`<h2>Anomalies (${input.anomalies.length})</h2>`);
  if (input.anomalies.length === 0)
    out.push('<p>No anomalies in this scope (or not included).</p>');
  else {
    out.push(
      '<table><thead><tr><th scope="col">Time</th><th scope="col">Series</th><th scope="col" class="num">Value</th><th scope="col" class="num">Score</th><th scope="col">Detector</th></tr></thead><tbody>'
    );
    for (const a of input.anomalies)
      out.push(
        `<tr><td>${e(new Date(a.t).toISOString())}</td><td>${e(a.series)}</td><td class="num">${formatNumber(a.value)}</td><td class="num">${a.score.toFixed(2)}</td><td>${e(a.detector)}</td></tr>`
      );
    out.push('</tbody></table>');
  }
  out.push(`<h2>Insights (${input.insights.length})</h2>`);
  if (input.insights.length === 0) out.push('<p>No insights in this scope (or not included).</p>');
  else {
    out.push('<ul>');
    for (const i of input.insights)
      out.push(
        `<li><strong>${e(i.type)}</strong> · ${e(i.subject)} <span class="muted">(confidence ${Math.round(i.confidence * 100)}%)</span><br>${e(i.text)}</li>`
      );
    out.push('</ul>');
  }
  out.push('</body></html>\n');
  return out.join('');
}
