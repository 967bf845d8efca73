import { detectDelimiter } from './csv';
import { ExpectedFormatsMessage, IngestError } from './errors';
import { isParquet } from './parquet';
import type { IngestFormat } from './types';

export const SniffDefaults = {
  /** Bytes the stream parser collects before deciding the format. */
  headBytes: 64 * 1024,
  /** Share of control bytes (other than tab, CR, LF, FF) above which a file is binary. */
  maxControlRatio: 0.01,
  /** Non-comment lines looked at for the text formats. */
  probeLines: 10
};

const MAGIC: ReadonlyArray<readonly [string, number[]]> = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['a gzip archive (decompress it first)', [0x1f, 0x8b]],
  ['a WebP/RIFF file', [0x52, 0x49, 0x46, 0x46]],
  ['an executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['a SQLite database', [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65]],
  ['a 7z archive', [0x37, 0x7a, 0xbc, 0xaf]],
  ['a zstd archive (decompress it first)', [0x28, 0xb5, 0x2f, 0xfd]]
];

const ZIP_MAGIC = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06]
];

const EXTENSIONS: Record<string, IngestFormat> = {
  prom: 'prometheus',
  txt: 'prometheus',
  om: 'openmetrics',
  openmetrics: 'openmetrics',
  lp: 'influx',
  influx: 'influx',
  line: 'influx',
  csv: 'csv',
  tsv: 'csv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  zip: 'tidemark-bundle',
  tidemark: 'tidemark-bundle',
  graphite: 'graphite',
  carbon: 'graphite'
};

