/**
 * The converter's output loaded by the engines it is meant for, with their own tools and
 * default read functions: every shared metrics fixture and an OTLP file with histograms,
 * an exponential histogram, a summary and delta sums.
 * - OpenMetrics → `promtool tsdb create-blocks-from openmetrics` exits 0 and the blocks hold
 *   exactly the samples and series read; Tidemark's strict OpenMetrics reader finds nothing.
 * - Parquet, NDJSON, CSV → DuckDB's `read_parquet`/`read_json_auto`/`read_csv_auto` with
 *   defaults: the same rows (name, labels, time to the microsecond, value) and series, each
 *   column of the type it should be.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertMetrics, readMetricBatches, type ConvertFormat } from '../../src/lib/convert';
import { parseMetricFile } from '../../src/lib/ingest';
import { fixturesDir } from '../unit/ingest-helpers';
import { countBlocks, query, runPromtool, sqlString } from './engines';

const repo = path.resolve(new URL('../..', import.meta.url).pathname);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tidemark-interop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Samples of Prometheus text without timestamps get this time. */
const TIME = 1_765_100_000_000;
const inputs = [
  ...readdirSync(path.join(fixturesDir(), 'metrics')).map((f) =>
    path.join(fixturesDir(), 'metrics', f)
  ),
  path.join(repo, 'tests', 'fixtures', 'otlp', 'otel-histograms-delta.otlp.json')
];

async function convert(input: string, to: ConvertFormat, ext: string) {
  const r = await convertMetrics({
    name: path.basename(input),
    bytes: readFileSync(input),
    to,
    defaultTimestamp: TIME
  });
  const file = path.join(tmp, `${path.basename(input)}${ext}`);
  writeFileSync(file, r.bytes);
  return { ...r, file };
}

