/**
 * `GET /metrics`: the agent's latest host samples and its own figures for Prometheus (or any
 * OpenMetrics scraper) to scrape. Content negotiation as the Prometheus client libraries do
 * it: a scraper that accepts `application/openmetrics-text` (Prometheus does by default) gets
 * OpenMetrics 1.0 (`# UNIT`, counters as `<family>_total`, `# EOF`); anything else gets the
 * Prometheus text format 0.0.4, which `promtool check metrics` lints. Names, families and
 * label names come from the export's OpenMetrics planner, so both forms and the files
 * Tidemark writes agree. No timestamps: each scrape is "now".
 *
 * Open on loopback unless `--metrics-token` is given; then the scraper must send it (or the
 * pairing token) as a bearer token (Prometheus: `authorization: { credentials: … }`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatPromValue } from '../src/lib/export/encode';
import { formatOpenMetricsLabels, planOpenMetrics } from '../src/lib/export/openmetrics';
import type { AgentPoint, SeriesDescriptor } from '../src/lib/types';
import { seriesKey } from '../src/lib/types/series-key';
import { readBearer, verifyToken } from './security';

/** The newest value of each series the agent has sampled. */
export class LatestPoints {
  private readonly byKey = new Map<string, AgentPoint>();

  /** Keeps the newest point of each series. O(points). */
  update(points: readonly AgentPoint[]): void {
    for (const p of points) {
      const key = seriesKey(p.name, p.labels);
      const had = this.byKey.get(key);
      if (had === undefined || p.t >= had.t) this.byKey.set(key, p);
    }
  }

  list(): AgentPoint[] {
    return [...this.byKey.values()];
  }
}

export type ExpositionFormat = 'openmetrics' | 'text';

export const ExpositionContentTypes: Record<ExpositionFormat, string> = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  text: 'text/plain; version=0.0.4; charset=utf-8'
};

/**
 * Which format an Accept header asks for.
 * @example negotiateExposition('application/openmetrics-text;version=1.0.0,text/plain;q=0.5') // 'openmetrics'
 */
export function negotiateExposition(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept)
    ? 'openmetrics'
    : 'text';
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * Renders points (one value per series) in the exposition format. Counters that are NaN or
 * negative are left out (OpenMetrics forbids them). O(points log points).
 * @example renderExposition([{ name: 'up', labels: {}, unit: '', kind: 'gauge', category: 'system', t: 0, v: 1 }], 'text')
 */
export function renderExposition(points: readonly AgentPoint[], format: ExpositionFormat): string {
  const descriptors: SeriesDescriptor[] = points.map((p) => ({
    name: p.name,
    labels: p.labels,
    unit: p.unit,
    kind: p.kind,
    source: 'agent',
    category: p.category,
    help: `${p.name}${p.unit !== '' ? ` (${p.unit})` : ''}, from the Tidemark agent`
  }));
  const plan = planOpenMetrics(descriptors);
  const byFamily = new Map<string, { head: string; lines: string[] }>();
  points.forEach((p, i) => {
    const s = plan.of(descriptors[i]);
    if (s === undefined || (s.family.type === 'counter' && !(p.v >= 0))) return;
    const f = s.family;
    let entry = byFamily.get(f.name);
    if (entry === undefined) {
      // 0.0.4 names a family by its sample name (`x_total`) and has no `unknown` type.
      const name = format === 'openmetrics' ? f.name : s.sample;
      const type = format === 'text' && f.type === 'unknown' ? 'untyped' : f.type;
      const head =
        `# HELP ${name} ${escapeHelp(f.help ?? name)}\n# TYPE ${name} ${type}\n` +
        (format === 'openmetrics' && f.unit !== undefined ? `# UNIT ${name} ${f.unit}\n` : '');
      byFamily.set(f.name, (entry = { head, lines: [] }));
    }
    entry.lines.push(`${s.sample}${formatOpenMetricsLabels(s.labels)} ${formatPromValue(p.v)}\n`);
  });
  const out: string[] = [];
  for (const f of byFamily.values()) out.push(f.head, ...f.lines.sort());
  if (format === 'openmetrics') out.push('# EOF\n');
  return out.join('');
}

/**
 * The route: authorises (when a metrics token is set), renders, answers.
 * @example createMetricsEndpoint({ points: () => latest.list(), metricsTokenDigest: undefined, pairingTokenDigest })
 */
export function createMetricsEndpoint(options: {
  points: () => AgentPoint[];
  metricsTokenDigest: Buffer | undefined;
  pairingTokenDigest: Buffer;
}): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (options.metricsTokenDigest !== undefined) {
      const presented = readBearer(req.headers.authorization);
      const ok =
        presented !== undefined &&
        (verifyToken(presented, options.metricsTokenDigest) ||
          verifyToken(presented, options.pairingTokenDigest));
      if (!ok) {
        res.writeHead(401, {
          'Content-Type': 'application/json; charset=utf-8',
          'WWW-Authenticate': 'Bearer realm="tidemark-agent-metrics"'
        });
        res.end(
          JSON.stringify({ error: presented === undefined ? 'token required' : 'bad token' })
        );
        return;
      }
    }
    const format = negotiateExposition(req.headers.accept);
    const body = renderExposition(options.points(), format);
    res.writeHead(200, {
      'Content-Type': ExpositionContentTypes[format],
      'Content-Length': Buffer.byteLength(body)
    });
    res.end(body);
  };
}
