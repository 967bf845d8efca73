import { describe, expect, it } from 'vitest';
import type { SeriesRecord } from '../../types';
import { createPointWriter } from '../stream';
import { listOutputs } from '../slices';
import { ExportFormats, type ExportSpec } from '../types';
import { parseMetricFile } from '../../ingest';
import { ExportWriters } from './index';
import type { ExportStart } from './writer';

const spec = (patch: Partial<ExportSpec>): ExportSpec => ({
  jobId: 'j',
  format: 'csv-long',
  from: 0,
  to: 10_000,
  seriesIds: [1],
  resolution: 'raw',
  aggregates: [],
  events: 'none',
  pii: { ids: 'keep', errorMessage: 'keep', context: 'keep' },
  k: 5,
  groupBy: [],
  outliers: false,
  anomalies: false,
  insights: false,
  sparklines: false,
  ...patch
});

const record: SeriesRecord = {
  id: 1,
  key: 'cpu',
  name: 'cpu',
  labels: { host: 'a' },
  unit: '%',
  kind: 'gauge',
  source: 'import',
  category: 'system',
  firstT: 0,
  lastT: 2000,
  points: 3
};

function start(s: ExportSpec): ExportStart {
  return {
    spec: s,
    prefix: 'tidemark-x',
    createdAt: 0,
    records: [record],
    outputs: listOutputs([record], s),
    groups: null,
    anomalies: [],
    insights: [],
    inventory: { series: [record], counts: { series: 1 }, timeZone: 'UTC', errors: [] }
  };
}

describe('ExportWriters', () => {
  it('has exactly one writer for every export format', () => {
    expect(Object.keys(ExportWriters).sort()).toEqual([...ExportFormats].sort());
    for (const format of ExportFormats) {
      expect(typeof ExportWriters[format].begin, format).toBe('function');
      expect(['series', 'time-slices', 'inventory']).toContain(ExportWriters[format].reads);
    }
  });

  it.each(ExportFormats.filter((f) => f !== 'csv-wide'))(
    '%s writes a named, typed main file from slices without touching a store',
    async (format) => {
      const s = spec({ format });
      const st = start(s);
      const session = ExportWriters[format].begin(st);
      session.series(st.outputs[0], {
        t: Float64Array.of(0, 1000, 2000),
        v: Float64Array.of(1, 2, 3)
      });
      const out = session.finish({ points: 3, events: 0, removed: [], outliersRemoved: 0 });
      expect(out.files[0].name.startsWith('tidemark-x-')).toBe(true);
      expect((await out.files[0].finish().arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  );

  it('the long CSV writer gives the streaming writer’s text for the same slices', async () => {
    const s = spec({});
    const st = start(s);
    const session = ExportWriters['csv-long'].begin(st);
    const slices = [
      { t: Float64Array.of(0, 1000), v: Float64Array.of(1, NaN) },
      { t: Float64Array.of(2000), v: Float64Array.of(Infinity) }
    ];
    for (const c of slices) session.series(st.outputs[0], c);
    const [file] = session.finish({ points: 3, events: 0, removed: [], outliersRemoved: 0 }).files;
    const w = createPointWriter('csv-long', { series: [st.outputs[0].descriptor] });
    const want =
      w.begin() +
      slices.map((c) => w.write({ series: st.outputs[0].descriptor, ...c })).join('') +
      w.end();
    expect(await file.finish().text()).toBe(want);
    expect(file.rows).toBe(3);
  });

  it('the wide CSV refuses raw points and writes one row per bucket time', async () => {
    expect(() => ExportWriters['csv-wide'].check?.(spec({ format: 'csv-wide' }))).toThrow(
      /rollup tier/
    );
    const s = spec({ format: 'csv-wide', resolution: '1m', aggregates: ['max', 'avg'] });
    const st = start(s);
    const session = ExportWriters['csv-wide'].begin(st);
    for (const o of st.outputs)
      session.series(o, { t: Float64Array.of(0, 60_000), v: Float64Array.of(1, 2) });
    session.endSlice?.(60_000);
    const out = session.finish({ points: 4, events: 0, removed: [], outliersRemoved: 0 });
    const lines = (await out.files[0].finish().text()).trim().split('\r\n');
    expect(lines[0]).toContain(':max');
    expect(lines).toHaveLength(3);
    expect(out.series).toBe(1);
  });

  it.each(['csv-duckdb', 'ndjson', 'parquet', 'openmetrics', 'otlp-json'] as const)(
    '%s: what the page exports, Import reads back point for point',
    async (format) => {
      const st = start(spec({ format }));
      const session = ExportWriters[format].begin(st);
      session.series(st.outputs[0], { t: Float64Array.of(0, 1000), v: Float64Array.of(1, 2.5) });
      session.series(st.outputs[0], { t: Float64Array.of(2000), v: Float64Array.of(-3) });
      const out = session.finish({ points: 3, events: 0, removed: [], outliersRemoved: 0 });
      expect(out.series).toBe(1);
      const bytes = new Uint8Array(await out.files[0].finish().arrayBuffer());
      const back = await parseMetricFile(out.files[0].name, bytes, { defaultTimestamp: 0 });
      expect(back.errors).toEqual([]);
      expect(back.series).toEqual([{ name: 'cpu', labels: { host: 'a' }, points: 3 }]);
    }
  );
});
