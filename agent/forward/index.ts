/**
 * The agent's hand-off to other systems, built from its flags: the latest values for
 * `GET /metrics`, its own figures, and the forwarders (none unless asked for). main.ts feeds
 * it every sample and push; server.ts serves `/metrics` through it.
 */
import path from 'node:path';
import type { AgentPoint, AgentStatus } from '../../src/lib/types';
import { createMetricsEndpoint, LatestPoints } from '../metrics-endpoint';
import { metricsTextToPoints } from '../otlp';
import { digestToken } from '../security';
import type { ForwardConfig } from './config';
import { Forwarder } from './forwarder';

/**
 * The agent's own figures as points, from its status.
 * @example agentSelfPoints(status, Date.now())
 */
export function agentSelfPoints(status: AgentStatus, t: number): AgentPoint[] {
  const p = (name: string, v: number, extra: Partial<AgentPoint> = {}): AgentPoint => ({
    name,
    labels: {},
    unit: '',
    kind: 'gauge',
    category: 'system',
    t,
    v,
    ...extra
  });
  const out = [
    p('tidemark_agent_info', 1, { labels: { version: status.version } }),
    p('tidemark_agent_uptime_seconds', status.uptimeMs / 1000, { unit: 's' }),
    p('tidemark_agent_buffer_messages', status.bufferHeld ?? 0),
    p('tidemark_agent_buffer_bytes', status.bufferBytes ?? 0, { unit: 'bytes' }),
    p('tidemark_agent_buffer_evicted_total', status.bufferEvicted ?? 0, { kind: 'counter' })
  ];
  for (const f of status.forwarding ?? []) {
    const labels = { kind: f.kind, url: f.url };
    out.push(
      p('tidemark_agent_forward_queued_batches', f.queuedBatches, { labels }),
      p('tidemark_agent_forward_queued_bytes', f.queuedBytes, { labels, unit: 'bytes' }),
      p('tidemark_agent_forward_sent_batches_total', f.sentBatches, { labels, kind: 'counter' }),
      p('tidemark_agent_forward_dropped_batches_total', f.droppedBatches, {
        labels,
        kind: 'counter'
      }),
      p('tidemark_agent_forward_failed_attempts_total', f.failedAttempts, {
        labels,
        kind: 'counter'
      })
    );
  }
  return out;
}

export interface AgentHandOff {
  /** Host samples and pushed points. */
  take(points: AgentPoint[]): void;
  /** A pushed metrics text (parsed only when something is forwarded). */
  takeText(format: 'prometheus' | 'influx' | 'otlp-json', text: string, t: number): void;
  metrics: ReturnType<typeof createMetricsEndpoint>;
  forwarding(): AgentStatus['forwarding'];
  stop(): Promise<void>;
}

/**
 * Builds the hand-off from the flags.
 * @example createHandOff(config, { status, pairingToken, warn })
 */
export function createHandOff(
  config: ForwardConfig,
  options: { status: () => AgentStatus; pairingToken: string; warn: (m: string) => void }
): AgentHandOff {
  const latest = new LatestPoints();
  const forwarders: Forwarder[] = [];
  const targets = [
    ['remote-write', config.remoteWrite],
    ['otlp', config.otlp]
  ] as const;
  for (const [kind, url] of targets)
    if (url !== undefined)
      forwarders.push(
        new Forwarder({
          kind,
          url,
          queueDir: path.join(config.forwardDir, kind),
          queueBytes: config.forwardQueueBytes,
          onWarning: options.warn
        })
      );
  return {
    take(points) {
      latest.update(points);
      for (const f of forwarders) f.push(points);
    },
    takeText(format, text, t) {
      if (forwarders.length === 0) return;
      void metricsTextToPoints(format, text, t).then((points) => {
        for (const f of forwarders) f.push(points);
      });
    },
    metrics: createMetricsEndpoint({
      points: () => [...latest.list(), ...agentSelfPoints(options.status(), Date.now())],
      metricsTokenDigest:
        config.metricsToken !== undefined ? digestToken(config.metricsToken) : undefined,
      pairingTokenDigest: digestToken(options.pairingToken)
    }),
    forwarding: () => forwarders.map((f) => f.status()),
    stop: async () => {
      await Promise.all(forwarders.map((f) => f.stop()));
    }
  };
}
