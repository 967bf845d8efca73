/**
 * The leader's background pass, in the order DESIGN.md's data flow gives: new points are
 * rolled up, retention drops what expired, detectors score the fresh buckets, alert rules
 * read those values (anomaly rules read THIS pass's scores), and insights summarise.
 * The order is this list, not the order engine areas happen to register their stages.
 */
export const BackgroundStages = ['rollup', 'retention', 'detect', 'alert', 'insights'] as const;

export type BackgroundStageName = (typeof BackgroundStages)[number];

/** What one pass knows; the rollup stage fills in the series it rolled up. */
export interface BackgroundPass {
  /** Series rolled up in this pass, in order. */
  seriesIds: number[];
  now: number;
  /** A file import was running when the rollups ended (its series were left for later). */
  importing: boolean;
}

export type BackgroundStage = (pass: BackgroundPass) => Promise<void>;

/**
 * Runs the registered stages in `BackgroundStages` order. The rollup stage failing ends the
 * pass (later stages read what it writes: a closed database or a full disk, retried next
 * tick); any other stage failing is skipped for this pass and retried on the next, so one
 * area cannot stop rollups or retention. Between stages the worker yields, so queries that
 * arrived during a stage are answered before the next starts.
 */
export async function runBackgroundStages(options: {
  stages: Partial<Record<BackgroundStageName, BackgroundStage>>;
  pass: BackgroundPass;
  now: () => number;
  yieldToQueries: () => Promise<void>;
}): Promise<BackgroundPass> {
  const { stages, pass } = options;
  const pause = options.yieldToQueries;
  for (const name of BackgroundStages) {
    const stage = stages[name];
    if (!stage) continue;
    pass.now = options.now();
    if (name === 'rollup') {
      await stage(pass);
    } else {
      try {
        await stage(pass);
      } catch {
        // Retried on the next pass; the stage's own stats say what failed.
      }
    }
    await pause();
  }
  return pass;
}

/** How long background work may hold the worker before it lets queued messages in. */
export const YieldSliceMs = 10;

/**
 * Returns a function background stages call between series: the one engine worker per tab
 * serves queries and ingest too, so once `sliceMs` have passed since the last break it
 * yields a macrotask (microtasks would not let a message in) and queued queries run first.
 * Time-sliced, because a timer per series would add its 1-4 ms clamp thousands of times.
 */
export function createYielder(
  sliceMs = YieldSliceMs,
  clock: () => number = () => performance.now()
): () => Promise<void> {
  let last = clock();
  return async () => {
    if (clock() - last < sliceMs) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = clock();
  };
}
