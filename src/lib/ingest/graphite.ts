import type { BatchSink } from './sink';
import { parseJsonNumber } from './json-shapes';
import { emitPoint } from './emit';
import { parseEpoch } from './time';
import type { LineContext, LineHandler } from './types';

/**
 * Graphite plaintext (carbon's line receiver, collectd's write_graphite and write_log):
 * `path.to.metric value unix_seconds` per line, optionally tagged
 * (`path;tag=value;tag2=value value ts`, Graphite 1.1). The whole path is the series name
 * (Graphite has no other notion of one); tags become labels. A timestamp of `-1` or `N`
 * means "now" to carbon, so it takes `defaultTimestamp`, as does a missing one.
 */
export interface GraphiteHandlerOptions {
  sink: BatchSink;
  file: string;
  defaultTimestamp?: number;
}

/** A path, a value and an optional timestamp, separated by blanks. */
const LINE = /^(\S+)[ \t]+(\S+)(?:[ \t]+(\S+))?[ \t]*$/;
const SECONDS = /^[+-]?\d+(\.\d+)?$/;

/**
 * Builds the Graphite plaintext line handler.
 *
 * Empty input: emits nothing. Complexity O(line length) per line.
 * @example
 * const h = createGraphiteHandler({ sink, file: 'carbon.txt' });
 * h.onLine('host.cpu-0.cpu-idle 98.5 1700000000', { line: 1, byte: 0 });
 */
export function createGraphiteHandler(options: GraphiteHandlerOptions): LineHandler {
  const { sink, defaultTimestamp } = options;
  const parsedPaths = new Map<string, { name: string; labels: Record<string, string> } | string>();
  const parsePath = (path: string): { name: string; labels: Record<string, string> } | string => {
    let p = parsedPaths.get(path);
    if (p !== undefined) return p;
    const [name, ...tags] = path.split(';');
    const labels: Record<string, string> = {};
    p = { name, labels };
    for (const tag of tags) {
      const eq = tag.indexOf('=');
      if (eq <= 0 || eq === tag.length - 1) {
        p = `invalid tag "${tag.slice(0, 60)}" (expected name=value)`;
        break;
      }
      labels[tag.slice(0, eq)] = tag.slice(eq + 1);
    }
    if (name === '') p = 'empty metric path';
    parsedPaths.set(path, p);
    return p;
  };
  return {
    onLine(raw: string, ctx: LineContext): void {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      sink.row();
      const m = LINE.exec(line);
      if (m === null) return sink.error(ctx, 'expected "path value [timestamp]"');
      const path = parsePath(m[1]);
      if (typeof path === 'string') return sink.error(ctx, path);
      const v = m[2] === 'nan' || m[2] === 'NaN' ? NaN : parseJsonNumber(m[2]);
      if (v === undefined) return sink.error(ctx, `invalid value "${m[2].slice(0, 40)}"`);
      const ts = m[3];
      let t: number;
      if (ts === undefined || ts === '-1' || ts === 'N') {
        if (defaultTimestamp === undefined)
          return sink.error(ctx, 'no timestamp and no default time for the file');
        t = defaultTimestamp;
      } else if (SECONDS.test(ts)) t = parseEpoch(ts, 's');
      else return sink.error(ctx, `invalid timestamp "${ts.slice(0, 40)}" (expected Unix seconds)`);
      emitPoint(sink, path, t, v);
    },
    onEnd: () => undefined
  };
}
