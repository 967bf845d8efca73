/**
 * Light line-based sanity check of `POST /v1/metrics` bodies. The page parses the text with
 * the ingest module; the agent only refuses what is clearly not Prometheus text or Influx
 * line protocol, so a typo fails at the sender with a line number instead of later in a page.
 */

export type MetricsFormat = 'prometheus' | 'influx';

export type MetricsCheckResult =
  | { ok: true; format: MetricsFormat; lines: number }
  | { ok: false; format: MetricsFormat; line: number; message: string };

// name{labels} value [timestamp]; labels are checked loosely (quoted values, no newline).
const PromSample =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"(?:[^"\\]|\\.)*"\s*,?)*\s*\})?[ \t]+\S+([ \t]+-?\d+(\.\d+)?)?[ \t]*$/;
const PromValue = /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const PromComment = /^#/;
// measurement[,tag=v...] field=v[,field=v...] [timestamp]; escapes allowed with backslash.
const InfluxLine =
  /^(?:[^\s,\\]|\\.)+(,(?:[^\s,=\\]|\\.)+=(?:[^\s,\\]|\\.)+)* +(?:[^\s,=\\]|\\.)+=("(?:[^"\\]|\\.)*"|[^\s,"]+)(,(?:[^\s,=\\]|\\.)+=("(?:[^"\\]|\\.)*"|[^\s,"]+))*( +-?\d+)?\s*$/;

/**
 * Guesses the format of a metrics text: a `# HELP`/`# TYPE` line or a first sample whose
 * second token is a bare number means Prometheus; `key=value` in the second token means
 * Influx. Empty text → 'prometheus'. O(first data line).
 * @example sniffMetricsFormat('cpu,host=a usage=1 1700000000000000000') // 'influx'
 */
export function sniffMetricsFormat(text: string): MetricsFormat {
  for (const raw of text.split('\n', 50)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('# HELP') || line.startsWith('# TYPE')) return 'prometheus';
    if (line.startsWith('#')) continue;
    if (line.includes('{')) return 'prometheus';
    const tokens = line.split(/\s+/);
    if (tokens.length >= 2 && tokens[1].includes('=')) return 'influx';
    return 'prometheus';
  }
  return 'prometheus';
}

/**
 * Checks every line of a metrics text. Blank lines and comments pass; the first bad line
 * stops the check with its 1-based number. Empty text → ok with 0 lines. O(n).
 * @example checkMetricsText('up 1\nbad line here', 'prometheus') // { ok: false, line: 2, ... }
 */
export function checkMetricsText(text: string, format: MetricsFormat): MetricsCheckResult {
  let lineNo = 0;
  let dataLines = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    if (line.trim() === '') continue;
    const problem = format === 'prometheus' ? checkPromLine(line) : checkInfluxLine(line);
    if (problem) return { ok: false, format, line: lineNo, message: problem };
    if (!PromComment.test(line)) dataLines++;
  }
  return { ok: true, format, lines: dataLines };
}

function checkPromLine(line: string): string | undefined {
  const trimmed = line.trim();
  if (PromComment.test(trimmed)) {
    if (/^#\s*(HELP|TYPE)\s*$/.test(trimmed)) return 'HELP/TYPE without a metric name';
    return undefined;
  }
  if (!PromSample.test(trimmed))
    return 'not a Prometheus sample: expected `name{labels} value [timestamp]`';
  const brace = trimmed.lastIndexOf('}');
  const rest = (brace >= 0 ? trimmed.slice(brace + 1) : trimmed.slice(trimmed.search(/\s/))).trim();
  const value = rest.split(/\s+/)[0];
  if (!PromValue.test(value)) return `bad sample value ${JSON.stringify(value)}`;
  return undefined;
}

function checkInfluxLine(line: string): string | undefined {
  if (line.startsWith('#')) return undefined;
  if (!InfluxLine.test(line)) {
    return 'not Influx line protocol: expected `measurement[,tag=v] field=v[,field=v] [timestamp]`';
  }
  return undefined;
}
