/**
 * Energy: CPU package energy from Linux RAPL (powercap sysfs) and GPU energy integrated from
 * `nvidia-smi`'s power draw, and the share of it each model's generated tokens used.
 *
 * RAPL (Documentation/power/powercap/powercap.rst): each top-level zone
 * `intel-rapl:N` (and `intel-rapl-mmio:N` on newer laptops) is one package; `energy_uj` is a
 * running counter in microjoules that wraps at `max_energy_range_uj`. Sub-zones
 * (`intel-rapl:N:M`: core, uncore, dram) are parts of the package's energy, so only
 * top-level zones are summed. Since Linux 5.10 `energy_uj` is readable by root only on most
 * distributions; an unreadable counter is simply not a source ("not measured").
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentEnergyStatus } from '../../src/lib/types';

export const EnergyDefaults = {
  raplRoot: '/sys/class/powercap',
  /** A GPU power reading older than this is not integrated across (the reader stalled). */
  maxPowerGapMs: 5_000
} as const;

/**
 * Microjoules used between two readings of a RAPL counter that wraps at `maxRangeUj`.
 * One wrap at most is assumed (at the default interval a package would need megawatts to
 * wrap twice). O(1).
 * @example computeRaplDeltaUj({ before: 262_142_000_000, after: 1_000_000, maxRangeUj: 262_143_000_000 }) // 2_000_000
 */
export function computeRaplDeltaUj(args: {
  before: number;
  after: number;
  maxRangeUj: number;
}): number {
  const { before, after, maxRangeUj } = args;
  if (after >= before) return after - before;
  // The counter passed max_energy_range_uj and started again from 0 (the same arithmetic as
  // the kernel's own powercap users, e.g. tools/power/x86/turbostat).
  return maxRangeUj - before + after;
}

/**
 * Trapezoidal integral of power (W) over time (ms) in joules. Gaps longer than `maxGapMs`
 * contribute nothing (unknown is not zero, but neither is it the last value). Fewer than two
 * points → 0. O(n).
 * @example integratePowerJoules(Float64Array.of(0, 1000, 2000), Float64Array.of(100, 100, 200)) // 250
 */
export function integratePowerJoules(
  tMs: Float64Array,
  watts: Float64Array,
  maxGapMs: number = Infinity
): number {
  let joules = 0;
  for (let i = 1; i < Math.min(tMs.length, watts.length); i++) {
    const dt = (tMs[i] - tMs[i - 1]) / 1000;
    if (!(dt > 0) || dt * 1000 > maxGapMs) continue;
    if (!Number.isFinite(watts[i]) || !Number.isFinite(watts[i - 1])) continue;
    joules += ((watts[i] + watts[i - 1]) / 2) * dt;
  }
  return joules;
}

interface RaplZone {
  domain: string;
  energyFile: string;
  maxRangeUj: number;
}

/** Reads the top-level RAPL zones under a powercap root (a fixture directory in tests). */
export class RaplReader {
  private zones: RaplZone[] = [];
  private last = new Map<string, number>();

  constructor(private readonly root: string = EnergyDefaults.raplRoot) {
    this.zones = this.discover();
  }

  /** Whether any readable package counter was found. */
  get available(): boolean {
    return this.zones.length > 0;
  }

  /** The readable package domains, e.g. `package-0`. */
  get packages(): string[] {
    return this.zones.map((z) => z.domain);
  }

  /**
   * Joules per package since the previous call (the first call primes the counters and
   * returns an empty map). O(zones).
   */
  readJoules(): Map<string, number> {
    const out = new Map<string, number>();
    for (const z of this.zones) {
      const uj = readNumber(z.energyFile);
      if (uj === undefined) continue;
      const before = this.last.get(z.domain);
      this.last.set(z.domain, uj);
      if (before === undefined) continue;
      out.set(z.domain, computeRaplDeltaUj({ before, after: uj, maxRangeUj: z.maxRangeUj }) / 1e6);
    }
    return out;
  }

