import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMetricFile, sniffFormat } from '../../src/lib/ingest';
import { collect } from './ingest-helpers';

/**
 * Files written by the real programs (see tests/fixtures/real/README.md). Expectations are
 * counted from the raw text with plain string handling, or read off the file by eye, never by
 * calling the parser.
 */
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'real');
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir, name)));
const textOf = (name: string): string => readFileSync(path.join(dir, name), 'utf8');
const lines = (name: string): string[] =>
  textOf(name)
    .split('\n')
    .filter((l) => l.trim() !== '');

describe('real captures: sniffing', () => {
  it.each([
    ['collectd-5.12-write-graphite.txt', 'graphite'],
    ['promtool-2.42-tsdb-dump.txt', 'promtool-dump'],
    ['influxdb-1.6-http-query-groupby.json', 'influx-json'],
    ['influxdb-1.6-http-query-epoch-ms.json', 'influx-json'],
    ['influxdb-1.6-cli-format-json-pretty.json', 'influx-json'],
    ['influxdb-1.6-cli-format-json-precision-s.json', 'influx-json'],
    ['sysstat-12.6-sadf-j.json', 'sadf-json'],
    ['prometheus-2.42-api-range-rate.json', 'prometheus-api-json'],
    ['prometheus-2.42-api-scalar.json', 'prometheus-api-json'],
    ['influxdb-2-flux-annotated.csv', 'influx2-csv'],
    ['duckdb-1.5-copy-format-json.json', 'ndjson'],
    ['duckdb-1.5-copy-format-json-array.json', 'json']
  ])('%s is %s', (name, format) => {
    expect(sniffFormat(bytesOf(name).subarray(0, 65536), name)).toBe(format);
    // The extension does not decide: the same bytes under a neutral name sniff the same.
    expect(sniffFormat(bytesOf(name).subarray(0, 65536), 'upload')).toBe(format);
  });
});

