import { escapeHtml, openReportHtml, sparklinePath } from './report';

/** One panel of a dashboard report: its figures already formatted by the page. */
export type ReportPanel =
  | { kind: 'value'; title: string; text: string; level: string; spark: number[] }
  | { kind: 'table'; title: string; columns: string[]; rows: string[][] }
  | {
      kind: 'chart';
      title: string;
      unit: string;
      lines: ReportLine[];
      from: number;
      to: number;
      /** The axis' extremes as the page writes values ("14.0 GiB"); plain numbers and the unit otherwise. */
      format?: (v: number) => string;
    }
  | { kind: 'text'; title: string; paragraphs: string[] }
  /**
   * A latency heatmap: `counts[r][c]` for row label `rows[r]` (top row first) and time
   * bucket c of `stepMs` from `from`; `what` names what is counted.
   */
  | {
      kind: 'heatmap';
      title: string;
      rows: string[];
      counts: number[][];
      from: number;
      stepMs: number;
      what: string;
      color: string;
    }
  | { kind: 'note'; title: string; text: string };

export interface ReportLine {
  label: string;
  color: string;
  t: number[];
  v: number[];
}

export const DashboardReportDefaults = { chartWidth: 640, chartHeight: 180, maxRows: 50 };

const Style = `
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:1rem}
.panel{border:1px solid var(--line);border-radius:6px;padding:.75rem;break-inside:avoid}
.panel.wide{grid-column:1/-1}.panel h3{margin:0 0 .4rem;font-size:1rem}
.value{font-size:1.8rem;font-weight:650;font-variant-numeric:tabular-nums}
.level{font-size:.8rem;font-weight:600;text-transform:uppercase}
.level.warn{color:#b45309}.level.bad{color:#b91c1c}.level.ok{color:#15803d}
svg.chart{width:100%;height:auto}svg.chart text{font-size:11px;fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:.75rem;font-size:.85rem}.legend i{display:inline-block;width:.8rem;height:.2rem;vertical-align:middle;margin-right:.3rem}
@media print{body{margin:0;max-width:none;font-size:11px}.panel{border-color:#999}h2{break-after:avoid}@page{margin:14mm}}
`;