  private discover(): RaplZone[] {
    let entries: string[];
    try {
      entries = readdirSync(this.root);
    } catch {
      return [];
    }
    const zones: RaplZone[] = [];
    for (const entry of entries.sort()) {
      // Top-level zones only: `intel-rapl:0`, not `intel-rapl:0:1`.
      if (!/^intel-rapl(-mmio)?:\d+$/.test(entry)) continue;
      const dir = path.join(this.root, entry);
      const energyFile = path.join(dir, 'energy_uj');
      const maxRangeUj = readNumber(path.join(dir, 'max_energy_range_uj'));
      if (readNumber(energyFile) === undefined || maxRangeUj === undefined) continue;
      const name = readText(path.join(dir, 'name'))?.trim() || entry;
      // Two packages are both named package-0 on some kernels; the zone id keeps them apart.
      const domain = zones.some((z) => z.domain === name) ? `${name}@${entry}` : name;
      zones.push({ domain, energyFile, maxRangeUj });
    }
    return zones;
  }
}

/**
 * Integrates power readings (W) as they arrive, per source, into joules taken out by
 * `take()`. Used for the GPU, whose power comes from the sampler's nvidia-smi readings.
 */
export class PowerIntegrator {
  private readonly last = new Map<string, { t: number; w: number }>();
  private readonly pending = new Map<string, number>();

  constructor(private readonly maxGapMs: number = EnergyDefaults.maxPowerGapMs) {}

  observe(source: string, t: number, watts: number): void {
    if (!Number.isFinite(watts)) return;
    const before = this.last.get(source);
    this.last.set(source, { t, w: watts });
    if (!before) return;
    const j = integratePowerJoules(
      Float64Array.of(before.t, t),
      Float64Array.of(before.w, watts),
      this.maxGapMs
    );
    this.pending.set(source, (this.pending.get(source) ?? 0) + j);
  }

  /** Joules per source since the previous take. */
  take(): Map<string, number> {
    const out = new Map(this.pending);
    this.pending.clear();
    return out;
  }
}

/**
 * Splits one interval's measured energy across models by their share of the tokens
 * generated in it. With one meter for the whole host the split cannot be finer: concurrent
 * models get the same joules per token (exact when one model is busy, the usual local case).
 * No tokens → empty (idle energy is not charged to anyone). O(models).
 * @example attributeEnergy(30, new Map([['a', 10], ['b', 20]])) // a: 10 J, b: 20 J
 */
export function attributeEnergy(joules: number, tokens: Map<string, number>): Map<string, number> {
  let total = 0;
  for (const n of tokens.values()) total += n;
  const out = new Map<string, number>();
  if (!(total > 0) || !(joules >= 0)) return out;
  for (const [model, n] of tokens) if (n > 0) out.set(model, (joules * n) / total);
  return out;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(file: string): number | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  const v = Number(text.trim());
  return Number.isFinite(v) && text.trim() !== '' ? v : undefined;
}

/**
 * What `/v1/status` says about energy: the readable sources, or "not measured" and why.
 * @example describeEnergySources({ disabled: false, raplPackages: [], gpus: ['0'] }).sources // ['nvidia-smi']
 */
export function describeEnergySources(input: {
  disabled: boolean;
  raplPackages: string[];
  gpus: string[];
}): AgentEnergyStatus {
  const { disabled } = input;
  const raplPackages = disabled ? [] : input.raplPackages;
  const gpus = disabled ? [] : input.gpus;
  const sources = [
    ...(raplPackages.length > 0 ? ['RAPL'] : []),
    ...(gpus.length > 0 ? ['nvidia-smi'] : [])
  ];
  const parts = [
    ...(raplPackages.length > 0 ? [`RAPL (${raplPackages.join(', ')})`] : []),
    ...(gpus.length > 0 ? [`nvidia-smi (GPU ${gpus.join(', ')})`] : [])
  ];
  const summary = disabled
    ? 'not measured (turned off with --no-energy)'
    : sources.length > 0
      ? parts.join(', ')
      : 'not measured (no readable RAPL energy counter and no GPU reporting power draw)';
  return { sources, raplPackages, gpus, disabled, summary };
}