describe('real captures: contents', () => {
  it('collectd write_graphite: one series per path, one point per line, Unix seconds', async () => {
    const ls = lines('collectd-5.12-write-graphite.txt');
    const s = await parseMetricFile(
      'collectd-5.12-write-graphite.txt',
      bytesOf('collectd-5.12-write-graphite.txt')
    );
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(ls.length);
    expect(s.series.length).toBe(new Set(ls.map((l) => l.split(' ')[0])).size);
    const [p, v, t] = ls[0].split(' ');
    const c = collect(bytesOf('collectd-5.12-write-graphite.txt'), { fileName: 'g.txt' });
    const first = [...c.series.values()].find((x) => x.series.name === p);
    expect(first?.t[0]).toBe(Number(t) * 1000);
    expect(first?.v[0]).toBe(Number(v));
  });

  it('promtool tsdb dump: __name__ from the label set, ms timestamps', async () => {
    const ls = lines('promtool-2.42-tsdb-dump.txt');
    const s = await parseMetricFile('dump.txt', bytesOf('promtool-2.42-tsdb-dump.txt'));
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(ls.length);
    expect(s.series.length).toBe(new Set(ls.map((l) => l.slice(0, l.indexOf('}')))).size);
    const up = s.series.find((x) => x.name === 'up');
    expect(up?.labels).toEqual({ instance: '127.0.0.1:19090', job: 'prometheus' });
    expect(up?.points).toBe(ls.filter((l) => l.startsWith('{__name__="up"')).length);
  });

  it.each([
    'influxdb-1.6-http-query-groupby.json',
    'influxdb-1.6-http-query-epoch-ms.json',
    'influxdb-1.6-cli-format-json-pretty.json',
    'influxdb-1.6-cli-format-json-precision-s.json'
  ])('InfluxDB 1.x %s: every numeric cell a point, tags kept as labels', async (name) => {
    const doc = JSON.parse(textOf(name)) as {
      results: {
        series: { name: string; tags?: object; columns: string[]; values: unknown[][] }[];
      }[];
    };
    let points = 0;
    for (const r of doc.results)
      for (const sr of r.series)
        for (const row of sr.values)
          points += row.filter((x, i) => typeof x === 'number' && sr.columns[i] !== 'time').length;
    const s = await parseMetricFile(name, bytesOf(name), {
      precision: name.includes('precision-s') ? 's' : undefined
    });
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(points);
    const sr = doc.results[0].series[0];
    for (const x of s.series) expect(x.name.startsWith(`${sr.name}_`)).toBe(true);
    if (sr.tags) for (const x of s.series) expect(x.labels).toMatchObject(sr.tags);
  });

  it('InfluxDB 1.x: RFC 3339, ms and s times land on the same clock', () => {
    const groupBy = collect(bytesOf('influxdb-1.6-http-query-groupby.json'), {
      fileName: 'a.json'
    });
    const mean = [...groupBy.series.values()].find((x) => x.series.name === 'runtime_mean');
    expect(mean?.t[0]).toBe(Date.parse('2026-12-07T19:38:10Z'));
    expect(mean?.v[0]).toBeCloseTo(1945173.3333333333, 6);
    const s = collect(bytesOf('influxdb-1.6-cli-format-json-precision-s.json'), {
      fileName: 'b.json'
    });
    expect([...s.series.values()][0].t[0]).toBe(1796672575000);
    const ms = collect(bytesOf('influxdb-1.6-http-query-epoch-ms.json'), { fileName: 'c.json' });
    expect([...ms.series.values()][0].t[0]).toBe(1796672574000);
  });

  it('sysstat sadf -j: every number of every record, host and item labels', async () => {
    const doc = JSON.parse(textOf('sysstat-12.6-sadf-j.json')) as {
      sysstat: { hosts: { statistics: Record<string, unknown>[] }[] };
    };
    const count = (x: unknown): number =>
      typeof x === 'number'
        ? 1
        : Array.isArray(x)
          ? x.reduce((n: number, y) => n + count(y), 0)
          : typeof x === 'object' && x !== null
            ? Object.values(x).reduce((n: number, y) => n + count(y), 0)
            : 0;
    const stats = doc.sysstat.hosts[0].statistics;
    const points = stats.reduce((n, st) => n + count({ ...st, timestamp: null }), 0);
    const s = await parseMetricFile('sadf.json', bytesOf('sysstat-12.6-sadf-j.json'));
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(points);
    const c = collect(bytesOf('sysstat-12.6-sadf-j.json'), { fileName: 'sadf.json' });
    const usr = [...c.series.values()].find(
      (x) => x.series.name === 'sysstat_cpu_load_usr' && x.series.labels.cpu === 'all'
    );
    expect(usr?.series.labels.host).toBe('vm');
    expect(usr?.t[0]).toBe(Date.parse('2026-12-07T19:38:10Z'));
    expect(usr?.v[0]).toBe(82.67);
  });

  it.each([
    ['prometheus-2.42-api-range-rate.json', 'value'],
    ['prometheus-2.42-api-range-sum.json', 'value'],
    ['prometheus-2.42-api-vector.json', 'up'],
    ['prometheus-2.42-api-scalar.json', 'value']
  ])('Prometheus API %s: every sample, named %s', async (name, series) => {
    const text = textOf(name);
    const samples = (text.match(/\[\d+(\.\d+)?,"/g) ?? []).length;
    const s = await parseMetricFile(name, bytesOf(name));
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(samples);
    expect(s.series.every((x) => x.name === series)).toBe(true);
  });

  it('InfluxDB 2.x annotated CSV: _measurement_field series, tags as labels, every table', async () => {
    const name = 'influxdb-2-flux-annotated.csv';
    const data = lines(name).filter((l) => l.startsWith(',') && !l.startsWith(',result'));
    const s = await parseMetricFile(name, bytesOf(name));
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(data.length);
    expect(s.series.map((x) => x.name).sort()).toContain('cpu_usage_idle');
    const cpu = s.series.find((x) => x.name === 'cpu_usage_idle');
    expect(cpu?.labels).toEqual({ cpu: 'cpu-total', host: 'host1' });
  });

  it.each(['duckdb-1.5-copy-format-json.json', 'duckdb-1.5-copy-format-json-array.json'])(
    'DuckDB %s: label columns keep 21 series apart',
    async (name) => {
      const rows = lines(name).filter((l) => l.includes('"metric"'));
      const ids = new Set(
        rows.map((l) => {
          const r = JSON.parse(l.trim().replace(/,$/, '')) as Record<string, string>;
          return `${r.metric}|${r.host}|${r.region}`;
        })
      );
      const s = await parseMetricFile(name, bytesOf(name));
      expect(s.errors).toEqual([]);
      expect(ids.size).toBe(21);
      expect(s.series.length).toBe(21);
      expect(s.points).toBe(rows.length);
      expect(s.series.find((x) => x.name === 'cpu' && x.labels.host === 'host0')?.labels).toEqual({
        host: 'host0',
        region: 'eu'
      });
    }
  );

  it('DuckDB Parquet: the same 21 series and 84 points as its JSON', async () => {
    const json = await parseMetricFile('d.json', bytesOf('duckdb-1.5-copy-format-json.json'));
    const name = 'duckdb-1.5-copy-format-parquet.parquet';
    expect(sniffFormat(bytesOf(name).subarray(0, 65536), 'upload')).toBe('parquet');
    const s = await parseMetricFile(name, bytesOf(name));
    expect(s.format).toBe('parquet');
    expect(s.errors).toEqual([]);
    expect(s.points).toBe(84);
    const key = (x: { name: string; labels: object; points: number }) =>
      JSON.stringify([x.name, x.labels, x.points]);
    expect(s.series.map(key).sort()).toEqual(json.series.map(key).sort());
  });

  it('a file that only looks like Parquet is refused with a typed error', async () => {
    const bad = new TextEncoder().encode('PAR1 not really');
    await expect(parseMetricFile('x.parquet', bad)).rejects.toMatchObject({ code: 'not_metrics' });
  });
});
