/**
 * State of the Energy page: the active models (a model whose tokens/s series has a point in
 * the last `activeMs`), each summarised over the last `windowMs` from the store — measured
 * throughput, energy per token and tokens per joule (the `energy_efficiency` statistic),
 * mean token entropy — refreshed every `refreshMs`. `/energy?models=N` streams N synthetic
 * models through the whole pipeline (ingest → store → this page), for measuring.
 *
 * What a refresh costs the page is kept low (issue 25: the view within 3 % of an empty
 * page's frame rate): the series list is read every `listEveryMs` rather than each time,
 * and figures that did not change leave `rows` as it was (no re-render, nothing posted to
 * the drawing worker).
 */
import { transfer } from 'comlink';
import { EnergySeries, groupModelSeries, summariseModelEnergy } from '$lib/analytics/model-energy';
import type { RibbonModel } from '$lib/charts/energy-scene';
import type { PointBatch, SeriesRecord } from '$lib/types';
import type { EngineRemote } from '$lib/workers/engine-client';

export const EnergyDefaults = {
  /**
   * Figures are one-minute means: re-read every 2 s they move by a few hundredths of what a
   * 1 s refresh shows, for half the store reads (three per model) and table updates.
   */
  refreshMs: 2_000,
  /** The series list (every series stored, cloned to the page) is re-read this often. */
  listEveryMs: 10_000,
  /** Figures are averaged over this much recent data. */
  windowMs: 60_000,
  /** A model with no throughput point for this long is no longer drawn. */
  activeMs: 120_000,
  /** Most synthetic models `?models=N` will stream. */
  maxSyntheticModels: 20
} as const;

export interface EnergyRow extends RibbonModel {
  runtime: string;
  model: string;
  tokensPerJoule: number | null;
}

export class EnergyState {
  rows = $state.raw<EnergyRow[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Whether any series is stored at all (the empty state offers the demo). */
  anySeries = $state(false);
  syntheticModels = $state(0);

  #engine: () => EngineRemote;
  #leader: () => boolean;
  #timers: ReturnType<typeof setInterval>[] = [];
  #busy = false;
  #demoOn = false;
  #list: SeriesRecord[] | null = null;
  #listedAt = -Infinity;
  #stopped = false;

  constructor(engine: () => EngineRemote, options: { leader?: () => boolean } = {}) {
    this.#engine = engine;
    this.#leader = options.leader ?? (() => false);
  }

  start(): void {
    this.#stopped = false;
    this.#timers.push(setInterval(() => void this.refresh(), EnergyDefaults.refreshMs));
    void this.refresh();
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  now(): number {
    return Date.now();
  }

  /** Streams `n` synthetic models: a point per model and series each second. */
  startSyntheticModels(n: number): void {
    const count = Math.min(EnergyDefaults.maxSyntheticModels, Math.max(0, Math.round(n)));
    this.syntheticModels = count;
    if (count === 0) return;
    let step = 0;
    const write = (): void => {
      const t = Math.floor(this.now() / 1000) * 1000;
      step++;
      const batches: PointBatch[] = [];
      for (let i = 0; i < count; i++) {
        const labels = {
          runtime: 'synthetic',
          model: `synthetic-${String(i + 1).padStart(2, '0')}`
        };
        const wave = Math.sin(step / 7 + i);
        const add = (name: string, unit: string, v: number): void => {
          batches.push({
            series: { name, labels, unit, kind: 'gauge', source: 'api', category: 'model' },
            t: Float64Array.of(t),
            v: Float64Array.of(v)
          });
        };
        add(EnergySeries.tokensPerSecond, 'tokens/s', 20 + 25 * i + 5 * wave);
        add(EnergySeries.joulesPerToken, 'J/token', 0.2 + 0.35 * i + 0.05 * wave);
        if (i % 2 === 0) add(EnergySeries.entropy, 'nats', 1 + 0.4 * i + 0.2 * wave);
      }
      void this.#engine()
        .ingest(
          transfer(
            batches,
            batches.flatMap((b) => [b.t.buffer as ArrayBuffer, b.v.buffer as ArrayBuffer])
          )
        )
        .catch(() => {
          // The next second writes again.
        });
    };
    write();
    this.#timers.push(setInterval(write, 1_000));
  }

  async refresh(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      const engine = this.#engine();
      const now = this.now();
      if (this.#demoOn && this.#leader()) await engine.continueDemo({ now }).catch(() => {});
      // Listed again when due, or while no model is active yet (one may just have started).
      if (
        this.#list === null ||
        this.rows.length === 0 ||
        now - this.#listedAt >= EnergyDefaults.listEveryMs
      ) {
        this.#list = await engine.listSeries();
        this.#listedAt = now;
      }
      const list = this.#list;
      this.anySeries = list.length > 0;
      this.#demoOn = list.some((s) => s.source === 'demo');
      const from = now - EnergyDefaults.windowMs;
      const groups = groupModelSeries(list).filter(
        (g) => g.tps?.lastT !== undefined && g.tps.lastT >= now - EnergyDefaults.activeMs
      );
      const read = (s: SeriesRecord | undefined) =>
        s ? engine.readRaw(s.id, from, now + 1) : Promise.resolve(undefined);
      const rows = await Promise.all(
        groups.map(async (g): Promise<EnergyRow> => {
          const [tps, jpt, entropy] = await Promise.all([
            read(g.tps),
            read(g.jpt),
            read(g.entropy)
          ]);
          const summary = summariseModelEnergy({
            tps: tps ?? { t: new Float64Array(0), v: new Float64Array(0) },
            joulesPerToken: jpt,
            entropy
          });
          return {
            key: `${g.runtime}\u0000${g.model}`,
            label: g.runtime ? `${g.model} · ${g.runtime}` : g.model,
            runtime: g.runtime,
            model: g.model,
            ...summary
          };
        })
      );
      // Models whose window is empty (only an old point) drop out until they report again.
      const next = rows.filter((r) => Number.isFinite(r.tokensPerSecond));
      if (!sameRows(this.rows, next)) this.rows = next;
      this.error = null;
    } catch (e) {
      this.error = `Could not read the model series: ${(e as Error).message}`;
    } finally {
      this.loaded = true;
      this.#busy = false;
    }
  }
}

/** Whether two row lists show the same models with the same figures. O(rows). */
export function sameRows(a: readonly EnergyRow[], b: readonly EnergyRow[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (
      x.key !== y.key ||
      x.label !== y.label ||
      !Object.is(x.tokensPerSecond, y.tokensPerSecond) ||
      !Object.is(x.joulesPerToken, y.joulesPerToken) ||
      !Object.is(x.tokensPerJoule, y.tokensPerJoule) ||
      !Object.is(x.entropy, y.entropy)
    )
      return false;
  }
  return true;
}
