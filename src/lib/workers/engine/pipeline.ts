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

/** How background work shares the one engine worker with the page's calls. */
export const YieldDefaults = {
  /** Longest run of background work between breaks. */
  sliceMs: 10,
  /** Longest a break waits for the page's calls in flight to finish. */
  maxWaitMs: 50,
  /** How often a break looks again whether the page's calls are done. */
  pollMs: 4
};

/**
 * Returns the function background stages call between series: the one engine worker per
 * tab also answers the page, so once `sliceMs` have passed since the last break it yields
 * a macrotask (microtasks would not let a message in), and while `busy()` says a call of
 * the page is in flight it keeps waiting, up to `maxWaitMs` (bounded, as a page call may
 * itself run background work, e.g. "clean up now"). Time-sliced, because a timer per
 * series would add its 1–4 ms clamp thousands of times.
 */
export function createYielder(
  options: {
    busy?: () => boolean;
    clock?: () => number;
  } & Partial<typeof YieldDefaults> = {}
): () => Promise<void> {
  const { sliceMs, maxWaitMs, pollMs } = { ...YieldDefaults, ...options };
  const clock = options.clock ?? (() => performance.now());
  const busy = options.busy ?? (() => false);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let last = clock();
  return async () => {
    if (clock() - last < sliceMs && !busy()) return;
    await sleep(0);
    const started = clock();
    while (busy() && clock() - started < maxWaitMs) await sleep(pollMs);
    last = clock();
  };
}
