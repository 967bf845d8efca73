/**
 * Alert evaluation cost (Node, fake-indexeddb): one pass of the alerts module over demo data
 * (BENCH_ALERT_DAYS days at 10 s, 3 by default) after its rollup, per rule, with a mix of the rule kinds (threshold, percentile, rate,
 * anomaly, absence) whose selectors match 1–5 series each.
 *
 * - alerts.pass_ms_per_rule: CPU time of `runAlertPass` ÷ rules, median of the passes (the
 *   clock moves 5 s per pass, as the leader's). Baseline, same run, same rules and values: a
 *   naive evaluator that reads each matched series' whole stored history of raw points and
 *   computes the window value from them, then runs the same pure evaluation.
 * - alerts.pass_reads: store reads per pass (one window query per matched series).
 *
 * CPU time of this process (user + system), since the bench machine is shared;
 * fake-indexeddb is much slower than Chromium's IndexedDB, so both figures are upper bounds.
 * Run: npx tsx bench/alerts.bench.ts
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { evaluateRule } from '../src/lib/alerts/evaluate';
import { selectSeries } from '../src/lib/alerts/match';
import { parseRule } from '../src/lib/alerts/parse';
import type { AlertInstanceState, AlertRuleSpec } from '../src/lib/alerts/types';
import {
  computeWindowAggregate,
  computeWindowQuantile,
  computeWindowRate
} from '../src/lib/alerts/window';
import { openDatabase } from '../src/lib/db/database';
import { generateDemoData } from '../src/lib/demo/generate';
import { createEngineApi } from '../src/lib/workers/engine/api';
import { emit, median } from './lib';

const NOW = Date.UTC(2026, 10, 23, 12);
const PASSES = 12;
/** Days of demo data stored (10 s points): the naive evaluator's cost grows with it. */
const DAYS = Number(process.env.BENCH_ALERT_DAYS ?? 3);
const RULES = [
  'alert "cpu avg" when avg(cpu_usage_percent) over 5m > 90 for 2m clear < 80',
  'alert "cpu max" when max(cpu_usage_percent{cpu="total"}) over 15m > 95',
  'alert "ttft p95" when p95(model_time_to_first_token_ms) over 5m > 300 for 1m',
  'alert "frames p99" when p99(frame_time_ms) over 10m > 50',
  'alert "disk rate" when rate(disk_used_bytes) over 5m > 1e6',
  'alert "mem last" when last(memory_used_bytes) over 1m > 3e10',
  'alert "gpu stddev" when stddev(gpu_temperature_celsius) over 30m > 5',
  'alert "net sum" when sum(network_receive_bytes_per_second) over 5m > 1e12',
  'alert "ttft anomaly" when anomaly(model_time_to_first_token_ms) >= 0.8',
  'alert "agent" when absent(agent_cpu_percent) for 2m'
];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main() {
  const name = 'alerts-bench';
  await Dexie.delete(name);
  const clock = { now: NOW };
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    now: () => clock.now,
    timeZone: 'UTC'
  });
  const demo = generateDemoData({ end: NOW, durationMs: DAYS * 86_400_000, eventsPerHour: 0 });
  for (let i = 0; i < demo.batches.length; i += 4) await api.ingest(demo.batches.slice(i, i + 4));
  await api.rollupPass();
  for (const text of RULES) {
    const r = await api.saveAlertRule({ text });
    if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  }
  const series = await api.listSeries();

  const engineMs: number[] = [];
  let reads = 0;
  for (let p = 0; p < PASSES; p++) {
    clock.now = NOW + p * 5_000;
    const t0 = cpuMs();
    const stats = await api.runAlertPass();
    engineMs.push(cpuMs() - t0);
    reads = stats.reads;
  }

  // The naive evaluator: whole stored history per matched series, every pass.
  const specs = RULES.map((text) => (parseRule(text) as { spec: AlertRuleSpec }).spec);
  const naiveStates = specs.map(() => ({}) as Record<string, AlertInstanceState>);
  const naiveMs: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    const now = NOW + p * 5_000;
    const t0 = cpuMs();
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i];
      const c = spec.condition;
      const matched = selectSeries(c.selector, series);
      const inputs = [];
      for (const s of matched) {
        if (c.kind === 'absent') {
          inputs.push({ seriesKey: s.key, value: NaN, lastSeen: s.lastT ?? null });
          continue;
        }
        const all = await api.readRaw(s.id, -Infinity, now);
        let lo = 0;
        while (lo < all.t.length && all.t[lo] < now - c.windowMs) lo++;
        const v = all.v.subarray(lo);
        const w = { tier: 'raw' as const, t: all.t.subarray(lo), v };
        const value =
          c.kind === 'threshold'
            ? computeWindowAggregate(c.aggregate, w)
            : c.kind === 'percentile'
              ? computeWindowQuantile(c.quantile, w)
              : c.kind === 'rate'
                ? computeWindowRate(w)
                : 0;
        inputs.push({ seriesKey: s.key, value });
      }
      naiveStates[i] = evaluateRule(
        { ...spec, id: `n${i}`, createdAt: NOW },
        inputs,
        naiveStates[i],
        now
      ).states;
    }
    naiveMs.push(cpuMs() - t0);
  }

  emit({
    name: 'alerts.pass_ms_per_rule',
    value: median(engineMs) / RULES.length,
    unit: 'ms',
    baseline: median(naiveMs) / RULES.length,
    rules: RULES.length,
    passes: PASSES,
    days: DAYS,
    seriesMatched: reads
  });
  emit({ name: 'alerts.pass_reads', value: reads, unit: 'reads', rules: RULES.length });
  await Dexie.delete(name);
}

await main();
