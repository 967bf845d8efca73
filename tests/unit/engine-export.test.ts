import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { decryptArchive } from '$lib/export/crypto';
import { PiiDefaults } from '$lib/export/privacy';
import { parseMetricFile } from '$lib/ingest';
import type { PointBatch, ResultEvent } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';
import { ExportDefaults, type ExportSpec } from '$lib/export/types';
import { collect } from './ingest-helpers';

const NOW = Date.UTC(2026, 10, 23, 12);
const T0 = NOW - 30 * 60_000;
let k = 0;
const names: string[] = [];
function engine() {
  const name = `export-test-${k++}`;
  names.push(name);
  return createEngineApi({ openDb: (cb) => openDatabase(cb, { name }), now: () => NOW });
}
const saved = { ...ExportDefaults };
beforeEach(() => {
  // Tiny slices, so every series is read and written in several pieces.
  ExportDefaults.slicePoints = 7;
  ExportDefaults.sliceBuckets = 4;
  // Events in pages of 5: PII pseudonyms and counts must agree across pages.
  ExportDefaults.eventPage = 5;
});
afterEach(async () => {
  Object.assign(ExportDefaults, saved);
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/** 20 points a series, a second apart, with NaN and ±Infinity sprinkled in. */
function points(seed: number): { t: Float64Array; v: Float64Array } {
  const t = Float64Array.from({ length: 20 }, (_, i) => T0 + i * 1000 + seed);
  const v = Float64Array.from({ length: 20 }, (_, i) =>
    i === 3 ? NaN : i === 5 ? Infinity : i === 7 ? -Infinity : seed * 100 + i * 1.25
  );
  return { t, v };
}

const batches: PointBatch[] = [
  {
    series: {
      name: 'cpu_usage',
      labels: { host: '=cmd|calc', core: '0' },
      unit: '%',
      kind: 'gauge',
      source: 'import',
      category: 'system'
    },
    ...points(1)
  },
  {
    series: {
      name: 'requests_total',
      labels: { path: '/a "b"' },
      unit: '',
      kind: 'counter',
      source: 'import',
      category: 'app'
    },
    ...points(2)
  },
  {
    series: {
      name: 'latency',
      labels: {},
      unit: 'ms',
      kind: 'gauge',
      source: 'import',
      category: 'app'
    },
    ...points(3)
  }
];

const events: ResultEvent[] = Array.from({ length: 12 }, (_, i) => ({
  t: T0 + i * 60_000,
  actionType: i % 2 ? 'build' : 'deploy',
  status: i % 3 ? 'ok' : 'error',
  durationMs: i === 4 ? NaN : 100 + i,
  triggerId: `trig-${i % 2}`,
  organisationId: 'org-1',
  errorMessage: i % 3 ? undefined : `failed for bob@example.com from 10.1.2.3`,
  context: { region: 'eu' }
})).map((e) => {
  if (e.errorMessage === undefined) delete e.errorMessage;
  return e;
});

async function loaded() {
  const api = engine();
  await api.init();
  await api.ingest(batches);
  await api.ingestEvents(events);
  const series = await api.listSeries();
  return { api, ids: series.map((s) => s.id) };
}

function spec(patch: Partial<ExportSpec>): ExportSpec {
  return {
    jobId: 'j',
    format: 'bundle-zip',
    from: T0 - 1000,
    to: NOW,
    seriesIds: [],
    resolution: 'raw',
    aggregates: [],
    events: 'raw',
    pii: { ids: 'keep', errorMessage: 'keep', context: 'keep' },
    k: 5,
    groupBy: ['actionType', 'status'],
    outliers: false,
    anomalies: false,
    insights: false,
    sparklines: true,
    ...patch
  };
}

const num = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
/** What was ingested, as comparable [key, t[], v[]] rows. */
function expectedPoints(only?: (b: PointBatch) => boolean) {
  return expectedPointsOf(batches.filter((b) => (only ? only(b) : true)));
}
function expectedPointsOf(list: PointBatch[]) {
  return list
    .map((b) => [
      b.series.name,
      Object.entries(b.series.labels).sort(),
      [...b.t].map(num),
      [...b.v].map(num)
    ])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}
function actualPoints(c: ReturnType<typeof collect>) {
  return [...c.series.values()]
    .map((s) => [s.series.name, Object.entries(s.series.labels).sort(), s.t.map(num), s.v.map(num)])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}
const eventKey = (e: ResultEvent) =>
  JSON.stringify(
    Object.entries({ ...e, durationMs: num(e.durationMs) }).sort(([a], [b]) => (a < b ? -1 : 1))
  );

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

describe('export → import round-trips exactly (engine, sliced reads)', () => {
  it.each([
    ['bundle-zip', true],
    ['bundle-ndjson', true],
    ['ndjson', false],
    ['csv-long', false],
    ['openmetrics', false]
  ] as const)('%s', async (format, carriesEvents) => {
    const { api, ids } = await loaded();
    const out = await api.runExport(spec({ format, seriesIds: ids }));
    const main = out.files[0];
    const bytes = await bytesOf(main.blob);
    const c = collect(bytes, { fileName: main.name, chunk: 53 });
    expect(c.errors).toEqual([]);
    // OpenMetrics cannot carry a counter that is NaN or negative: those samples are left
    // out and the export says how many; every other point comes back exactly.
    const valid = (b: PointBatch): PointBatch => {
      if (format !== 'openmetrics' || b.series.kind !== 'counter') return b;
      const keep = [...b.v.keys()].filter((i) => b.v[i] >= 0);
      return {
        ...b,
        t: Float64Array.from(keep, (i) => b.t[i]),
        v: Float64Array.from(keep, (i) => b.v[i])
      };
    };
    const left = batches.map(valid);
    const dropped = 60 - left.reduce((n, b) => n + b.t.length, 0);
    expect(format !== 'openmetrics' || dropped > 0).toBe(true);
    expect(actualPoints(c)).toEqual(expectedPointsOf(left));
    expect(out.points).toBe(60);
    expect(main.rows).toBe(60 - dropped + (carriesEvents ? events.length : 0));
    expect(main.bytes).toBe(bytes.length);
    if (dropped > 0)
      expect(out.notes.join(' ')).toContain(`${dropped} counter samples were left out`);
    // parseMetricFile sees the same series and counts.
    const summary = await parseMetricFile(main.name, bytes);
    expect(summary.points).toBe(60 - dropped);
    expect(summary.series.map((s) => s.points)).toEqual(left.map((b) => b.t.length));
    let evFile = bytes;
    let evName = main.name;
    if (!carriesEvents) {
      const f = out.files.find((x) => /events\.(ndjson|csv)$/.test(x.name))!;
      expect(f.rows).toBe(events.length);
      evFile = await bytesOf(f.blob);
      evName = f.name;
    }
    if (!evName.endsWith('.csv')) {
      const ce = collect(evFile, { fileName: evName, chunk: 53 });
      expect(ce.events.map(eventKey).sort()).toEqual(events.map(eventKey).sort());
    } else {
      const lines = strFromU8(evFile).trim().split('\r\n');
      expect(lines.length).toBe(events.length + 1);
    }
  });

  it('exports only the chosen series and time range', async () => {
    const { api } = await loaded();
    const series = await api.listSeries();
    const cpu = series.find((s) => s.name === 'cpu_usage')!;
    const from = T0 + 1 + 5000;
    const to = T0 + 1 + 9000;
    const out = await api.runExport(
      spec({ format: 'ndjson', seriesIds: [cpu.id], from, to, events: 'none' })
    );
    expect(out.files).toHaveLength(1);
    const c = collect(await bytesOf(out.files[0].blob), { fileName: 'x.ndjson' });
    const want = batches[0].t.filter((t) => t >= from && t <= to).length;
    expect(want).toBe(5);
    expect([...c.series.values()].map((s) => s.t.length)).toEqual([want]);
  });

  it('zip bundle carries a manifest with the counts and the bundle reader accepts it', async () => {
    const { api, ids } = await loaded();
    const out = await api.runExport(spec({ format: 'bundle-zip', seriesIds: ids }));
    const files = unzipSync(await bytesOf(out.files[0].blob));
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    expect(manifest).toMatchObject({
      format: 'tidemark-bundle',
      version: 1,
      seriesCount: 3,
      pointCount: 60,
      eventCount: 12
    });
    expect(out.files[0].head[0]).toMatch(/^\{"series":/);
  });

  it('wide CSV at a rollup tier has one row per bucket and one column per series', async () => {
    const { api, ids } = await loaded();
    await api.rollupPass();
    const out = await api.runExport(
      spec({
        format: 'csv-wide',
        seriesIds: ids,
        resolution: '10s',
        aggregates: ['max'],
        events: 'raw'
      })
    );
    const lines = strFromU8(await bytesOf(out.files[0].blob))
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      [
        'timestamp',
        '"cpu_usage{core=""0"",host=""=cmd|calc""}:max"',
        '"requests_total{path=""/a \\""b\\""""}:max"',
        'latency:max'
      ].join(',')
    );
    // Independently: distinct 10 s bucket starts over every series' points.
    const buckets = new Set(
      batches.flatMap((b) => [...b.t].map((t) => Math.floor(t / 10_000) * 10_000))
    );
    expect(lines.length - 1).toBe(buckets.size);
    const q = await api.query({
      seriesId: ids[0],
      from: T0 - 1000,
      to: NOW,
      maxPoints: 1e6,
      aggregates: ['max'],
      tier: '10s'
    });
    const col = lines
      .slice(1)
      .map((l) => l.split(',')[1])
      .filter((c) => c !== '');
    expect(col).toEqual(
      [...q.columns.max!].map((x) =>
        Number.isNaN(x) ? 'NaN' : x === Infinity ? '+Inf' : x === -Infinity ? '-Inf' : String(x)
      )
    );
    // Raw events travel beside the wide CSV in their own file.
    const ev = out.files.find((f) => f.name.endsWith('-events.csv'))!;
    expect(ev.rows).toBe(events.length);
    expect(
      strFromU8(await bytesOf(ev.blob))
        .trim()
        .split('\r\n')
    ).toHaveLength(events.length + 1);
  });

  it('refuses a wide CSV of raw points with a clear message', async () => {
    const { api, ids } = await loaded();
    await expect(api.runExport(spec({ format: 'csv-wide', seriesIds: ids }))).rejects.toThrow(
      /rollup tier/
    );
  });

  it('strips PII from events and lists what it removed', async () => {
    const { api } = await loaded();
    const out = await api.runExport(
      spec({ format: 'bundle-ndjson', seriesIds: [], pii: PiiDefaults })
    );
    const c = collect(await bytesOf(out.files[0].blob), { fileName: out.files[0].name });
    expect(c.events).toHaveLength(12);
    for (const e of c.events) {
      expect(e.triggerId).toMatch(/^anon-[0-9a-f]{16}$/);
      expect(e.context).toBeUndefined();
      if (e.errorMessage !== undefined) expect(e.errorMessage).toBe('failed for [email] from [ip]');
    }
    expect(new Set(c.events.map((e) => e.triggerId)).size).toBe(2);
    const byField = Object.fromEntries(out.removed.map((r) => [`${r.field}:${r.action}`, r.count]));
    expect(byField).toEqual({
      'triggerId:hashed': 12,
      'organisationId:hashed': 12,
      'errorMessage:redacted': 4,
      'context:dropped': 12
    });
  });

  it('grouped events suppress groups smaller than k', async () => {
    const { api } = await loaded();
    const out = await api.runExport(
      spec({
        format: 'csv-long',
        seriesIds: [],
        events: 'grouped',
        k: 3,
        groupBy: ['actionType', 'status']
      })
    );
    const f = out.files.find((x) => x.name.endsWith('events-grouped.csv'))!;
    const rows = strFromU8(await bytesOf(f.blob))
      .trim()
      .split('\r\n');
    // i = 0..11: deploy = even, build = odd; error when i % 3 === 0.
    // deploy/error: 0,6 (2) · deploy/ok: 2,4,8,10 (4) · build/error: 3,9 (2) · build/ok: 1,5,7,11 (4)
    expect(rows).toEqual([
      'actionType,status,count,failures,meanDurationMs',
      'build,ok,4,0,' + String((101 + 105 + 107 + 111) / 4),
      'deploy,ok,4,0,' + String((102 + 108 + 110) / 3)
    ]);
    expect(out.removed).toContainEqual(
      expect.objectContaining({ field: 'event groups', action: 'suppressed', count: 2 })
    );
  });

  it('outlier suppression leaves out values beyond the far-out fences', async () => {
    const api = engine();
    await api.init();
    const v = Float64Array.from({ length: 40 }, (_, i) => (i === 17 ? 1e6 : 10 + (i % 5)));
    const t = Float64Array.from({ length: 40 }, (_, i) => T0 + i * 1000);
    await api.ingest([
      {
        series: {
          name: 'g',
          labels: {},
          unit: '',
          kind: 'gauge',
          source: 'import',
          category: 'app'
        },
        t,
        v
      }
    ]);
    const ids = (await api.listSeries()).map((s) => s.id);
    const out = await api.runExport(
      spec({ format: 'ndjson', seriesIds: ids, outliers: true, events: 'none' })
    );
    const c = collect(await bytesOf(out.files[0].blob), { fileName: 'x.ndjson' });
    const got = [...c.series.values()][0];
    expect(got.v).toHaveLength(39);
    expect(got.v).not.toContain(1e6);
    expect(out.removed).toContainEqual(
      expect.objectContaining({ field: 'values', action: 'suppressed', count: 1 })
    );
  });

  it('report is self-contained HTML with escaped labels and exact figures', async () => {
    const api = engine();
    await api.init();
    const t = Float64Array.from({ length: 10 }, (_, i) => T0 + i * 1000);
    const v = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    await api.ingest([
      {
        series: {
          name: 'x',
          labels: { h: '<img src=x onerror=alert(1)>' },
          unit: 'ms',
          kind: 'gauge',
          source: 'import',
          category: 'app'
        },
        t,
        v
      }
    ]);
    const ids = (await api.listSeries()).map((s) => s.id);
    const out = await api.runExport(
      spec({ format: 'report-html', seriesIds: ids, events: 'none' })
    );
    const html = strFromU8(await bytesOf(out.files[0].blob));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<script|src="http|href="http/);
    // min 1, avg 5.5, max 10 over 10 values.
    expect(html).toContain(
      '<td class="num">10</td><td class="num">1</td><td class="num">5.5</td><td class="num">10</td>'
    );
    expect(html).toContain('<svg class="spark"');
  });

  it('diagnostic bundle redacts secrets and carries no values', async () => {
    const { api } = await loaded();
    const out = await api.runExport(
      spec({
        format: 'diagnostic',
        diagnostic: {
          appVersion: '1',
          userAgent: 'test',
          timeZone: 'UTC',
          settings: { agentToken: 'sekrit', theme: 'dark' },
          storage: { usage: 1, quota: 2, persisted: false },
          errors: []
        }
      })
    );
    const text = strFromU8(await bytesOf(out.files[0].blob));
    const d = JSON.parse(text);
    expect(d.settings).toEqual({ agentToken: '[redacted]', theme: 'dark' });
    expect(d.series).toHaveLength(3);
    expect(d.series.map((s: { points: number }) => s.points)).toEqual([20, 20, 20]);
    expect(text).not.toContain('sekrit');
    expect(text).not.toContain('101.25');
  });

  it('an encrypted export decrypts to the same bundle', async () => {
    const { api, ids } = await loaded();
    const out = await api.runExport(
      spec({ format: 'bundle-zip', seriesIds: ids, password: 'pw correct', iterations: 100_000 })
    );
    const f = out.files[0];
    expect(f.name.endsWith('.zip.tmenc')).toBe(true);
    expect(f.encrypted).toBe(true);
    const plain = await bytesOf(await decryptArchive(f.blob, 'pw correct'));
    const c = collect(plain, { fileName: 'b.zip' });
    expect(actualPoints(c)).toEqual(expectedPoints());
  });

  it('cancels between slices', async () => {
    const { api, ids } = await loaded();
    let calls = 0;
    const run = api.runExport(spec({ format: 'csv-long', seriesIds: ids, jobId: 'c' }), () => {
      if (++calls === 1) api.cancelExport('c');
    });
    await expect(run).rejects.toThrow(/cancelled/);
  });
});
