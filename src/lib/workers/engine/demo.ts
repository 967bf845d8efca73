import { commitDemoStep, readDemoJob, startDemoJob, type DemoJob } from '$lib/db/demo-store';
import { continueDemoSeries } from '$lib/demo/continue';
import { generateDemoData, type DemoData } from '$lib/demo/generate';
import type { PointBatch, ResultEvent } from '$lib/types';
import { packIdRanges } from '$lib/types/id-ranges';
import type { EngineContext, Progress } from './context';

export const DemoLoadDefaults = {
  /** Series per metric step (each a generated day: 8,640 points at 10 s). */
  seriesPerStep: 4,
  /** Events per event step: one transaction each. */
  eventsPerStep: 2000
};

/** One step of the demo job: a slice of its series or of its events. */
type DemoStep = { batches: PointBatch[]; events: ResultEvent[] };

/** The demo day cut into steps, in the order they are stored (metrics, then events). */
function planDemoSteps(data: DemoData): DemoStep[] {
  const steps: DemoStep[] = [];
  const { seriesPerStep, eventsPerStep } = DemoLoadDefaults;
  for (let i = 0; i < data.batches.length; i += seriesPerStep)
    steps.push({ batches: data.batches.slice(i, i + seriesPerStep), events: [] });
  for (let i = 0; i < data.events.length; i += eventsPerStep)
    steps.push({ batches: [], events: data.events.slice(i, i + eventsPerStep) });
  return steps;
}

/**
 * "Load demo data" as ONE job with a checkpoint in the store (db/demo-store.ts): each step
 * commits its points or events together with the checkpoint, so leaving or reloading the page
 * mid-load loses nothing and stores nothing twice — the next start of the app resumes the job
 * (`resumeDemo`), and a second tab joins it instead of loading another day. Progress goes to
 * every tab as a `demo` change notice.
 */
export function createDemoApi(ctx: EngineContext) {
  /** This engine's run of the job, shared by every caller while it runs. */
  let running: Promise<DemoJob | undefined> | null = null;

  async function run(onProgress?: Progress): Promise<DemoJob | undefined> {
    const { db, metrics } = await ctx.ready();
    let job = await readDemoJob(db);
    if (!job) return undefined;
    const steps = planDemoSteps(generateDemoData({ end: job.end }));
    while (job && job.stored < job.total) {
      const step = steps[job.stored];
      const batches = step.batches.filter((b) => b.t.length > 0);
      // Registering series is its own small, idempotent transaction.
      const ids = batches.length ? await metrics.registerSeries(batches.map((b) => b.series)) : [];
      const next = await commitDemoStep({
        db,
        metrics,
        step: job.stored,
        points: batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v })),
        events: step.events,
        now: ctx.now()
      });
      if (next === null) {
        // Another tab stored this step, or the data was deleted: follow the stored job.
        job = await readDemoJob(db);
        continue;
      }
      job = next;
      if (batches.length) {
        const to = batches.reduce((m, b) => Math.max(m, b.t[b.t.length - 1]), -Infinity);
        ctx.broadcast({ kind: 'points', ids: packIdRanges(ids), to });
      }
      if (step.events.length) {
        ctx.broadcast({ kind: 'events', count: step.events.length });
        await ctx.eventsStored(step.events);
      }
      ctx.broadcast({ kind: 'demo', stored: job.stored, total: job.total });
      onProgress?.(job.stored, job.total, step.events.length ? 'events' : 'metrics');
    }
    return job;
  }

  function runOnce(onProgress?: Progress): Promise<DemoJob | undefined> {
    running ??= run(onProgress).finally(() => (running = null));
    return running;
  }

  return {
    /**
     * Loads the deterministic demo day ending now, or joins the demo load already running;
     * resolves when its last event is stored with what the job stored.
     */
    async loadDemo(onProgress?: Progress): Promise<{ points: number; events: number }> {
      const { db } = await ctx.ready();
      const end = ctx.now();
      const data = generateDemoData({ end });
      await startDemoJob(db, {
        end,
        stored: 0,
        total: planDemoSteps(data).length,
        points: 0,
        events: 0,
        totalEvents: data.events.length,
        startedAt: end,
        updatedAt: end
      });
      const job = await runOnce(onProgress);
      return { points: job?.points ?? 0, events: job?.events ?? 0 };
    },

    /** The demo job's checkpoint (undefined: never started, or the data was deleted). */
    async demoStatus(): Promise<DemoJob | undefined> {
      const { db } = await ctx.ready();
      return readDemoJob(db);
    },

    /** Finishes an unfinished demo job (after a reload); resolves when it is done. */
    async resumeDemo(onProgress?: Progress): Promise<DemoJob | undefined> {
      const { db } = await ctx.ready();
      const job = await readDemoJob(db);
      if (!job || job.stored >= job.total) return job;
      return runOnce(onProgress);
    },

    /**
     * While the demo is on (demo series are stored), writes their next points up to `now`
     * (demo/continue.ts): Live keeps moving after the generated day ends. The caller is the
     * leader tab's Live page, once a second; `now` is its clock. No demo series: nothing.
     */
    async continueDemo(options: { now: number }): Promise<{ points: number }> {
      const { metrics } = await ctx.ready();
      const batches: PointBatch[] = [];
      for (const s of await metrics.listSeries()) {
        if (s.source !== 'demo' || s.lastT === undefined) continue;
        const next = continueDemoSeries({
          key: s.key,
          name: s.name,
          lastT: s.lastT,
          lastV: s.lastV ?? NaN,
          to: options.now
        });
        const { name, labels, unit, kind, source, category } = s;
        if (next.t.length)
          batches.push({ series: { name, labels, unit, kind, source, category }, ...next });
      }
      if (batches.length === 0) return { points: 0 };
      return ctx.ingest(batches);
    }
  };
}
