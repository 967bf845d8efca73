import type { Dashboard, Widget } from '$lib/types/dashboard';

const rect = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });

const executiveWidgets: Widget[] = [
  {
    id: 'health',
    kind: 'gauge',
    title: 'Health score',
    source: { kind: 'summary', figure: 'health' },
    min: 0,
    max: 100,
    thresholds: { warn: 80, bad: 60, lowerIsWorse: true },
    rect: rect(0, 0, 3, 3)
  },
  {
    id: 'success',
    kind: 'stat',
    title: 'Success rate',
    source: { kind: 'summary', figure: 'successRate' },
    thresholds: { warn: 0.95, bad: 0.9, lowerIsWorse: true },
    rect: rect(3, 0, 3, 3)
  },
  {
    id: 'throughput',
    kind: 'stat',
    title: 'Throughput',
    source: { kind: 'summary', figure: 'throughputPerHour' },
    rect: rect(6, 0, 3, 3)
  },
  {
    id: 'events',
    kind: 'stat',
    title: 'Events, last 30 days',
    source: { kind: 'summary', figure: 'events' },
    rect: rect(9, 0, 3, 3)
  },
  {
    id: 'orgs',
    kind: 'stat',
    title: 'Active organisations',
    source: { kind: 'summary', figure: 'activeOrganisations' },
    rect: rect(0, 3, 3, 2)
  },
  {
    id: 'triggers',
    kind: 'stat',
    title: 'Active triggers',
    source: { kind: 'summary', figure: 'activeTriggers' },
    rect: rect(3, 3, 3, 2)
  },
  {
    id: 'failures',
    kind: 'stat',
    title: 'Failures, last 24 hours',
    source: { kind: 'summary', figure: 'failures' },
    rect: rect(6, 3, 3, 2)
  },
  {
    id: 'p95',
    kind: 'stat',
    title: 'p95 latency',
    source: { kind: 'summary', figure: 'p95Ms' },
    rect: rect(9, 3, 3, 2)
  },
  {
    id: 'top-errors',
    kind: 'topn',
    title: 'Top problems',
    source: { kind: 'question', name: 'topErrorMessages', params: { limit: 5 } },
    limit: 5,
    rect: rect(0, 5, 6, 4)
  },
  {
    id: 'growth',
    kind: 'table',
    title: 'Trends: week over week',
    source: { kind: 'question', name: 'weekOverWeekGrowth' },
    rect: rect(6, 5, 6, 4)
  }
];

const technicalWidgets: Widget[] = [
  {
    id: 'cpu',
    kind: 'timeseries',
    title: 'Host: CPU',
    source: { kind: 'series', match: 'cpu_usage_percent{cpu="total"}' },
    rect: rect(0, 0, 6, 4)
  },
  {
    id: 'memory',
    kind: 'timeseries',
    title: 'Host: memory used',
    source: { kind: 'series', match: 'memory_used_bytes' },
    rect: rect(6, 0, 6, 4)
  },
  {
    id: 'tps',
    kind: 'stat',
    title: 'Model: tokens per second',
    source: { kind: 'series', match: 'model_tokens_per_second' },
    rect: rect(0, 4, 4, 3)
  },
  {
    id: 'ttft',
    kind: 'timeseries',
    title: 'Model: time to first token',
    source: { kind: 'series', match: 'model_time_to_first_token_ms' },
    rect: rect(4, 4, 8, 3)
  },
  {
    id: 'frame',
    kind: 'timeseries',
    title: 'UX: frame time',
    source: { kind: 'series', match: 'frame_time_ms' },
    rect: rect(0, 7, 6, 4)
  },
  {
    id: 'gpu-temp',
    kind: 'gauge',
    title: 'GPU temperature',
    source: { kind: 'series', match: 'gpu_temperature_celsius' },
    min: 20,
    max: 100,
    thresholds: { warn: 75, bad: 85 },
    rect: rect(6, 7, 3, 4)
  },
  {
    id: 'p95',
    kind: 'stat',
    title: 'Result-log p95 latency',
    source: { kind: 'summary', figure: 'p95Ms' },
    rect: rect(9, 7, 3, 4)
  },
  {
    id: 'latencies',
    kind: 'table',
    title: 'Latencies: slowest triggers',
    source: { kind: 'question', name: 'slowestTriggers', params: { limit: 10 } },
    rect: rect(0, 11, 6, 4)
  },
  {
    id: 'errors',
    kind: 'topn',
    title: 'Errors by trigger',
    source: { kind: 'question', name: 'errorsByTrigger', params: { limit: 8 } },
    limit: 8,
    field: 'failures',
    rect: rect(6, 11, 6, 4)
  },
  {
    id: 'latency-heatmap',
    kind: 'heatmap',
    title: 'Latency distribution over time (result log)',
    source: { kind: 'durations' },
    rect: rect(0, 15, 12, 4)
  },
  {
    id: 'anomalies',
    kind: 'table',
    title: 'Anomalies',
    source: { kind: 'anomalies' },
    rect: rect(0, 19, 12, 4)
  }
];

const behaviourWidgets: Widget[] = [
  {
    id: 'orgs',
    kind: 'stat',
    title: 'Active organisations',
    source: { kind: 'summary', figure: 'activeOrganisations' },
    rect: rect(0, 0, 3, 2)
  },
  {
    id: 'throughput',
    kind: 'stat',
    title: 'Events per hour',
    source: { kind: 'summary', figure: 'throughputPerHour' },
    rect: rect(3, 0, 3, 2)
  },
  {
    id: 'active',
    kind: 'topn',
    title: 'Most used triggers',
    source: { kind: 'question', name: 'mostActiveTriggers', params: { limit: 8 } },
    limit: 8,
    field: 'executions',
    rect: rect(6, 0, 6, 4)
  },
  {
    id: 'peak',
    kind: 'table',
    title: 'Peak hours',
    source: { kind: 'question', name: 'peakHours', params: { limit: 6 } },
    rect: rect(0, 2, 6, 4)
  },
  {
    id: 'usage',
    kind: 'table',
    title: 'Usage by organisation',
    source: { kind: 'question', name: 'organisationUsage', params: { limit: 10 } },
    rect: rect(6, 4, 6, 4)
  },
  {
    id: 'actions',
    kind: 'table',
    title: 'Action types',
    source: { kind: 'view', view: 'distribution' },
    rect: rect(0, 6, 6, 4)
  }
];

/** The dashboards every Tidemark has: not stored, not deletable; a copy can be edited. */
export const BuiltInDashboards: readonly Dashboard[] = [
  {
    id: 'executive',
    title: 'Executive',
    range: '24h',
    refreshMs: 0,
    builtIn: true,
    createdAt: 0,
    updatedAt: 0,
    widgets: executiveWidgets
  },
  {
    id: 'technical',
    title: 'Technical',
    range: '6h',
    refreshMs: 0,
    builtIn: true,
    createdAt: 0,
    updatedAt: 0,
    widgets: technicalWidgets
  },
  {
    id: 'behaviour',
    title: 'User behaviour',
    range: '7d',
    refreshMs: 0,
    builtIn: true,
    createdAt: 0,
    updatedAt: 0,
    widgets: behaviourWidgets
  }
];

/** The report each built-in dashboard prints as; others are "<title> report". */
export const ReportTitles: Record<string, string> = {
  executive: 'Executive summary',
  technical: 'Technical report',
  behaviour: 'User-behaviour report'
};