/** A row as compared: name, labels without empty values (sorted), µs, value text. */
function rowKey(name: string, labels: Record<string, string>, us: bigint | number, v: number) {
  const l = Object.entries(labels)
    .filter(([, x]) => x !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([name, l, String(us), Object.is(v, -0) ? '-0' : String(v)]);
}

/** The rows Tidemark read from the input, in the same form. */
async function expectedRows(input: string): Promise<string[]> {
  const { batches } = await readMetricBatches({
    name: path.basename(input),
    bytes: readFileSync(input),
    defaultTimestamp: TIME
  });
  return batches
    .flatMap((b) =>
      Array.from(b.t, (t, i) =>
        rowKey(b.series.name, b.series.labels, BigInt(Math.round(t * 1000)), b.v[i])
      )
    )
    .sort();
}

describe.each(inputs.map((f) => [path.basename(f), f]))('%s', (_name, input) => {
  it('OpenMetrics → promtool tsdb create-blocks-from openmetrics: exit 0, every sample and series', async () => {
    const r = await convert(input, 'openmetrics', '.om');
    expect(r.read.errors).toEqual([]);
    expect(r.written.skipped).toBe(0);
    const blocks = path.join(tmp, `${path.basename(input)}-blocks`);
    const created = runPromtool(['tsdb', 'create-blocks-from', 'openmetrics', r.file, blocks]);
    expect(created.stderr + created.stdout).not.toMatch(/error/i);
    expect(created.status).toBe(0);
    const counted = countBlocks(blocks);
    expect(counted.samples).toBe(r.read.samples);
    expect(counted.series).toBe(r.read.series);
    // The strict reader (every OpenMetrics rule it knows) accepts the same text.
    const strict = await parseMetricFile('out.om', r.bytes, { format: 'openmetrics' });
    expect(strict.errors).toEqual([]);
    expect(strict.points).toBe(r.read.samples);
  });

  it.each([
    [
      'parquet',
      '.parquet',
      'read_parquet',
      'to_json(labels)',
      /^TIMESTAMP WITH TIME ZONE$/,
      /^MAP\(VARCHAR, VARCHAR\)$/
    ],
    [
      'ndjson',
      '.ndjson',
      'read_json_auto',
      'to_json(labels)',
      /^TIMESTAMP/,
      /^(STRUCT\((\S+ VARCHAR(, )?)*\)|JSON|MAP\(VARCHAR, VARCHAR\))$/
    ],
    ['csv', '.csv', 'read_csv_auto', 'labels', /^TIMESTAMP/, /^VARCHAR$/]
  ] as const)(
    '%s → DuckDB %s with defaults: the same rows and series, typed',
    async (to, ext, fn, labelsSql, timeType, labelsType) => {
      const r = await convert(input, to, ext);
      const from = `${fn}(${sqlString(r.file)})`;
      const types = Object.fromEntries(
        (await query(`DESCRIBE SELECT * FROM ${from}`)).map((c) => [c.column_name, c.column_type])
      );
      expect(types.time).toMatch(timeType);
      expect(types.name).toBe('VARCHAR');
      expect(types.labels).toMatch(labelsType);
      expect(types.value).toBe('DOUBLE');
      const rows = await query(
        `SELECT name, ${labelsSql} AS labels, epoch_us(time) AS us, value FROM ${from}`
      );
      const got = rows
        .map((x) =>
          rowKey(
            x.name as string,
            JSON.parse(x.labels as string) as Record<string, string>,
            x.us as bigint,
            x.value as number
          )
        )
        .sort();
      expect(got).toEqual(await expectedRows(input));
      const [{ series }] = await query(
        `SELECT count(DISTINCT (name, ${labelsSql})) AS series FROM ${from}`
      );
      expect(Number(series)).toBe(r.read.series);
      // And Tidemark's own Import reads the file back whole.
      const back = await parseMetricFile(r.file, r.bytes);
      expect(back.errors).toEqual([]);
      expect([back.series.length, back.points]).toEqual([r.read.series, r.read.samples]);
    }
  );
});

describe('npm run convert', () => {
  const tsx = path.join(repo, 'node_modules', '.bin', 'tsx');
  /** Runs the script (each run starts tsx, seconds on a busy machine: they run together). */
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(tsx, [path.join(repo, 'scripts', 'convert.ts'), ...args], { cwd: repo });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (c) => (stdout += c));
      p.stderr.on('data', (c) => (stderr += c));
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('prints what it read and wrote and exits 0; bad usage and failures exit non-zero, saying why', async () => {
    const out = path.join(tmp, 'cli.om');
    const input = inputs.find((f) => f.endsWith('prometheus-2.42-self.prom'))!;
    const broken = path.join(tmp, 'broken.prom');
    writeFileSync(broken, 'this is not { a metric\n');
    const failures: [string[], number, RegExp][] = [
      [['in.prom', 'out.xlsx'], 2, /cannot tell the output format of out\.xlsx/],
      [['only-one.prom'], 2, /expected INPUT and OUTPUT/],
      [['missing.prom', 'out.om'], 1, /cannot read missing\.prom/],
      [['package.json', 'out.om', '--time', 'soon'], 2, /--time needs epoch milliseconds/],
      [[broken, path.join(tmp, 'broken.om')], 1, /no samples read/]
    ];
    const [ok, ...failed] = await Promise.all([
      run(input, out, '--time', String(TIME)),
      ...failures.map(([args]) => run(...args))
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^read .*\(prometheus\): 274 series, 274 samples, 0 problems$/m);
    expect(ok.stdout).toMatch(
      /^wrote .*cli\.om \(openmetrics\): 274 series, 274 samples, \d+ bytes$/m
    );
    expect(readFileSync(out, 'utf8')).toMatch(/ 1765100000\n# EOF\n$/);
    failed.forEach((r, i) => {
      const [args, status, message] = failures[i];
      expect(r.status, args.join(' ')).toBe(status);
      expect(r.stderr, args.join(' ')).toMatch(message);
    });
  });
});
