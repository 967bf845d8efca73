import { heatmapUsedRows } from '$lib/analytics/heatmap';
import { distinctSeriesColors, SeriesPalette } from '$lib/charts/colors';
import type { ReportPanel } from '$lib/export/dashboard-report';
import { PiiDefaults, type PiiPolicy } from '$lib/export/privacy';
import { stripResultPii } from '$lib/export/results';
import type { ResultValue } from '$lib/export/xml';
import type { DashboardFetcher } from '$lib/state/dashboard-data';
import type { Dashboard } from '$lib/types/dashboard';
import { answerColumns, formatAnswerCell } from '../answer-cells';
import { formatValue } from '../format';
import { heatmapRowLabel } from './heatmap-labels';
import { levelOf } from './thresholds';
import { rankTop } from './topn';

/** What a report says about privacy: result tables go out under Export's default policy. */
export const ReportPrivacy = [
  'trigger and organisation ids pseudonymised (salted SHA-256, fresh salt per report)',
  'error messages redacted (emails, IPs, ids, long numbers)',
  'event context removed'
];

/**
 * The dashboard's widgets as report panels, in reading order, from the same fetcher (so the
 * same figures) the page shows. Widgets that fail say why instead of being left out. Result
 * tables go out under `privacy` (Export's defaults and a fresh salt unless a schedule says).
 */
export async function buildReportPanels(
  dashboard: Dashboard,
  fetcher: DashboardFetcher,
  privacy: { policy: PiiPolicy; salt: string } = {
    policy: PiiDefaults,
    salt: crypto.randomUUID()
  }
): Promise<ReportPanel[]> {
  const { policy, salt } = privacy;
  const widgets = [...dashboard.widgets].sort((a, b) => a.rect.y - b.rect.y || a.rect.x - b.rect.x);
  return Promise.all(
    widgets.map(async (w): Promise<ReportPanel> => {
      if (w.kind === 'note') return { kind: 'note', title: w.title, text: w.text };
      try {
        const data = await fetcher.load(w);
        if (data.kind === 'series') {
          const colors = distinctSeriesColors(data.series.map((s) => s.series.key));
          return {
            kind: 'chart',
            title: w.title,
            unit: data.series[0]?.unit ?? '',
            format: (v: number) => formatValue(v, data.series[0]?.unit ?? ''),
            from: data.range.from,
            to: data.range.to,
            lines: data.series.map((s, i) => ({
              label: s.series.key,
              color: colors[i],
              t: Array.from(s.result.t),
              v: Array.from(s.result.columns.avg ?? [])
            }))
          };
        }
        if (data.kind === 'heatmap') {
          const h = data.heatmap;
          const used = heatmapUsedRows(h);
          const rows = used
            ? Array.from({ length: used[1] - used[0] + 1 }, (_, i) => used[1] - i)
            : [];
          return {
            kind: 'heatmap',
            title: w.title,
            rows: rows.map((r) => heatmapRowLabel(h.bounds, r, data.unit)),
            counts: rows.map((r) =>
              Array.from(h.counts.subarray(r * h.columns, (r + 1) * h.columns))
            ),
            from: h.from,
            stepMs: h.stepMs,
            what: data.what,
            color: SeriesPalette[0]
          };
        }
        if (data.kind === 'value') {
          const unit = (w.kind === 'stat' || w.kind === 'gauge') && w.unit ? w.unit : data.unit;
          const level =
            w.kind === 'stat' || w.kind === 'gauge' ? levelOf(data.value, w.thresholds) : 'none';
          return {
            kind: 'value',
            title: w.title,
            text: Number.isNaN(data.value) ? '—' : formatValue(data.value, unit),
            level: level === 'none' ? '' : level,
            spark: data.spark
          };
        }
        if (data.kind === 'rows') {
          const clean = await stripResultPii(data.rows as Record<string, ResultValue>[], {
            policy,
            salt
          });
          if (w.kind === 'topn') {
            const top = rankTop(clean, { limit: w.limit, field: w.field });
            return {
              kind: 'table',
              title: w.title,
              columns: [top.labelColumn, top.field],
              rows: top.items.map((i) => [i.label, i.text])
            };
          }
          const rows = clean;
          const columns = answerColumns(rows).map((c) => c.label);
          return {
            kind: 'table',
            title: w.title,
            columns,
            rows: rows.map((r) => columns.map((c) => formatAnswerCell(c, r[c])))
          };
        }
        return { kind: 'text', title: w.title, paragraphs: [] };
      } catch (e) {
        return { kind: 'text', title: w.title, paragraphs: [(e as Error).message] };
      }
    })
  );
}
