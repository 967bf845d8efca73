// `npm run convert -- INPUT OUTPUT [--time MS]`: converts a metrics file for scripts and cron,
// with the app's own parsers and writers (src/lib/convert), in Node, no browser. INPUT is any
// format Import reads; OUTPUT's extension picks the format: .om/.prom OpenMetrics, .csv long
// CSV (labels as JSON), .ndjson, .parquet, .otlp.json. Samples without a timestamp get
// --time (epoch ms), else the input file's modification time. Prints what it read and wrote;
// exits 1 with a message on failure, 2 on bad usage.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { ConvertExtensions, convertFormatOf, convertMetrics } from '../src/lib/convert';

const usage = `usage: npm run convert -- INPUT OUTPUT [--time MS]
  OUTPUT format by extension: ${ConvertExtensions.map(([e]) => e).join(' ')}`;

function fail(message: string, code = 1): never {
  console.error(`convert: ${message}`);
  process.exit(code);
}

const args = process.argv.slice(2);
let time: number | undefined;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--time') {
    const v = Number(args[++i]);
    if (!Number.isFinite(v))
      fail(`--time needs epoch milliseconds, got ${args[i] ?? 'nothing'}\n${usage}`, 2);
    time = v;
  } else if (a === '-h' || a === '--help') {
    console.log(usage);
    process.exit(0);
  } else if (a.startsWith('--')) fail(`unknown option ${a}\n${usage}`, 2);
  else files.push(a);
}
if (files.length !== 2) fail(`expected INPUT and OUTPUT\n${usage}`, 2);
const [input, output] = files;
const to = convertFormatOf(output);
if (to === undefined) fail(`cannot tell the output format of ${output}\n${usage}`, 2);

let bytes: Uint8Array;
let mtime: number;
try {
  bytes = readFileSync(input);
  mtime = statSync(input).mtimeMs;
} catch (e) {
  fail(`cannot read ${input}: ${e instanceof Error ? e.message : String(e)}`);
}

try {
  const r = await convertMetrics({
    name: input,
    bytes,
    to,
    defaultTimestamp: time ?? Math.round(mtime)
  });
  const { read, written } = r;
  const problems = read.errors.length + read.suppressedErrors;
  console.log(
    `read ${input} (${read.format}): ${read.series} series, ${read.samples} samples` +
      (read.events > 0 ? `, ${read.events} events (not metrics: left out)` : '') +
      `, ${problems} problems` +
      (read.skipped > 0 ? `, ${read.skipped} values not samples` : '')
  );
  for (const e of read.errors.slice(0, 10)) console.log(`  line ${e.line}: ${e.message}`);
  if (read.errors.length > 10) console.log(`  … ${read.errors.length - 10} more`);
  for (const n of read.notes) console.log(`  note: ${n}`);
  if (read.samples === 0)
    fail(`${input}: no samples read${problems > 0 ? ' (see the problems above)' : ''}`);
  writeFileSync(output, r.bytes);
  console.log(
    `wrote ${output} (${written.format}): ${written.series} series, ${written.samples} samples, ${r.bytes.length} bytes` +
      (written.skipped > 0 ? `, ${written.skipped} samples left out` : '')
  );
  for (const n of written.notes) console.log(`  note: ${n}`);
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  // The parsers' errors name the file already (as Import shows them).
  fail(message.startsWith(`${input}:`) ? message : `${input}: ${message}`);
}
