import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMetricFile } from '../../src/lib/ingest';
import { canonical, collect, listFixtures, readBytes } from './ingest-helpers';

const MTIME = Date.UTC(2026, 10, 22, 14, 30, 0);

/**
 * Independent expectations: counted from the raw text with plain string handling, using
 * only what the format says a series is, never by calling the parser.
 */
function expectedCounts(name: string, text: string): { series: number; points: number } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (name.endsWith('.prom')) {
    const samples = lines.filter((l) => !l.startsWith('#'));
    // No timestamps in these scrapes: the series is everything before the last space.
    const ids = new Set(samples.map((l) => l.slice(0, l.lastIndexOf(' '))));
    return { series: ids.size, points: samples.length };
  }
  if (name.endsWith('.lp')) {
    const ids = new Set<string>();
    let points = 0;
    for (const l of lines) {
      const [key, fields] = l.split(' ');
      for (const f of fields.split(',')) {
        ids.add(key + ' ' + f.split('=')[0]);
        points++;
      }
    }
    return { series: ids.size, points };
  }
  if (name === 'sysstat-12.6-sadf-d.csv') {
    const labelCols = new Set(['hostname', 'CPU', 'DEV', 'IFACE']);
    const skip = new Set(['interval', 'timestamp']);
    const ids = new Set<string>();
    let header: string[] = [];
    let points = 0;
    let section = 0;
    for (const l of lines) {
      if (l.startsWith('# ')) {
        header = l.slice(2).split(';');
        section++;
        continue;
      }
      const cells = l.split(';');
      const labels = header.map((h, i) => (labelCols.has(h) ? cells[i] : '')).join('|');
      header.forEach((h) => {
        if (labelCols.has(h) || skip.has(h)) return;
        ids.add(`${section}:${h}:${labels}`);
        points++;
      });
    }
    return { series: ids.size, points };
  }
  if (name === 'influxdb-1.6-cpu0-epoch-ns.csv') {
    const rows = lines.slice(1).map((l) => l.split(','));
    // name,time,host,instance,type,type_instance,value: one series per tag combination.
    const ids = new Set(rows.map((r) => [r[0], r[2], r[3], r[4], r[5]].join('|')));
    return { series: ids.size, points: rows.length };
  }
  if (name === 'influxdb-1.6-load-rfc3339.csv') {
    const rows = lines.slice(1);
    // longterm, midterm, shortterm are fields; name/host/type identify the series.
    return { series: 3, points: rows.length * 3 };
  }
  // NAB: `timestamp,value`, one series, one point per data row (duplicates kept).
  return { series: 1, points: lines.length - 1 };
}

describe('every shared fixture imports with independently counted series and points', () => {
  const fixtures = listFixtures();
  it('finds the fixtures (7 metric files, 18 NAB CSVs)', () => {
    expect(
      fixtures.filter((f) => !f.name.startsWith('art_') && !f.file.includes('nab'))
    ).toHaveLength(7);
    expect(fixtures.filter((f) => f.file.includes('nab'))).toHaveLength(18);
  });
  it.each(fixtures.map((f) => [f.name, f.file]))('%s', async (name, file) => {
    const bytes = readBytes(file);
    const expected = expectedCounts(name, readFileSync(file, 'utf8'));
    const got = await parseMetricFile(name, bytes, { defaultTimestamp: MTIME });
    expect(got.errors).toEqual([]);
    expect(got.series).toHaveLength(expected.series);
    expect(got.points).toBe(expected.points);
  });
});

