import { buildReportPanels } from '$lib/components/dashboards/report-panels';
import { writeDashboardReport } from '$lib/export/dashboard-report';
import { stripResultPii, writeResultsFile } from '$lib/export/results';
import { splitProducedName, type ScheduledOutput } from '$lib/export/schedule';
import type { ExportSpec } from '$lib/export/types';
import type { ResultValue } from '$lib/export/xml';
import type { AppState } from '$lib/state/app.svelte';
import { BuiltInDashboards, ReportTitles } from '$lib/state/dashboard-builtins';
import { DashboardFetcher } from '$lib/state/dashboard-data';
import type { ProducedFile, ScheduledJob, ScheduleProducer } from '$lib/state/schedules.svelte';

const ResultTitles: Record<Extract<ScheduledOutput, { kind: 'results' }>['view'], string> = {
  triggers: 'Trigger performance',
  recentFailures: 'Recent failures',
  distribution: 'Action types',
  hourly: 'Hourly metrics',
  anomalies: 'Anomalies'
};

/**
 * Makes a scheduled run's files from the same code as the Export page (the engine's export,
 * under the schedule's saved scope and privacy choices), the dashboards' result tables (PII
 * stripped as Export strips it) and the dashboards' HTML reports, over the run's window.
 */
export function createScheduleProducer(
  app: AppState,
  context: { appVersion: string }
): ScheduleProducer {
  return async (output, job) => {
    if (output.kind === 'data') return produceData(app, output.format, job, context);
    const fetcher = new DashboardFetcher(app.engine, {
      range: '24h',
      now: job.to,
      window: { from: job.from, to: job.to }
    });
    const salt = crypto.randomUUID();
    const policy = job.schedule.options.pii;
    if (output.kind === 'results') {
      const source =
        output.view === 'anomalies'
          ? ({ kind: 'anomalies' } as const)
          : ({ kind: 'view', view: output.view } as const);
      const rows = await stripResultPii(
        (await fetcher.rows(source)) as Record<string, ResultValue>[],
        { policy, salt }
      );
      const file = writeResultsFile({
        title: ResultTitles[output.view],
        createdAt: job.slot,
        rows,
        format: output.format
      });
      return [
        {
          dataset: output.view,
          ext: output.format,
          type: file.type,
          blob: new Blob([file.text], { type: file.type })
        }
      ];
    }
    const dashboard = BuiltInDashboards.find((d) => d.id === output.dashboard);
    if (!dashboard) throw new Error(`There is no ${output.dashboard} dashboard.`);
    const html = writeDashboardReport({
      title: ReportTitles[dashboard.id],
      createdAt: job.slot,
      scope: `${dashboard.title} dashboard, ${new Date(job.from).toISOString()} to ${new Date(job.to).toISOString()} (scheduled)`,
      privacy: [
        `result tables under the schedule's privacy choices: ids ${policy.ids}, messages ${policy.errorMessage}, context ${policy.context}`
      ],
      panels: await buildReportPanels(dashboard, fetcher, { policy, salt })
    });
    return [
      {
        dataset: `${dashboard.id}-report`,
        ext: 'html',
        type: 'text/html',
        blob: new Blob([html], { type: 'text/html' })
      }
    ];
  };
}

async function produceData(
  app: AppState,
  format: Extract<ScheduledOutput, { kind: 'data' }>['format'],
  job: ScheduledJob,
  context: { appVersion: string }
): Promise<ProducedFile[]> {
  const o = job.schedule.options;
  const seriesIds =
    o.seriesIds === 'all' ? (await app.engine.listSeries()).map((s) => s.id) : [...o.seriesIds];
  const spec: ExportSpec = {
    jobId: `schedule-${job.schedule.id}-${job.slot}`,
    format,
    from: job.from,
    // The window is [from, slot): the slot's own instant belongs to the next run.
    to: job.to - 1,
    seriesIds,
    resolution: o.resolution,
    aggregates: [...o.aggregates],
    events: o.events,
    pii: { ...o.pii },
    k: o.k,
    groupBy: [...o.groupBy],
    outliers: o.outliers,
    anomalies: o.anomalies,
    insights: o.insights,
    sparklines: o.sparklines,
    diagnostic: {
      appVersion: context.appVersion,
      userAgent: navigator.userAgent,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
      settings: null,
      storage: app.storage,
      errors: []
    }
  };
  const outcome = await app.engine.runExport(spec);
  return outcome.files.map((f) => ({ ...splitProducedName(f.name), type: f.type, blob: f.blob }));
}
