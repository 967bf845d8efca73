import type { PointBatch, ResultEvent, SeriesDescriptor } from '$lib/types';

/** Defaults of the demo day: one day at 10-second steps, ~16,000 events. */
export const DemoDefaults = {
  durationMs: 86_400_000,
  stepMs: 10_000,
  seed: 20261123,
  eventsPerHour: 650,
  /** The demo's second and third models keep every this-many-th step of the day. */
  otherModelsEvery: 6
};

export interface DemoOptions {
  /** End of the generated day, epoch ms (the caller passes "now"). */
  end: number;
  durationMs?: number;
  stepMs?: number;
  seed?: number;
  eventsPerHour?: number;
}

export interface DemoData {
  batches: PointBatch[];
  events: ResultEvent[];
}

/**
 * A deterministic, realistic day of host, model and UX metrics and result-log events: the
 * same options always give the same data. The day has a daily rhythm and a few incidents
 * (a CPU saturation at 70 % of the day, a slow memory leak in the afternoon, a model
 * latency regression and a burst of failures), so anomalies, trends and insights have
 * something real to find.
 *
 * Complexity O(points + events). Empty when durationMs < stepMs.
 * @example const { batches, events } = generateDemoData({ end: Date.UTC(2026, 10, 23) });
 */
export function generateDemoData(options: DemoOptions): DemoData {
  const durationMs = options.durationMs ?? DemoDefaults.durationMs;
  const stepMs = options.stepMs ?? DemoDefaults.stepMs;
  const rand = createRandom(options.seed ?? DemoDefaults.seed);
  const end = Math.floor(options.end / stepMs) * stepMs;
  const n = Math.max(0, Math.floor(durationMs / stepMs));
  const start = end - n * stepMs;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = start + (i + 1) * stepMs;

  const batches: PointBatch[] = [];
  const add = (series: SeriesDescriptor, fn: (i: number, phase: number) => number) => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = fn(i, i / Math.max(1, n - 1));
    batches.push({ series, t: t.slice(), v });
    return v;
  };
  const gauge = (
    name: string,
    unit: string,
    category: SeriesDescriptor['category'],
    labels: Record<string, string> = {}
  ): SeriesDescriptor => ({ name, labels, unit, kind: 'gauge', source: 'demo', category });

  // Daily rhythm: quiet at night, busy in the afternoon of the generated day.
  const daily = (phase: number) => 0.5 - 0.5 * Math.cos(2 * Math.PI * (phase - 0.1));
  const incident = (phase: number, at: number, width: number) =>
    phase >= at && phase < at + width ? 1 : 0;

  const cores = 4;
  const perCore: Float64Array[] = [];
  for (let c = 0; c < cores; c++) {
    let walk = 0;
    const series = gauge('cpu_usage_percent', '%', 'system', { cpu: String(c) });
    add(series, (_i, p) => {
      walk = 0.95 * walk + rand.normal() * 2;
      const base = 8 + 45 * daily(p) + (c === 0 ? 6 : 0) + walk;
      return round(clamp(base + 50 * incident(p, 0.7, 0.01) + rand.normal() * 3, 0, 100), 1);
    });
    perCore.push(batches[batches.length - 1].v);
  }
  add(gauge('cpu_usage_percent', '%', 'system', { cpu: 'total' }), (i) => {
    let s = 0;
    for (const core of perCore) s += core[i];
    return round(s / cores, 1);
  });
  add(gauge('load_average', '', 'system', { period: '1m' }), (i) => {
    let s = 0;
    for (const core of perCore) s += core[i];
    return round((s / 100) * 1.1 + Math.abs(rand.normal()) * 0.2, 2);
  });

  const totalMem = 32 * 1024 ** 3;
  let leak = 0;
  add(gauge('memory_used_bytes', 'bytes', 'system'), (_i, p) => {
    if (p > 0.55 && p < 0.85) leak += 60 * 1024 * 1024 * (stepMs / 60_000) * 0.08;
    if (p >= 0.85) leak *= 0.98;
    const used = 9.5 * 1024 ** 3 + 4 * 1024 ** 3 * daily(p) + leak + rand.normal() * 40e6;
    return Math.round(clamp(used, 1e9, totalMem));
  });
  add(gauge('memory_total_bytes', 'bytes', 'system'), () => totalMem);
  let diskUsed = 412e9;
  add(gauge('disk_used_bytes', 'bytes', 'system', { mount: '/' }), (_i, p) => {
    diskUsed += (1.2e6 + 3e6 * daily(p)) * (stepMs / 1000) * 0.05;
    return Math.round(diskUsed);
  });
  add(gauge('disk_total_bytes', 'bytes', 'system', { mount: '/' }), () => 1000e9);
  for (const dir of ['read', 'write'] as const) {
    add(
      gauge(`disk_${dir}_bytes_per_second`, 'bytes/s', 'system', { device: 'nvme0n1' }),
      (_i, p) =>
        Math.round(
          Math.max(
            0,
            (dir === 'read' ? 8e6 : 3e6) * (0.3 + daily(p)) * Math.exp(rand.normal() * 0.6)
          )
        )
    );
  }
  for (const dir of ['receive', 'transmit'] as const) {
    add(
      gauge(`network_${dir}_bytes_per_second`, 'bytes/s', 'network', { interface: 'eth0' }),
      (_i, p) =>
        Math.round(
          Math.max(
            0,
            (dir === 'receive' ? 2.4e6 : 0.9e6) * (0.2 + daily(p)) * Math.exp(rand.normal() * 0.5)
          )
        )
    );
  }

  // Model series under the names and labels the agent's model collector gives them
  // (agent/model/collector.ts): `{ runtime, model }`, TTFT per quantile. The first model's
  // draws come first and in the original order, so the demo day's incidents stay put.
  const model = { runtime: 'vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' };
  const tps = add(gauge('model_tokens_per_second', 'tokens/s', 'model', model), (_i, p) =>
    round(clamp(58 - 10 * daily(p) - 22 * incident(p, 0.62, 0.03) + rand.normal() * 2.5, 1, 120), 1)
  );
  const ttft95 = add(
    gauge('model_time_to_first_token_ms', 'ms', 'model', { ...model, quantile: '0.95' }),
    (_i, p) =>
      round(
        Math.max(
          40,
          (180 + 90 * daily(p) + 400 * incident(p, 0.62, 0.03)) * Math.exp(rand.normal() * 0.15)
        ),
        1
      )
  );
  add(gauge('model_energy_joules_per_token', 'J/token', 'model', model), (_i, p) =>
    round(Math.max(0.05, 0.9 + 0.2 * daily(p) + rand.normal() * 0.04), 3)
  );
  const gpu = { gpu: '0', model: 'NVIDIA GeForce RTX 4090' };
  add(gauge('gpu_power_watts', 'W', 'system', gpu), (_i, p) =>
    round(clamp(45 + 140 * daily(p) + rand.normal() * 6, 15, 320), 1)
  );
  add(gauge('gpu_temperature_celsius', '°C', 'system', gpu), (_i, p) =>
    round(38 + 30 * daily(p) + rand.normal() * 0.6, 1)
  );
  // The other models report once a minute over the day (live continuation is per second),
  // so they add a seventh of the points a 10-second series would to a demo that loads fast.
  const addCoarse: AddSeries = (series, fn) => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = fn(i, i / Math.max(1, n - 1));
    const every = DemoDefaults.otherModelsEvery;
    const keep = Array.from(
      { length: Math.floor(n / every) },
      (_, j) => n - 1 - j * every
    ).reverse();
    batches.push({
      series,
      t: Float64Array.from(keep, (i) => t[i]),
      v: Float64Array.from(keep, (i) => v[i])
    });
    return v;
  };
  addDemoModels({
    add: addCoarse,
    gauge,
    daily,
    ttft95,
    tps,
    seed: options.seed ?? DemoDefaults.seed
  });

  add(gauge('frame_time_ms', 'ms', 'ux'), () =>
    round(Math.max(6, 16.7 + (rand.next() < 0.03 ? 20 + rand.next() * 40 : rand.normal() * 1.2)), 2)
  );
  add(gauge('long_animation_frames', 'count', 'ux'), () => (rand.next() < 0.04 ? 1 : 0));

  return { batches, events: generateEvents({ start, end, rand, options }) };
}