function renderChart(p: Extract<ReportPanel, { kind: 'chart' }>): string {
  const { chartWidth: w, chartHeight: h } = DashboardReportDefaults;
  const finite = p.lines.flatMap((l) => l.v.filter(Number.isFinite));
  if (finite.length === 0) return '<p class="muted">No data in this range.</p>';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || 1;
  const x = (t: number) => ((t - p.from) / Math.max(1, p.to - p.from)) * w;
  const y = (v: number) => h - ((v - lo) / span) * (h - 10) - 5;
  const paths = p.lines.map((l) => {
    let d = '';
    let pen = false;
    l.t.forEach((t, i) => {
      const v = l.v[i];
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return `<path d="${d}" fill="none" stroke="${escapeHtml(l.color)}" stroke-width="1.5"/>`;
  });
  const e = escapeHtml;
  const axis = p.format ?? ((v: number) => `${formatAxis(v)} ${p.unit}`.trim());
  const time = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  return (
    `<svg class="chart" viewBox="0 -14 ${w} ${h + 30}" role="img" aria-label="${e(p.title)}">` +
    `<text x="0" y="-3">${e(axis(hi))}</text>` +
    `<text x="0" y="${h + 12}">${e(axis(lo))}</text>` +
    `<line x1="0" y1="${h}" x2="${w}" y2="${h}" stroke="currentColor" stroke-opacity=".3"/>` +
    paths.join('') +
    `<text x="${w}" y="${h + 12}" text-anchor="end">${e(time(p.to))} UTC</text>` +
    `<text x="${w / 2}" y="${h + 12}" text-anchor="middle">${e(time(p.from))} →</text></svg>` +
    `<div class="legend">${p.lines.map((l) => `<span><i style="background:${e(l.color)}"></i>${e(l.label)}</span>`).join('')}</div>`
  );
}

function renderHeatmap(p: Extract<ReportPanel, { kind: 'heatmap' }>): string {
  const e = escapeHtml;
  const columns = p.counts[0]?.length ?? 0;
  const max = Math.max(0, ...p.counts.flat());
  if (columns === 0 || max === 0) return '<p class="muted">No data in this range.</p>';
  const { chartWidth: w } = DashboardReportDefaults;
  const label = 70;
  const cw = (w - label) / columns;
  const ch = 14;
  const h = p.rows.length * ch;
  const time = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  let cells = '';
  p.counts.forEach((row, r) =>
    row.forEach((n, c) => {
      if (!(n > 0)) return;
      // Log scale, as on the page: a few slow calls still show beside many fast ones.
      const a = 0.15 + 0.85 * (Math.log1p(n) / Math.log1p(max));
      cells += `<rect x="${(label + c * cw).toFixed(1)}" y="${r * ch}" width="${cw.toFixed(2)}" height="${ch}" fill="${e(p.color)}" fill-opacity="${a.toFixed(2)}"><title>${e(`${p.rows[r]}, ${time(p.from + c * p.stepMs)}: ${n} ${p.what}`)}</title></rect>`;
    })
  );
  const labels = p.rows
    .map((t, r) => `<text x="${label - 4}" y="${r * ch + 10}" text-anchor="end">${e(t)}</text>`)
    .join('');
  const end = p.from + columns * p.stepMs;
  return (
    `<svg class="chart" viewBox="0 0 ${w} ${h + 16}" role="img" aria-label="${e(`${p.title}: latency heatmap, darker cells hold more ${p.what}`)}">` +
    labels +
    cells +
    `<text x="${label}" y="${h + 12}">${e(time(p.from))} →</text>` +
    `<text x="${w}" y="${h + 12}" text-anchor="end">${e(time(end))} UTC</text></svg>` +
    `<p class="muted">Darker cells hold more ${e(p.what)} (largest cell: ${max}).</p>`
  );
}

function formatAxis(v: number): string {
  const a = Math.abs(v);
  return a >= 1e6 || (a > 0 && a < 0.01) ? v.toExponential(2) : String(+v.toFixed(2));
}

function renderPanel(p: ReportPanel): string {
  const e = escapeHtml;
  const wide = p.kind === 'chart' || p.kind === 'table' || p.kind === 'heatmap';
  let body: string;
  switch (p.kind) {
    case 'value': {
      const d = sparklinePath(p.spark, { width: 120, height: 24 });
      body =
        `<div class="value">${e(p.text)}</div>` +
        (p.level ? `<div class="level ${e(p.level)}">${e(p.level)}</div>` : '') +
        (d
          ? `<svg class="spark" width="120" height="24" viewBox="0 0 120 24" role="img" aria-label="trend"><path d="${d}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>`
          : '');
      break;
    }
    case 'table': {
      const rows = p.rows.slice(0, DashboardReportDefaults.maxRows);
      body = rows.length
        ? `<table><thead><tr>${p.columns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${rows
            .map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>` +
          (p.rows.length > rows.length
            ? `<p class="muted">The first ${rows.length} of ${p.rows.length} rows.</p>`
            : '')
        : '<p class="muted">No rows in this range.</p>';
      break;
    }
    case 'chart':
      body = renderChart(p);
      break;
    case 'heatmap':
      body = renderHeatmap(p);
      break;
    case 'text':
      body = p.paragraphs.map((t) => `<p>${e(t)}</p>`).join('');
      break;
    case 'note':
      body = `<p style="white-space:pre-wrap">${e(p.text)}</p>`;
      break;
  }
  return `<section class="panel${wide ? ' wide' : ''}"><h3>${e(p.title)}</h3>${body}</section>`;
}

/**
 * A dashboard's figures as one self-contained HTML report (executive summary, technical
 * report, user-behaviour report): no script, nothing fetched (a CSP forbids it), charts as
 * inline SVG, a print style for "Save as PDF". Text is escaped everywhere.
 *
 * Empty input (no panels): the title and the scope only. O(panels × points).
 */
export function writeDashboardReport(input: {
  title: string;
  createdAt: number;
  scope: string;
  privacy: string[];
  panels: ReportPanel[];
}): string {
  const e = escapeHtml;
  return (
    openReportHtml(input.title, Style) +
    `<h1>${e(input.title)}</h1>` +
    `<p class="muted">${e(input.scope)} · generated ${e(new Date(input.createdAt).toISOString())} by Tidemark (times UTC).</p>` +
    (input.privacy.length
      ? `<p class="muted">Privacy: ${input.privacy.map(e).join('; ')}.</p>`
      : '') +
    `<div class="panels">${input.panels.map(renderPanel).join('')}</div></body></html>\n`
  );
}
