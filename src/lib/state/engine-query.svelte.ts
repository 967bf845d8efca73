import { untrack } from 'svelte';
import type { ChangeNotice } from '$lib/types';
import type { AppState } from './app.svelte';

/** What a page shows of one engine query. */
export interface EngineQuery<T> {
  /** The newest answer; undefined until the first one arrives. */
  readonly current: T | undefined;
  readonly isLoading: boolean;
  /** Why the newest run failed; null after a success. */
  readonly error: Error | null;
  /** Runs the query again now. */
  refresh(): void;
}

export interface EngineQueryOptions {
  /**
   * Which change notices (from any tab's engine) re-run the query; every kind when left out,
   * none when empty.
   */
  on?: readonly ChangeNotice['kind'][];
  /** Wait this long after the last such notice before re-running (notices come in bursts). */
  debounceMs?: number;
}

export const EngineQueryDefaults = { debounceMs: 750 } as const;

/**
 * A live engine query, after Dexie's `stateQuery`: runs `fn` once the database is open, again
 * whenever state that `fn` reads before its first `await` changes (a filter), and again
 * `debounceMs` after change notices of the kinds in `on`. Answers that arrive after a newer
 * run started are dropped. Call it during a component's initialisation (it owns two effects,
 * which end with the component).
 *
 * @example
 * const failures = engineQuery(app, () => app.engine.recentEvents(100), { on: ['events'] });
 * // {#if failures.current} … {/if}
 */
export function engineQuery<T>(
  app: AppState,
  fn: () => Promise<T>,
  options: EngineQueryOptions = {}
): EngineQuery<T> {
  const debounceMs = options.debounceMs ?? EngineQueryDefaults.debounceMs;
  let current = $state.raw<T | undefined>(undefined);
  let isLoading = $state(false);
  let error = $state.raw<Error | null>(null);
  let seq = 0;

  const run = (): void => {
    const mine = ++seq;
    isLoading = true;
    let answer: Promise<T>;
    try {
      answer = fn();
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then(
      (value) => {
        if (mine !== seq) return;
        current = value;
        error = null;
        isLoading = false;
      },
      (e: unknown) => {
        if (mine !== seq) return;
        error = e instanceof Error ? e : new Error(String(e));
        isLoading = false;
      }
    );
  };

  $effect(() => {
    if (app.lifecycle?.kind === 'open') run();
  });
  $effect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = app.subscribe((notice) => {
      if (options.on && !options.on.includes(notice.kind)) return;
      clearTimeout(timer);
      timer = setTimeout(() => untrack(run), debounceMs);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  });

  return {
    get current() {
      return current;
    },
    get isLoading() {
      return isLoading;
    },
    get error() {
      return error;
    },
    refresh: () => untrack(run)
  };
}