type AddSeries = (
  series: SeriesDescriptor,
  fn: (i: number, phase: number) => number
) => Float64Array;
type MakeGauge = (
  name: string,
  unit: string,
  category: SeriesDescriptor['category'],
  labels?: Record<string, string>
) => SeriesDescriptor;

/**
 * The demo's other models: a llama.cpp server and an Ollama model beside the vLLM one, so
 * the energy view has several ribbons. Their own random stream keeps the rest of the day
 * (and its events) as it was before they were added. Mean token entropy (nats) comes from
 * the tracking API's `model_process` records; the Ollama model reports none, as Ollama
 * returns no log-probabilities.
 */
function addDemoModels(args: {
  add: AddSeries;
  gauge: MakeGauge;
  daily: (phase: number) => number;
  ttft95: Float64Array;
  tps: Float64Array;
  seed: number;
}): void {
  const { add, gauge, daily, ttft95, tps } = args;
  const r = createRandom(args.seed ^ 0x6d6f64);
  const vllm = { runtime: 'vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' };
  add(gauge('model_time_to_first_token_ms', 'ms', 'model', { ...vllm, quantile: '0.5' }), (i) =>
    round(Math.max(30, ttft95[i] * (0.55 + r.next() * 0.1)), 1)
  );
  add(gauge('model_token_entropy', 'nats', 'model', vllm), (i) =>
    round(clamp(1.6 + (58 - tps[i]) * 0.01 + r.normal() * 0.08, 0.1, 6), 3)
  );
  add(gauge('model_queue_depth', 'count', 'model', vllm), (_i, p) =>
    Math.max(0, Math.round(3 * daily(p) + r.normal() * 0.8))
  );
  const llama = { runtime: 'llamacpp', model: 'qwen2.5-7b-instruct-q4_k_m' };
  add(gauge('model_tokens_per_second', 'tokens/s', 'model', llama), (_i, p) =>
    round(clamp(34 - 6 * daily(p) + r.normal() * 1.8, 1, 80), 1)
  );
  add(gauge('model_energy_joules_per_token', 'J/token', 'model', llama), (_i, p) =>
    round(Math.max(0.05, 1.6 + 0.3 * daily(p) + r.normal() * 0.06), 3)
  );
  add(gauge('model_token_entropy', 'nats', 'model', llama), () =>
    round(clamp(2.4 + r.normal() * 0.15, 0.1, 6), 3)
  );
  add(gauge('model_kv_cache_usage_percent', '%', 'model', llama), (_i, p) =>
    round(clamp(20 + 55 * daily(p) + r.normal() * 4, 0, 100), 1)
  );
  const ollama = { runtime: 'ollama', model: 'mistral:latest' };
  add(gauge('model_tokens_per_second', 'tokens/s', 'model', ollama), (_i, p) =>
    round(clamp(96 - 20 * daily(p) + r.normal() * 4, 1, 200), 1)
  );
  add(gauge('model_energy_joules_per_token', 'J/token', 'model', ollama), (_i, p) =>
    round(Math.max(0.05, 0.45 + 0.1 * daily(p) + r.normal() * 0.03), 3)
  );
}