describe('fixture details', () => {
  const byName = new Map(listFixtures().map((f) => [f.name, f.file]));
  const load = (name: string) =>
    collect(readBytes(byName.get(name) as string), { fileName: name, defaultTimestamp: MTIME });

  it('node_exporter: formats, kinds, units, categories, default timestamp', () => {
    const c = load('node-exporter-1.5.0-scrape-1.prom');
    expect(c.format).toBe('prometheus');
    const cpu = [...c.series.values()].find((s) => s.series.name === 'node_cpu_seconds_total');
    expect(cpu?.series).toMatchObject({ kind: 'counter', unit: 's', category: 'system' });
    expect(cpu?.t[0]).toBe(MTIME);
    const net = [...c.series.values()].find((s) =>
      s.series.name.startsWith('node_network_receive_bytes')
    );
    expect(net?.series).toMatchObject({ category: 'network', unit: 'B' });
    const sum = [...c.series.values()].find(
      (s) => s.series.name === 'go_gc_duration_seconds_count'
    );
    expect(sum?.series.kind).toBe('counter');
  });

  it('prometheus self-scrape: histogram buckets keep le and are histogram_bucket', () => {
    const c = load('prometheus-2.42-self.prom');
    const buckets = [...c.series.values()].filter((s) => s.series.name.endsWith('_bucket'));
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) {
      expect(b.series.kind).toBe('histogram_bucket');
      expect(b.series.labels.le).toBeDefined();
    }
    expect(buckets.some((b) => b.series.labels.le === '+Inf')).toBe(true);
  });

  it('collectd line protocol: ms precision detected, measurement_field names', () => {
    const c = load('collectd-5.12-influx-line-protocol.lp');
    const s = c.series.get('load_shortterm{host="sample-host",type="load"}');
    expect(s?.t[0]).toBe(1795357557310);
    expect(s?.v[0]).toBe(1.185059);
  });

  it('InfluxDB CSV: epoch ns exactly to ms; RFC 3339 with 2-digit fractions', () => {
    const ns = load('influxdb-1.6-cpu0-epoch-ns.csv');
    const idle = ns.series.get(
      'cpu{host="sample-host",instance="0",type="cpu",type_instance="idle"}'
    );
    expect(idle?.t[0]).toBe(1795357559304);
    expect(idle?.v[0]).toBe(43.901167);
    const rfc = load('influxdb-1.6-load-rfc3339.csv');
    const lt = rfc.series.get('load_longterm{host="sample-host",type="load"}');
    expect(lt?.t.slice(0, 2)).toEqual([
      Date.UTC(2026, 10, 22, 14, 25, 57, 310),
      Date.UTC(2026, 10, 22, 14, 25, 58, 301)
    ]);
  });

  it('sysstat: commented headers, several record types, text columns as labels', () => {
    const c = load('sysstat-12.6-sadf-d.csv');
    const usr = c.series.get('%usr{CPU="-1",hostname="vm"}');
    expect(usr?.t[0]).toBe(Date.UTC(2026, 10, 22, 14, 24, 40));
    expect(usr?.v).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(c.series.get('rxpck/s{IFACE="eth0",hostname="vm"}')?.t).toHaveLength(5);
    expect(c.series.has('tps{DEV="vda",hostname="vm"}')).toBe(true);
    expect(c.series.has('tps{hostname="vm"}')).toBe(true);
  });

  it('NAB: zone-less times read as UTC by default, duplicate and backward timestamps kept', () => {
    const names = [...byName.keys()].filter((n) => byName.get(n)?.includes('nab'));
    let duplicates = 0;
    let backwards = 0;
    for (const name of names) {
      const text = readFileSync(byName.get(name) as string, 'utf8')
        .trim()
        .split('\n')
        .slice(1);
      const c = load(name);
      const s = [...c.series.values()][0];
      expect(s.t).toHaveLength(text.length);
      const first = text[0].split(',')[0];
      expect(s.t[0]).toBe(Date.parse(first.replace(' ', 'T') + 'Z'));
      for (let i = 1; i < s.t.length; i++) {
        if (s.t[i] === s.t[i - 1]) duplicates++;
        if (s.t[i] < s.t[i - 1]) backwards++;
      }
    }
    expect(duplicates).toBeGreaterThan(0);
    expect(backwards).toBeGreaterThan(0);
  });

  it.each([
    'node-exporter-1.5.0-scrape-2.prom',
    'collectd-5.12-influx-line-protocol.lp',
    'sysstat-12.6-sadf-d.csv',
    'influxdb-1.6-cpu0-epoch-ns.csv',
    'nyc_taxi.csv'
  ])('chunk-boundary independence: %s in 1-byte, 7-byte and whole chunks', (name) => {
    const bytes = readBytes(byName.get(name) as string);
    const whole = canonical(collect(bytes, { fileName: name, defaultTimestamp: MTIME }));
    expect(
      canonical(collect(bytes, { fileName: name, defaultTimestamp: MTIME, chunk: 7 }))
    ).toEqual(whole);
    expect(
      canonical(collect(bytes, { fileName: name, defaultTimestamp: MTIME, chunk: 1 }))
    ).toEqual(whole);
  });
});
