/**
 * The import bench's file generator, shared by bench/import.bench.ts (which runs it in the
 * page) and bench/ingest-parse.bench.ts (which runs it in Node), so both measure the very
 * same bytes. Kept as source text because the page gets it through Playwright's evaluate.
 *
 * Rows step 1 ms per row group and end near `end`, so the raw points are inside the raw
 * retention (1 h) and are stored, not cleaned away mid-run.
 */
export const GENERATOR = `(kind, row, chars, end, totalRows) => {
  const modes = ['user', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
  let s = '';
  if (row === 0) s += kind === 'csv' ? 'time,host,cpu_pct,mem,load1,load5\\n' : '# TYPE node_cpu_seconds_total counter\\n';
  while (s.length < chars) {
    if (kind === 'csv') {
      const t = end - Math.floor((totalRows - row) / 8);
      s += t + ',host' + (row % 8) + ',' + (row % 1000) / 10 + ',' + ((row * 7) % 65536) + ',' + (row % 400) / 100 + ',' + (row % 350) / 100 + '\\n';
    } else {
      const series = row % 64;
      const t = end - Math.floor((totalRows - row) / 64);
      s += 'node_cpu_seconds_total{cpu="' + (series >> 3) + '",mode="' + modes[series & 7] + '"} ' + (row * 0.37).toFixed(2) + ' ' + t + '\\n';
    }
    row++;
  }
  return { text: s, row };
}`;

export type GenerateFn = (
  kind: string,
  row: number,
  chars: number,
  end: number,
  totalRows: number
) => { text: string; row: number };

/** Bytes per row, to spread the rows' timestamps over the last hour. */
export const ROW_BYTES: Record<'csv' | 'prom', number> = { csv: 40, prom: 72 };

/**
 * Generates `mb` MB of the bench file in Node as UTF-8 chunks of about `chunkChars`.
 */
export function generateBenchChunks(options: {
  kind: 'csv' | 'prom';
  mb: number;
  end: number;
  chunkChars: number;
}): Uint8Array[] {
  const { kind, mb, end, chunkChars } = options;
  const gen = new Function(`return ${GENERATOR}`)() as GenerateFn;
  const totalRows = Math.ceil((mb * 1e6) / ROW_BYTES[kind]);
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let row = 0;
  while (size < mb * 1e6) {
    const r = gen(kind, row, chunkChars, end, totalRows);
    row = r.row;
    const b = enc.encode(r.text);
    chunks.push(b);
    size += b.length;
  }
  return chunks;
}
