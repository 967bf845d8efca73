/**
 * Loads the labelled NAB subset (data/*.csv + labels/windows.json) for the bench.
 * Timestamps carry no zone and are parsed as UTC; rows keep file order (NAB files have
 * duplicate and one backward timestamp) and windows map to the first row with the edge's time.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowWindow } from './scorer';

export interface NabFile {
  name: string;
  t: Float64Array;
  v: Float64Array;
  windows: RowWindow[];
}

const NAB_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;

/**
 * Parses "YYYY-MM-DD hh:mm:ss[.ffffff]" as UTC epoch ms; NaN when malformed.
 * O(1).
 * @example parseNabTime('2014-04-10 07:15:00.000000') // 1397114100000
 */
export function parseNabTime(text: string): number {
  const m = NAB_TIME.exec(text.trim());
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/**
 * Parses a NAB data CSV (header `timestamp,value`) into columns, in file order.
 * O(rows); an empty or header-only file gives empty arrays.
 * @example parseNabCsv('timestamp,value\n2014-01-01 00:00:00,1\n').v // Float64Array [1]
 */
export function parseNabCsv(text: string): { t: Float64Array; v: Float64Array } {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const rows = lines.slice(1);
  const t = new Float64Array(rows.length);
  const v = new Float64Array(rows.length);
  rows.forEach((line, i) => {
    const comma = line.indexOf(',');
    t[i] = parseNabTime(line.slice(0, comma));
    v[i] = Number(line.slice(comma + 1));
  });
  return { t, v };
}

/**
 * Maps window edge times to row ranges using the first row whose time equals each edge.
 * O(rows · windows); throws when an edge matches no row, since the score would be meaningless.
 * @example mapWindowsToRows({ t, windows: [['2014-04-10 07:15:00.000000', '2014-04-11 16:45:00.000000']] })
 */
export function mapWindowsToRows(options: {
  t: Float64Array;
  windows: readonly (readonly [string, string])[];
}): RowWindow[] {
  const { t, windows } = options;
  const firstRow = (ms: number): number => {
    const i = t.indexOf(ms);
    if (i < 0) throw new Error(`window edge ${new Date(ms).toISOString()} matches no row`);
    return i;
  };
  return windows.map(([a, b]) => [firstRow(parseNabTime(a)), firstRow(parseNabTime(b))] as const);
}

/**
 * Where the fixtures live: env TIDEMARK_FIXTURES (the nab folder or its parent), else
 * `<repoRoot>/../shared/fixtures/nab`. Returns undefined when neither exists.
 * @example resolveNabFolder('/work/wt/anomaly') // '/work/wt/shared/fixtures/nab' when present
 */
export function resolveNabFolder(repoRoot: string): string | undefined {
  const candidates: string[] = [];
  const env = process.env.TIDEMARK_FIXTURES;
  if (env) candidates.push(env, path.join(env, 'nab'));
  candidates.push(path.resolve(repoRoot, '..', 'shared', 'fixtures', 'nab'));
  return candidates.find((dir) => existsSync(path.join(dir, 'labels', 'windows.json')));
}

/**
 * Loads every file listed in labels/windows.json, in the JSON's order.
 * O(total rows · windows).
 * @example loadNabCorpus('/work/shared/fixtures/nab').length // 18
 */
export function loadNabCorpus(folder: string): NabFile[] {
  const windows = JSON.parse(
    readFileSync(path.join(folder, 'labels', 'windows.json'), 'utf8')
  ) as Record<string, [string, string][]>;
  return Object.entries(windows).map(([name, wins]) => {
    const { t, v } = parseNabCsv(readFileSync(path.join(folder, 'data', name), 'utf8'));
    return { name, t, v, windows: mapWindowsToRows({ t, windows: wins }) };
  });
}
