/**
 * The real engines the interop tests load Tidemark's output into: promtool (and prometheus,
 * for the agent's remote-write test) from Debian's package, DuckDB through its npm package.
 * A missing engine fails the test naming what to install, never skips it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export const promtool = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
export const prometheus = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

/** Runs promtool; throws when it is not installed. */
export function runPromtool(args: string[]): { status: number; stdout: string; stderr: string } {
  if (!existsSync(promtool))
    throw new Error(
      `promtool not found at ${promtool}: apt-get install prometheus (npm test does it), or set PROMTOOL_PATH`
    );
  const r = spawnSync(promtool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Samples and series in the TSDB blocks of `dir`, summed over `promtool tsdb list`'s
 * NUM SAMPLES and NUM SERIES columns (a series spanning two blocks counts twice; the tests'
 * inputs each fit one two-hour block).
 */
export function countBlocks(dir: string): { blocks: number; samples: number; series: number } {
  const r = runPromtool(['tsdb', 'list', dir]);
  if (r.status !== 0) throw new Error(`promtool tsdb list failed: ${r.stderr}`);
  const rows = r.stdout.trim().split('\n').slice(1);
  let samples = 0;
  let series = 0;
  for (const row of rows) {
    const cols = row.trim().split(/\s+/);
    // ULID MIN MAX DURATION SAMPLES CHUNKS SERIES SIZE
    samples += Number(cols[4]);
    series += Number(cols[6]);
  }
  return { blocks: rows.length, samples, series };
}

let instance: Promise<DuckDBInstance> | undefined;

/** One in-memory DuckDB per test file. */
export async function duckdb(): Promise<DuckDBConnection> {
  instance ??= DuckDBInstance.create(':memory:');
  return (await instance).connect();
}

/** Rows of a query as plain objects. */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const c = await duckdb();
  const r = await c.runAndReadAll(sql);
  return r.getRowObjects() as Record<string, unknown>[];
}

/** SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
