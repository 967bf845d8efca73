import { describe, expect, it } from 'vitest';
import { parseMetricFile } from '../ingest';
import type { PointBatch, SeriesKind } from '../types';
import { planOpenMetrics, writeOpenMetrics } from './openmetrics';
import { formatPromUnit, sanitizePromLabels, translateMetricName } from './prom-names';

const T = 1_700_000_000_000;
const batch = (
  name: string,
  kind: SeriesKind,
  labels: Record<string, string>,
  points: [number, number][],
  unit = ''
): PointBatch => ({
  series: { name, labels, unit, kind, source: 'import', category: 'app' },
  t: Float64Array.from(points.map((p) => T + p[0])),
  v: Float64Array.from(points.map((p) => p[1]))
});

/** The text read back as OpenMetrics by the strict reader (ingest/openmetrics-validate.ts). */
async function strictErrors(text: string): Promise<string[]> {
  const r = await parseMetricFile('out.om', new TextEncoder().encode(text), {
    format: 'openmetrics'
  });
  return r.errors.map((e) => `${e.line}: ${e.message}`);
}

/** The text is exactly `lines` then `# EOF`, and the strict reader finds nothing wrong. */
async function expectStrict(text: string, lines: string[]): Promise<void> {
  expect(text).toBe([...lines, '# EOF', ''].join('\n'));
  expect(await strictErrors(text)).toEqual([]);
}

describe('OpenTelemetry → Prometheus names', () => {
  it.each([
    ['system.cpu.time', 's', 'counter', 'system_cpu_time_seconds'],
    ['system.memory.usage', 'By', 'gauge', 'system_memory_usage_bytes'],
    ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio'],
    ['http.server.request.count', '{request}', 'counter', 'http_server_request_count'],
    ['net.io', 'By/s', 'gauge', 'net_io_bytes_per_second'],
    ['jvm..gc--pause', 'ms', 'histogram', 'jvm_gc_pause_milliseconds'],
    ['2xx.rate', '', 'gauge', 'metric_2xx_rate'],
    ['%usr', '%', 'gauge', 'usr_percent'],
    ['_reserved', '', 'gauge', 'reserved'],
    ['latency.seconds', 's', 'gauge', 'latency_seconds'],
    ['requests.total', '', 'counter', 'requests_total'],
    // Valid Prometheus names are kept as they are, unit or not.
    ['node_cpu_seconds_total', 's', 'counter', 'node_cpu_seconds_total'],
    ['cpu_usage', '%', 'gauge', 'cpu_usage'],
    ['a__b', '', 'gauge', 'a__b']
  ] as const)('%s (%s, %s) → %s', (name, unit, kind, out) => {
    expect(translateMetricName(name, unit, kind).name).toBe(out);
  });

  it('unit words: annotations dropped, per-units, ratio only for gauges', () => {
    expect(formatPromUnit('{packet}/s', 'counter')).toBe('per_second');
    expect(formatPromUnit('1', 'counter')).toBe('');
    expect(formatPromUnit('KiBy', 'gauge')).toBe('kibibytes');
    expect(formatPromUnit('Cel', 'gauge')).toBe('celsius');
  });

  it('label names: sanitized, colliding ones joined with ;, reserved _ names kept out', () => {
    expect(sanitizePromLabels({ 'host.name': 'a', host_name: 'b', __x: 'c', '9z': 'd' })).toEqual({
      key_9z: 'd',
      x: 'c',
      host_name: 'a;b'
    });
    const labels = { job: 'x' };
    expect(sanitizePromLabels(labels)).toBe(labels);
  });
});