const ActionTypes = [
  { type: 'deploy', medianMs: 42_000, failure: 0.04 },
  { type: 'build', medianMs: 95_000, failure: 0.06 },
  { type: 'test', medianMs: 30_000, failure: 0.08 },
  { type: 'sync', medianMs: 1_800, failure: 0.02 },
  { type: 'backup', medianMs: 240_000, failure: 0.03 },
  { type: 'notify', medianMs: 350, failure: 0.01 },
  { type: 'inference', medianMs: 2_600, failure: 0.03 }
];
const Organisations = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const ErrorTemplates = [
  (r: Random) => `Connection refused to db-${1 + Math.floor(r.next() * 20)} after 3 retries`,
  (r: Random) =>
    `Timeout after ${1000 * (5 + Math.floor(r.next() * 55))} ms waiting for job ${hex(r, 8)}`,
  (r: Random) => `HTTP 503 from upstream service "registry" (request id ${hex(r, 12)})`,
  (r: Random) => `Out of memory: killed process ${1000 + Math.floor(r.next() * 60000)}`,
  () => `Quality gate failed: coverage below threshold`
];

function generateEvents(args: {
  start: number;
  end: number;
  rand: Random;
  options: DemoOptions;
}): ResultEvent[] {
  const { start, end, rand } = args;
  const perHour = args.options.eventsPerHour ?? DemoDefaults.eventsPerHour;
  const events: ResultEvent[] = [];
  const span = end - start;
  if (span <= 0) return events;
  const hours = span / 3_600_000;
  const total = Math.round(perHour * hours);
  const triggers = Array.from({ length: 40 }, (_, i) => ({
    id: `trigger-${String(i + 1).padStart(3, '0')}`,
    org: Organisations[i % Organisations.length],
    action: ActionTypes[i % ActionTypes.length],
    weight: 1 / (1 + i * 0.15),
    // The last few triggers go quiet half way through the day (idle triggers).
    stopsAt: i >= 36 ? 0.5 : 2
  }));
  const weightSum = triggers.reduce((s, tr) => s + tr.weight, 0);
  for (let k = 0; k < total; k++) {
    const t = start + Math.floor(rand.next() * span);
    const phase = (t - start) / span;
    let pick = rand.next() * weightSum;
    let trigger = triggers[0];
    for (const tr of triggers) {
      pick -= tr.weight;
      if (pick <= 0) {
        trigger = tr;
        break;
      }
    }
    if (phase > trigger.stopsAt) continue;
    const burst = phase > 0.78 && phase < 0.8 ? 0.35 : 0;
    const roll = rand.next();
    const failP = trigger.action.failure + burst;
    const status = roll < failP ? 'failure' : roll < failP + 0.015 ? 'timeout' : 'success';
    const durationMs = Math.round(
      trigger.action.medianMs * Math.exp(rand.normal() * 0.45) * (status === 'timeout' ? 3 : 1)
    );
    const event: ResultEvent = {
      t,
      actionType: trigger.action.type,
      status,
      durationMs,
      triggerId: trigger.id,
      organisationId: trigger.org,
      retries: status === 'success' ? (rand.next() < 0.05 ? 1 : 0) : Math.floor(rand.next() * 4)
    };
    if (status !== 'success') {
      const template = ErrorTemplates[Math.floor(rand.next() * ErrorTemplates.length)];
      event.errorMessage = template(rand);
      event.context = { host: `worker-${1 + Math.floor(rand.next() * 8)}`, attempt: event.retries };
    }
    events.push(event);
  }
  events.sort((a, b) => a.t - b.t);
  return events;
}

export interface Random {
  next(): number;
  normal(): number;
}

/** mulberry32: small, fast and good enough for demo data; deterministic across engines. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal: () => {
      const u = Math.max(next(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    }
  };
}

function hex(r: Random, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += Math.floor(r.next() * 16).toString(16);
  return s;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