const PROM_SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?[ \t]+[-+]?(\d|\.\d|Inf|inf|NaN)[^\s=]*([ \t]+[-+]?\d[^\s=]*)?([ \t]+#.*)?$/;
/** `path value [timestamp]` where the path has a '.' or a ';' (a Prometheus name has neither). */
const GRAPHITE_LINE =
  /^[^\s#{}"=]*[.;][^\s{}"]* +[-+]?(\d|\.\d|nan|NaN|inf)\S*( +(-1|N|\d+(\.\d+)?))? *$/;
/** A promtool tsdb dump line starts with a label set, never a quoted JSON key. */
const PROMTOOL_DUMP = /^\{[a-zA-Z_][a-zA-Z0-9_]*="/;
const INFLUX2_ANNOTATION = /^#(datatype|group|default),/;
const INFLUX_LINE = /^[^\s#,][^\s]*(?:\\ [^\s]*)*[ ][^\s=]+=\S/;

const startsWith = (bytes: Uint8Array, magic: number[]): boolean =>
  magic.every((b, i) => bytes[i] === b);

function extensionOf(fileName: string | undefined): string {
  const m = /\.([a-z0-9]+)$/i.exec(fileName ?? '');
  return m === null ? '' : m[1].toLowerCase();
}

function notMetrics(file: string, what: string): IngestError {
  return new IngestError({
    code: 'not_metrics',
    message: `${file || 'file'} looks like ${what}: ${ExpectedFormatsMessage}`,
    file
  });
}

function countDelimiters(line: string): number {
  const body = line.replace(/^#\s*/, '');
  return body.split(detectDelimiter([body])).length - 1;
}

/** Whether the first line is a complete JSON value (depth back to 0 at its end). */
export function firstLineClosesJson(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0)
        return (
          text
            .slice(i + 1)
            .split('\n', 1)[0]
            .trim() === ''
        );
    } else if (c === '\n') return false;
  }
  return false;
}

/** Which JSON document a head of text opens, by the keys it names first. */
function jsonShape(head: string): IngestFormat {
  if (head.includes('"resourceMetrics"')) return 'otlp-json';
  if (/^\{\s*"sysstat"\s*:/.test(head)) return 'sadf-json';
  if (/^\{\s*"results"\s*:\s*\[/.test(head)) return 'influx-json';
  if (/"resultType"\s*:/.test(head)) return 'prometheus-api-json';
  return 'json';
}

/**
 * Throws `IngestError` 'not_metrics' when the bytes are an image, PDF, archive or other binary
 * (magic bytes, any NUL, or more than `SniffDefaults.maxControlRatio` control bytes).
 *
 * Empty input: passes. Complexity O(bytes).
 * @example
 * assertNotBinary(Uint8Array.of(0x89, 0x50, 0x4e, 0x47), 'a.png') // throws
 */
export function assertNotBinary(firstBytes: Uint8Array, file: string): void {
  for (const [what, magic] of MAGIC)
    if (startsWith(firstBytes, magic)) throw notMetrics(file, what);
  let control = 0;
  for (let i = 0; i < firstBytes.length; i++) {
    const b = firstBytes[i];
    if (b === 0) throw notMetrics(file, 'a binary file (NUL bytes)');
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12) control++;
  }
  if (firstBytes.length > 0 && control / firstBytes.length > SniffDefaults.maxControlRatio)
    throw notMetrics(file, 'a binary file (control bytes)');
}

/**
 * Detects the format of a file from its first bytes (the stream parser passes up to
 * `SniffDefaults.headBytes`), using the file name only to break ties.
 * Throws `IngestError` 'not_metrics' for binary files (magic bytes, NUL or control bytes) and
 * 'unknown_format' for text it cannot place, both with the list of expected formats.
 *
 * Empty input: the extension's format, else 'prometheus' (which yields nothing).
 * Complexity O(head bytes).
 * @example
 * sniffFormat(new TextEncoder().encode('cpu,host=a usage=1 1700000000000\n')) // 'influx'
 */
export function sniffFormat(firstBytes: Uint8Array, fileName?: string): IngestFormat {
  const file = fileName ?? '';
  const ext = extensionOf(fileName);
  if (ZIP_MAGIC.some((m) => startsWith(firstBytes, m))) return 'tidemark-bundle';
  if (isParquet(firstBytes)) return 'parquet';
  assertNotBinary(firstBytes, file);
  let text = new TextDecoder('utf-8').decode(firstBytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const body = text.trimStart();
  if (body === '') return EXTENSIONS[ext] ?? 'prometheus';
  const c = body[0];
  if (PROMTOOL_DUMP.test(body)) return 'promtool-dump';
  if (c === '{' || c === '[') {
    const shape = jsonShape(body.slice(0, 4096));
    if (c === '{' && firstLineClosesJson(body))
      return /^\{"type":"manifest","format":"tidemark-bundle"/.test(body)
        ? 'tidemark-bundle'
        : shape === 'json' || shape === 'otlp-json'
          ? 'ndjson'
          : shape;
    return shape;
  }
  if (INFLUX2_ANNOTATION.test(body)) return 'influx2-csv';
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  // A truncated last line may be half a record.
  if (firstBytes.length >= SniffDefaults.headBytes && lines.length > 1) lines.pop();
  const comments = lines.filter((l) => l.startsWith('#'));
  const data = lines.filter((l) => !l.startsWith('#')).slice(0, SniffDefaults.probeLines);
  const promMeta = comments.some((l) => /^#\s+(HELP|TYPE|UNIT)\s/.test(l) || /^# EOF\s*$/.test(l));
  // A CSV named .csv/.tsv whose header carries the delimiter stays CSV even when its data
  // rows happen to look like line protocol (label values with spaces and '=').
  if ((ext === 'csv' || ext === 'tsv') && lines.length > 0 && countDelimiters(lines[0]) > 0)
    return 'csv';
  // Majorities rather than unanimity, so a file with a few malformed lines is still placed.
  const promScore = data.filter((l) => PROM_SAMPLE.test(l)).length;
  const influxScore = data.filter((l) => INFLUX_LINE.test(l)).length;
  const tie = promScore === influxScore;
  const preferInflux = tie ? EXTENSIONS[ext] === 'influx' : influxScore > promScore;
  if (promMeta || (promScore * 2 >= data.length && promScore > 0 && !preferInflux)) {
    const om =
      ext === 'om' ||
      ext === 'openmetrics' ||
      comments.some((l) => /^# (EOF\s*|UNIT\s.*)$/.test(l)) ||
      data.some((l) => / # \{/.test(l));
    return om ? 'openmetrics' : 'prometheus';
  }
  if (influxScore > 0 && influxScore * 2 >= data.length) return 'influx';
  const graphiteScore = data.filter((l) => GRAPHITE_LINE.test(l)).length;
  if (graphiteScore > 0 && graphiteScore * 2 >= data.length) return 'graphite';
  const probe = lines.slice(0, SniffDefaults.probeLines).map((l) => l.replace(/^#\s*/, ''));
  const delimiter = detectDelimiter(probe);
  const counts = probe.map((l) => l.split(delimiter).length - 1);
  if (counts.filter((n) => n > 0).length >= Math.min(2, probe.length)) return 'csv';
  const byExt = EXTENSIONS[ext];
  if (byExt !== undefined) return byExt;
  throw new IngestError({
    code: 'unknown_format',
    message: `${file || 'file'}: ${ExpectedFormatsMessage}`,
    file
  });
}
