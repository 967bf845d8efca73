/**
 * Parse throughput of the streaming ingest parsers (Node, parse only; the lead measures
 * parse + store in the browser). Each input is ~100 MB, generated here, streamed in 1 MiB
 * chunks. Baseline, same run, same bytes: TextDecoder + split('\n') only — the floor any
 * line-based parser pays before looking at a line.
 *
 * Run: npx tsx bench/ingest.bench.ts   (INGEST_BENCH_MB=20 for a quicker pass)
 */
import { createStreamParser } from '../src/lib/ingest';
import type { IngestFormat } from '../src/lib/ingest';
import { emit, median } from './lib';

const MB = 1e6;
const CHUNK = 1024 * 1024;
const TARGET_BYTES = Number(process.env.INGEST_BENCH_MB ?? 100) * MB;
const RUNS = 1;
const BLOCK_BYTES = 1024 * 1024;
const T0 = 1_700_000_000_000;

/**
 * Generates ~1 MiB of distinct lines and tiles it up to the target size: generating 100 MB
 * line by line would cost more time than parsing it. Repeated blocks repeat timestamps,
 * which the parsers do not care about.
 */
function generate(header: string, line: (i: number) => string): Uint8Array {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < BLOCK_BYTES; i++) {
    const l = line(i);
    parts.push(l);
    size += l.length;
  }
  const head = new TextEncoder().encode(header);
  const block = new TextEncoder().encode(parts.join(''));
  const copies = Math.max(1, Math.ceil((TARGET_BYTES - head.length) / block.length));
  const out = new Uint8Array(head.length + copies * block.length);
  out.set(head);
  for (let k = 0; k < copies; k++) out.set(block, head.length + k * block.length);
  return out;
}

const modes = ['user', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
const inputs: { name: string; file: string; format: IngestFormat; bytes: () => Uint8Array }[] = [
  {
    name: 'ingest.prom_mb_per_s',
    file: 'bench.prom',
    format: 'prometheus',
    bytes: () =>
      generate(
        '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n',
        (i) => {
          const series = i % 64;
          const t = T0 + Math.floor(i / 64) * 15_000;
          return `node_cpu_seconds_total{cpu="${series >> 3}",mode="${modes[series & 7]}"} ${(i * 0.37).toFixed(2)} ${t}\n`;
        }
      )
  },
  {
    name: 'ingest.influx_mb_per_s',
    file: 'bench.lp',
    format: 'influx',
    bytes: () =>
      generate('', (i) => {
        const host = i % 16;
        const t = (T0 + Math.floor(i / 16) * 1000) * 1e6;
        return `cpu,host=host${host},region=eu usage_user=${(i % 997) / 10},usage_system=${(i % 131) / 10},procs=${i % 300}i ${t}\n`;
      })
  },
  {
    name: 'ingest.csv_mb_per_s',
    file: 'bench.csv',
    format: 'csv',
    bytes: () =>
      generate('time,host,cpu_pct,mem,load1,load5\n', (i) => {
        const host = i % 8;
        const t = T0 + Math.floor(i / 8) * 1000;
        return `${t},host${host},${(i % 1000) / 10},${(i * 7) % 65536},${(i % 400) / 100},${(i % 350) / 100}\n`;
      })
  },
  {
    name: 'ingest.csv_rfc3339_mb_per_s',
    file: 'bench-rfc3339.csv',
    format: 'csv',
    bytes: () =>
      generate('timestamp,host,cpu_pct,mem\n', (i) => {
        const t = new Date(T0 + Math.floor(i / 8) * 1000).toISOString();
        return `${t},host${i % 8},${(i % 1000) / 10},${(i * 7) % 65536}\n`;
      })
  }
];

function parseAll(bytes: Uint8Array, file: string, format: IngestFormat): number {
  const parser = createStreamParser({ fileName: file, format, defaultTimestamp: T0 });
  let points = 0;
  for (let o = 0; o < bytes.length; o += CHUNK) {
    const step = parser.push(bytes.subarray(o, o + CHUNK));
    for (const b of step.batches) points += b.t.length;
    if (step.errors.length > 0) throw new Error(`${file}: ${step.errors[0].message}`);
  }
  for (const b of parser.finish().batches) points += b.t.length;
  return points;
}

function splitOnly(bytes: Uint8Array): number {
  const decoder = new TextDecoder();
  let carry = '';
  let lines = 0;
  for (let o = 0; o < bytes.length; o += CHUNK) {
    const parts = (carry + decoder.decode(bytes.subarray(o, o + CHUNK), { stream: true })).split(
      '\n'
    );
    carry = parts.pop() ?? '';
    lines += parts.length;
  }
  return lines + (carry === '' ? 0 : 1);
}

function time(fn: () => number): { ms: number; result: number } {
  const times: number[] = [];
  let result = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

for (const input of inputs) {
  const bytes = input.bytes();
  const mb = bytes.length / MB;
  const parse = time(() => parseAll(bytes, input.file, input.format));
  const base = time(() => splitOnly(bytes));
  emit({
    name: input.name,
    value: mb / (parse.ms / 1000),
    unit: 'MB/s',
    baseline: mb / (base.ms / 1000),
    inputMB: mb,
    points: parse.result,
    lines: base.result
  });
}
