/**
 * OTLP JSON on `POST /v1/metrics` (the path OTLP/HTTP exporters post to): a light check
 * here, like metrics-check.ts does for the text formats; the page parses the body with the
 * ingest module. And the pushed texts of every format as points, for the forwarders.
 */
import type { AgentPoint } from '../src/lib/types';

export type OtlpCheck = { ok: true; points: number } | { ok: false; message: string };

/** Whether a body is meant as OTLP JSON: a JSON content type, or an object with resourceMetrics. */
export function looksLikeOtlpJson(body: string, contentType: string | undefined): boolean {
  if (contentType !== undefined && /^application\/json\b/i.test(contentType)) return true;
  const head = body.slice(0, 256).trimStart();
  return head.startsWith('{') && head.includes('"resourceMetrics"');
}

/**
 * Checks an OTLP JSON `ExportMetricsServiceRequest`: valid JSON, `resourceMetrics` an array;
 * counts the data points. O(body).
 * @example checkOtlpJson('{"resourceMetrics":[]}') // { ok: true, points: 0 }
 */
export function checkOtlpJson(body: string): OtlpCheck {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return { ok: false, message: `not JSON: ${(e as Error).message}` };
  }
  const rms = (doc as { resourceMetrics?: unknown }).resourceMetrics;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(rms))
    return {
      ok: false,
      message: 'expected an OTLP ExportMetricsServiceRequest: { "resourceMetrics": [...] }'
    };
  let points = 0;
  for (const rm of rms as {
    scopeMetrics?: { metrics?: Record<string, { dataPoints?: unknown[] }>[] }[];
  }[])
    for (const sm of rm?.scopeMetrics ?? [])
      for (const m of sm?.metrics ?? [])
        for (const body of Object.values(m ?? {}))
          if (body !== null && typeof body === 'object' && Array.isArray(body.dataPoints))
            points += body.dataPoints.length;
  return { ok: true, points };
}

const FileNames = { prometheus: 'push.prom', influx: 'push.lp', 'otlp-json': 'push.otlp.json' };

/**
 * A pushed text as agent points, through the same parsers the page uses; samples without a
 * timestamp get `t`. Unparsable lines are left out (the sender was told at the POST). The
 * parsers are loaded on first use: only a forwarding agent needs them, and loading them at
 * start cost the agent about 5 MiB of resident memory. O(text).
 * @example await metricsTextToPoints('prometheus', 'up 1', 1000) // [{ name: 'up', t: 1000, v: 1, … }]
 */
export async function metricsTextToPoints(
  format: keyof typeof FileNames,
  text: string,
  t: number
): Promise<AgentPoint[]> {
  const { createStreamParser } = await import('../src/lib/ingest/stream-parser');
  const parser = createStreamParser({ fileName: FileNames[format], format, defaultTimestamp: t });
  const points: AgentPoint[] = [];
  try {
    for (const step of [parser.push(new TextEncoder().encode(text)), parser.finish()])
      for (const b of step.batches)
        for (let i = 0; i < b.t.length; i++)
          points.push({
            name: b.series.name,
            labels: b.series.labels,
            unit: b.series.unit,
            kind: b.series.kind,
            category: b.series.category,
            t: b.t[i],
            v: b.v[i]
          });
  } catch {
    return [];
  }
  return points;
}
