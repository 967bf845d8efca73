/**
 * Forwarding of the agent's samples to another system, off unless started with
 * `--remote-write URL` (Prometheus remote-write) or `--otlp URL` (OTLP/HTTP JSON). Points are
 * gathered for `flushMs`, encoded into one request body and put in a bounded on-disk queue
 * (disk-queue.ts); one sender delivers the queue in order, one request at a time, retrying
 * with exponential backoff and jitter while the receiver is down or answers 5xx/429, so an
 * outage (or an agent restart) loses nothing until the queue is full. A 4xx other than 408
 * and 429 means the receiver will never take that body: it is dropped and counted.
 */
import os from 'node:os';
import { mergeBatches } from '../../src/lib/export/merge';
import { writeOtlpJson } from '../../src/lib/export/otlp';
import { sanitizePromLabels, translateMetricName } from '../../src/lib/export/prom-names';
import type { AgentForwardingStatus, AgentPoint } from '../../src/lib/types';
import { DiskQueue } from './disk-queue';
import { remoteWriteRequest, type RemoteWriteSeries } from './remote-write';

export const ForwarderDefaults = {
  flushMs: 1_000,
  minBackoffMs: 250,
  maxBackoffMs: 30_000,
  requestTimeoutMs: 10_000
} as const;

export type ForwardKind = 'remote-write' | 'otlp';

const Headers: Record<ForwardKind, Record<string, string>> = {
  'remote-write': remoteWriteRequest([]).headers,
  otlp: { 'Content-Type': 'application/json' }
};

/** Labels every forwarded series carries unless it has its own: which machine it came from. */
function withInstance(labels: Record<string, string>, instance: string): Record<string, string> {
  return 'instance' in labels ? labels : { ...labels, instance };
}

/**
 * The remote-write series of some points: Prometheus names (as /metrics and the OpenMetrics
 * export spell them; counters end in `_total`), labels sanitized and sorted.
 * @example toRemoteWrite([{ name: 'cpu_usage_percent', labels: { cpu: '0' }, … }], 'host')
 */
export function toRemoteWrite(
  points: readonly AgentPoint[],
  instance: string
): RemoteWriteSeries[] {
  const byKey = new Map<string, RemoteWriteSeries>();
  for (const p of points) {
    let name = translateMetricName(
      p.name,
      p.unit,
      p.kind === 'histogram_bucket' ? 'histogram' : p.kind
    ).name;
    if (p.kind === 'counter' && !name.endsWith('_total')) name += '_total';
    const labels = sanitizePromLabels(withInstance(p.labels, instance));
    const pairs: [string, string][] = [
      ['__name__', name],
      ...Object.keys(labels)
        .filter((k) => labels[k] !== '')
        .map((k): [string, string] => [k, labels[k]])
    ];
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify(pairs);
    let s = byKey.get(key);
    if (s === undefined) byKey.set(key, (s = { labels: pairs, samples: [] }));
    s.samples.push({ t: p.t, v: p.v });
  }
  for (const s of byKey.values()) s.samples.sort((a, b) => a.t - b.t);
  return [...byKey.values()];
}

/** An OTLP JSON metrics request of some points (export/otlp.ts). */
export function toOtlpJson(points: readonly AgentPoint[], instance: string): string {
  return writeOtlpJson(
    mergeBatches(
      points.map((p) => ({
        series: {
          name: p.name,
          labels: withInstance(p.labels, instance),
          unit: p.unit,
          kind: p.kind,
          source: 'agent' as const,
          category: p.category
        },
        t: Float64Array.of(p.t),
        v: Float64Array.of(p.v)
      }))
    )
  );
}

export interface ForwarderOptions {
  kind: ForwardKind;
  url: string;
  queueDir: string;
  queueBytes: number;
  flushMs?: number;
  instance?: string;
  onWarning?: (message: string) => void;
}

export class Forwarder {
  private pending: AgentPoint[] = [];
  private readonly queue: DiskQueue;
  private readonly flushTimer: NodeJS.Timeout;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly instance: string;
  private readonly sending: Promise<void>;
  private backoffMs: number = ForwarderDefaults.minBackoffMs;
  private readonly stats = {
    sentBatches: 0,
    failedAttempts: 0,
    rejectedBatches: 0,
    lastError: null as string | null,
    lastSentAt: null as number | null
  };

  constructor(private readonly options: ForwarderOptions) {
    this.queue = new DiskQueue(options.queueDir, options.queueBytes);
    this.instance = options.instance ?? os.hostname();
    this.flushTimer = setInterval(() => this.flush(), options.flushMs ?? ForwarderDefaults.flushMs);
    this.sending = this.sendLoop();
  }

  /** Takes points to forward (copied into the next batch). */
  push(points: readonly AgentPoint[]): void {
    for (const p of points) if (Number.isFinite(p.t)) this.pending.push(p);
  }

  /** Encodes what was gathered into one queued batch. */
  flush(): void {
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    const body =
      this.options.kind === 'remote-write'
        ? remoteWriteRequest(toRemoteWrite(points, this.instance)).body
        : new TextEncoder().encode(toOtlpJson(points, this.instance));
    try {
      this.queue.push(body);
    } catch (e) {
      this.options.onWarning?.(`forwarding queue: ${(e as Error).message}`);
    }
    this.wake?.();
  }

  status(): AgentForwardingStatus {
    return {
      kind: this.options.kind,
      url: this.options.url,
      queuedBatches: this.queue.size,
      queuedBytes: this.queue.bytes,
      droppedBatches: this.queue.dropped,
      ...this.stats
    };
  }

  /** Flushes what is pending to the queue (kept on disk for the next start) and stops. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    this.flush();
    this.stopped = true;
    this.wake?.();
    await this.sending;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async sendLoop(): Promise<void> {
    while (!this.stopped) {
      const batch = this.queue.peek();
      if (batch === undefined) {
        await this.sleep(60_000);
        continue;
      }
      const outcome = await this.send(batch.body);
      if (this.stopped) return;
      if (outcome === 'retry') {
        // Full jitter between half and all of the current backoff.
        await this.sleep(this.backoffMs * (0.5 + Math.random() / 2));
        this.backoffMs = Math.min(ForwarderDefaults.maxBackoffMs, this.backoffMs * 2);
        continue;
      }
      this.backoffMs = ForwarderDefaults.minBackoffMs;
      this.queue.ack(batch.seq);
    }
  }

  private async send(body: Uint8Array): Promise<'done' | 'retry'> {
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: Headers[this.options.kind],
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(ForwarderDefaults.requestTimeoutMs)
      });
      const text = await res.text().catch(() => '');
      if (res.ok) {
        this.stats.sentBatches++;
        this.stats.lastSentAt = Date.now();
        this.stats.lastError = null;
        return 'done';
      }
      const message = `HTTP ${res.status} ${text.slice(0, 200).trim()}`;
      this.stats.lastError = message;
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        this.stats.failedAttempts++;
        return 'retry';
      }
      this.stats.rejectedBatches++;
      this.options.onWarning?.(`${this.options.kind} refused a batch for good: ${message}`);
      return 'done';
    } catch (e) {
      this.stats.failedAttempts++;
      this.stats.lastError = (e as Error).message;
      return 'retry';
    }
  }
}