describe('OpenMetrics families', () => {
  it("Go's gauge x beside its counter x_total: the gauge keeps x, the counter is unknown x_total", async () => {
    const text = writeOpenMetrics([
      batch('go_memstats_alloc_bytes_total', 'counter', {}, [[0, 13]]),
      batch('go_memstats_alloc_bytes', 'gauge', {}, [[0, 8]])
    ]);
    await expectStrict(text, [
      '# TYPE go_memstats_alloc_bytes_total unknown',
      'go_memstats_alloc_bytes_total 13 1700000000',
      '# TYPE go_memstats_alloc_bytes gauge',
      'go_memstats_alloc_bytes 8 1700000000'
    ]);
  });

  it('an OTel histogram is one family, written whole per timestamp, buckets ascending, +Inf last', async () => {
    const name = 'http.server.duration';
    const l = { 'http.route': '/a' };
    // Each series has points at T and T + 10 s, given out of order on purpose.
    const two = (suffix: string, kind: SeriesKind, labels: Record<string, string>, v: number[]) =>
      batch(
        `${name}${suffix}`,
        kind,
        labels,
        [
          [0, v[0]],
          [10_000, v[1]]
        ],
        's'
      );
    const text = writeOpenMetrics([
      two('_count', 'counter', l, [3, 5]),
      two('_bucket', 'histogram_bucket', { ...l, le: '+Inf' }, [3, 5]),
      two('_bucket', 'histogram_bucket', { ...l, le: '0.5' }, [1, 4]),
      two('_sum', 'counter', l, [0.75, 1.5])
    ]);
    await expectStrict(text, [
      '# TYPE http_server_duration_seconds histogram',
      '# UNIT http_server_duration_seconds seconds',
      'http_server_duration_seconds_bucket{http_route="/a",le="0.5"} 1 1700000000',
      'http_server_duration_seconds_bucket{http_route="/a",le="+Inf"} 3 1700000000',
      'http_server_duration_seconds_count{http_route="/a"} 3 1700000000',
      'http_server_duration_seconds_sum{http_route="/a"} 0.75 1700000000',
      'http_server_duration_seconds_bucket{http_route="/a",le="0.5"} 4 1700000010',
      'http_server_duration_seconds_bucket{http_route="/a",le="+Inf"} 5 1700000010',
      'http_server_duration_seconds_count{http_route="/a"} 5 1700000010',
      'http_server_duration_seconds_sum{http_route="/a"} 1.5 1700000010'
    ]);
  });

  it('a summary is one family (quantiles, _count, _sum), NaN quantiles kept', async () => {
    const text = writeOpenMetrics([
      batch('rpc_seconds', 'gauge', { quantile: '0.9' }, [[0, NaN]]),
      batch('rpc_seconds', 'gauge', { quantile: '0.5' }, [[0, NaN]]),
      batch('rpc_seconds_sum', 'counter', {}, [[0, 0]]),
      batch('rpc_seconds_count', 'counter', {}, [[0, 0]])
    ]);
    await expectStrict(text, [
      '# TYPE rpc_seconds summary',
      'rpc_seconds{quantile="0.5"} NaN 1700000000',
      'rpc_seconds{quantile="0.9"} NaN 1700000000',
      'rpc_seconds_count 0 1700000000',
      'rpc_seconds_sum 0 1700000000'
    ]);
  });

  it('leaves out, and counts, what OpenMetrics forbids; the rest passes the strict reader', async () => {
    const input = [
      // A counter gap and a reset recorded as negative; a repeated time.
      batch('req_total', 'counter', {}, [
        [0, 1],
        [1, NaN],
        [2, -1],
        [3, 2],
        [3, 2]
      ]),
      // Histogram: the point at 0 is not cumulative, the one at 1 lacks +Inf, 2 is whole.
      batch('h_bucket', 'histogram_bucket', { le: '1' }, [
        [0, 5],
        [1, 1],
        [2, 1]
      ]),
      batch('h_bucket', 'histogram_bucket', { le: '+Inf' }, [
        [0, 2],
        [2, 2]
      ]),
      batch('h_count', 'counter', {}, [
        [0, 2],
        [1, 1],
        [2, 2]
      ]),
      // Non-increasing times of a gauge.
      batch('g', 'gauge', {}, [
        [5, 1],
        [5, 2],
        [6, 3]
      ])
    ];
    const plan = planOpenMetrics(input.map((b) => b.series));
    expect(plan.families.map((f) => [f.name, f.type])).toEqual([
      ['req', 'counter'],
      ['h', 'histogram'],
      ['g', 'gauge']
    ]);
    const text = writeOpenMetrics(input);
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // req: 0 and 3 (NaN, negative and the repeat left out); h: only the point at 2; g: 5, 6.
    expect(samples).toEqual([
      'req_total 1 1700000000',
      'req_total 2 1700000000.003',
      'h_bucket{le="1"} 1 1700000000.002',
      'h_bucket{le="+Inf"} 2 1700000000.002',
      'h_count 2 1700000000.002',
      'g 1 1700000000.005',
      'g 3 1700000000.006'
    ]);
    expect(await strictErrors(text)).toEqual([]);
  });

  it('the families a strict reader and a re-import see are the ones planned, with HELP and UNIT', async () => {
    const text = writeOpenMetrics([
      {
        ...batch('disk.io', 'counter', { device: 'sda' }, [[0, 1]], 'By'),
        series: {
          ...batch('disk.io', 'counter', { device: 'sda' }, [], 'By').series,
          help: 'Disk bytes'
        }
      }
    ]);
    expect(text).toBe(
      [
        '# TYPE disk_io_bytes counter',
        '# UNIT disk_io_bytes bytes',
        '# HELP disk_io_bytes Disk bytes',
        'disk_io_bytes_total{device="sda"} 1 1700000000',
        '# EOF',
        ''
      ].join('\n')
    );
    const r = await parseMetricFile('x.om', new TextEncoder().encode(text));
    expect(r.errors).toEqual([]);
    expect(r.series).toEqual([
      { name: 'disk_io_bytes_total', labels: { device: 'sda' }, points: 1 }
    ]);
  });
});
