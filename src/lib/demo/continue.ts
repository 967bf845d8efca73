import type { Columnar } from '$lib/types';
import { clamp, createRandom, round } from './generate';

/** Defaults of the demo's live continuation: a point a second, at most 5 minutes filled in. */
export const DemoLiveDefaults = { stepMs: 1_000, maxFillMs: 300_000 };

/**
 * How a demo series moves once the demo day is over: it drifts back towards `level` (an
 * AR(1) walk with the given `keep` factor per step) with noise of `noise` (absolute, or
 * relative to the value when `relative`), inside [min, max]; `round` digits. Levels are the
 * generated day's typical values (generate.ts), so the continuation looks like the day did.
 */
interface DemoMotion {
  level?: number;
  keep: number;
  noise: number;
  relative?: boolean;
  min?: number;
  max?: number;
  round?: number;
  /** 0 or 1 with this probability (event counts such as long animation frames). */
  spike?: number;
}

const Motions: Record<string, DemoMotion> = {
  cpu_usage_percent: { level: 30, keep: 0.97, noise: 2.5, min: 0, max: 100, round: 1 },
  load_average: { level: 1.3, keep: 0.97, noise: 0.08, min: 0, round: 2 },
  memory_used_bytes: { keep: 1, noise: 0.001, relative: true, min: 1e9, round: 0 },
  memory_total_bytes: { keep: 1, noise: 0 },
  disk_used_bytes: { keep: 1, noise: 0.00001, relative: true, min: 0, round: 0 },
  disk_total_bytes: { keep: 1, noise: 0 },
  disk_read_bytes_per_second: { level: 8e6, keep: 0.9, noise: 0.25, relative: true, min: 0 },
  disk_write_bytes_per_second: { level: 3e6, keep: 0.9, noise: 0.25, relative: true, min: 0 },
  network_receive_bytes_per_second: { level: 2.4e6, keep: 0.9, noise: 0.2, relative: true },
  network_transmit_bytes_per_second: { level: 0.9e6, keep: 0.9, noise: 0.2, relative: true },
  // Several models share these names, each at its own level: no common `level`, so each
  // walks around its own last value.
  model_tokens_per_second: { keep: 0.95, noise: 0.03, relative: true, min: 1, round: 1 },
  model_time_to_first_token_ms: { keep: 0.9, noise: 0.05, relative: true, min: 30, round: 1 },
  model_energy_joules_per_token: { keep: 0.95, noise: 0.02, relative: true, min: 0.05, round: 3 },
  model_token_entropy: { keep: 0.95, noise: 0.03, relative: true, min: 0.1, max: 6, round: 3 },
  model_queue_depth: { level: 2, keep: 0.8, noise: 0.8, min: 0, round: 0 },
  model_kv_cache_usage_percent: { keep: 0.95, noise: 1.5, min: 0, max: 100, round: 1 },
  gpu_power_watts: { level: 110, keep: 0.95, noise: 5, min: 15, max: 320, round: 1 },
  gpu_temperature_celsius: { level: 52, keep: 0.98, noise: 0.4, round: 1 },
  frame_time_ms: { level: 16.7, keep: 0.3, noise: 1.2, min: 6, round: 2 },
  long_animation_frames: { keep: 0, noise: 0, spike: 0.04 }
};

/** Series not in the table: a gentle walk around their last value. */
const DefaultMotion: DemoMotion = { keep: 1, noise: 0.01, relative: true };

export interface DemoContinuation {
  /** Series identity (seeds the noise, so a given step always gives the same value). */
  key: string;
  name: string;
  lastT: number;
  lastV: number;
  /** Continue up to and including this time, epoch ms (the caller's "now"). */
  to: number;
  stepMs?: number;
  /** Points older than `to - maxFillMs` are not invented (a closed tab leaves a gap). */
  maxFillMs?: number;
}

/**
 * The next points of a demo series after its last one, one every `stepMs` on step
 * boundaries up to `to`: a moving dashboard while the demo is on. Deterministic: the same
 * input gives the same points (the noise is seeded by the key and the time), so a retry
 * writes the same values. Empty when `to` is not past the next step. O(points).
 *
 * @example
 * continueDemoSeries({ key: 'cpu', name: 'cpu_usage_percent', lastT: 0, lastV: 20, to: 3_000 });
 * // { t: [1000, 2000, 3000], v: [20.4, 19.1, 21.7] } (values vary with the seed)
 */
export function continueDemoSeries(input: DemoContinuation): Columnar {
  const stepMs = input.stepMs ?? DemoLiveDefaults.stepMs;
  const maxFillMs = input.maxFillMs ?? DemoLiveDefaults.maxFillMs;
  const motion = Motions[input.name] ?? DefaultMotion;
  const firstStep = Math.floor(Math.max(input.lastT, input.to - maxFillMs) / stepMs) + 1;
  const lastStep = Math.floor(input.to / stepMs);
  const n = Math.max(0, lastStep - firstStep + 1);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let x = Number.isFinite(input.lastV) ? input.lastV : (motion.level ?? 0);
  const level = motion.level ?? x;
  const rand = createRandom(hashString(input.key) ^ firstStep);
  for (let i = 0; i < n; i++) {
    t[i] = (firstStep + i) * stepMs;
    const e = rand.normal();
    if (motion.spike !== undefined) {
      x = rand.next() < motion.spike ? 1 : 0;
    } else {
      const sd = motion.relative ? Math.abs(x) * motion.noise : motion.noise;
      x = level + motion.keep * (x - level) + sd * e;
      x = clamp(x, motion.min ?? (motion.relative ? 0 : -Infinity), motion.max ?? Infinity);
    }
    v[i] = motion.round === undefined ? x : round(x, motion.round);
  }
  return { t, v };
}

/** FNV-1a of a string, 32-bit. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
