import type { ResultEvent } from '$lib/types';
import type { TidemarkDb } from './database';
import { planAppend, type MetricStore, type SeriesPoints } from './metric-store';

/** The `meta` key of the demo load's checkpoint ("delete all data" removes it with the data). */
export const DemoJobKey = 'demo:job';

/**
 * The checkpoint of "Load demo data", one job however many tabs or reloads it spans. The demo
 * is generated from `end` deterministically, so a resume regenerates the same day and stores
 * the steps after `stored`.
 */
export interface DemoJob {
  /** End of the generated day, epoch ms. */
  end: number;
  /** Steps stored so far (metric slices first, then event slices). */
  stored: number;
  total: number;
  /** Points and events stored so far. */
  points: number;
  events: number;
  /** Every demo event, when all steps are stored. */
  totalEvents: number;
  startedAt: number;
  updatedAt: number;
}

/** The demo job, or undefined when none was started (or the data was deleted since). */
export async function readDemoJob(db: TidemarkDb): Promise<DemoJob | undefined> {
  return (await db.meta.get(DemoJobKey))?.value as DemoJob | undefined;
}

/**
 * Starts `job` unless one is running (stored < total): then that one is answered, so a
 * second click or a second tab joins the running job instead of starting another day.
 */
export async function startDemoJob(db: TidemarkDb, job: DemoJob): Promise<DemoJob> {
  return db.transaction('rw', db.meta, async () => {
    const running = (await db.meta.get(DemoJobKey))?.value as DemoJob | undefined;
    if (running && running.stored < running.total) return running;
    await db.meta.put({ key: DemoJobKey, value: job });
    return job;
  });
}

/**
 * Stores step `step` of the demo job — points of registered series and events — with the
 * checkpoint that counts it, in ONE transaction, only if the stored checkpoint says `step` is
 * next: a reload, a second tab or a crash can never store a step twice or skip one. Resolves
 * with the new checkpoint, or null when the step was not next (another engine stored it, or
 * the data was deleted): the caller reads the job again.
 */
export async function commitDemoStep(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  step: number;
  points: SeriesPoints[];
  events: ResultEvent[];
  now: number;
}): Promise<DemoJob | null> {
  const { db, metrics, step, events } = options;
  const plan = planAppend(options.points, false);
  return db.transaction('rw', [db.chunks, db.series, db.late, db.events, db.meta], async () => {
    const job = (await db.meta.get(DemoJobKey))?.value as DemoJob | undefined;
    if (!job || job.stored !== step) return null;
    const next: DemoJob = {
      ...job,
      stored: step + 1,
      points: job.points + plan.incoming.reduce((s, p) => s + p.t.length, 0),
      events: job.events + events.length,
      updatedAt: options.now
    };
    await Promise.all([
      plan.ids.length > 0 ? metrics.appendPlanned(plan) : undefined,
      events.length > 0 ? db.events.bulkAdd(events.map((e) => ({ ...e }))) : undefined,
      db.meta.put({ key: DemoJobKey, value: next })
    ]);
    return next;
  });
}
