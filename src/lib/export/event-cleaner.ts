import { createSketch } from '../tsdb/sketch';
import type { ResultEvent } from '../types';
import {
  computeFences,
  createEventGrouper,
  KAnonymityDefaults,
  PiiDefaults,
  stripEventPii,
  type EventDimension,
  type Fences,
  type PiiPolicy,
  type PrivacyRemoval
} from './privacy';
import { writeEventGroups } from './stream';
import type { EventGroupsText } from './types';

/**
 * The privacy pipeline for result-log events, fed a page at a time so a long log never sits
 * in memory whole. One salt for every page keeps an id's pseudonym the same across pages,
 * and the removals are tallied across pages into one line per field and action.
 *
 * Outlier suppression needs the whole range first: feed every page to `measure` (the first
 * pass), then to `clean` (the second); the Tukey far-out fences are fixed at the first
 * `clean`. Without `measure`, `clean` only strips PII.
 */
export interface EventCleaner {
  /** First pass, only when outliers are suppressed: sketches the durations. */
  measure(page: ResultEvent[]): void;
  /** Strips PII, tallies what it removed, and leaves out events with an outlying duration. */
  clean(page: ResultEvent[]): Promise<ResultEvent[]>;
  /** What the cleaning removed so far: the PII tally, then the outlying events (if any). */
  removals(): PrivacyRemoval[];
}

/**
 * Creates an event cleaner for one export.
 *
 * Empty input: pages of no events give [] and add nothing. Complexity O(events) per pass.
 * @example
 * const cleaner = createEventCleaner({ policy: PiiDefaults, salt });
 * for (const page of pages) write(await cleaner.clean(page));
 * removed.push(...cleaner.removals());
 */
export function createEventCleaner(options: { policy?: PiiPolicy; salt: string }): EventCleaner {
  const policy = options.policy ?? PiiDefaults;
  const tally = new Map<string, PrivacyRemoval>();
  const sketch = createSketch();
  let fences: Fences | null | undefined;
  let outlying = 0;
  return {
    measure(page) {
      for (const e of page) sketch.add(e.durationMs);
    },
    async clean(page) {
      fences ??=
        sketch.count > 0
          ? computeFences({ q1: sketch.quantile(0.25), q3: sketch.quantile(0.75) })
          : null;
      const stripped = await stripEventPii(page, { policy, salt: options.salt });
      for (const r of stripped.removed) {
        const key = `${r.field}\u0000${r.action}`;
        const seen = tally.get(key);
        if (seen) seen.count += r.count;
        else tally.set(key, { ...r });
      }
      const f = fences;
      if (f === null) return stripped.events;
      const kept = stripped.events.filter((e) => !(e.durationMs < f.low || e.durationMs > f.high));
      outlying += stripped.events.length - kept.length;
      return kept;
    },
    removals() {
      const out = [...tally.values()];
      if (outlying > 0 && fences)
        out.push({
          field: 'events.durationMs',
          action: 'suppressed',
          count: outlying,
          detail: `events with a duration outside ${fences.low.toFixed(1)}…${fences.high.toFixed(1)} ms (Tukey far-out fences) left out`
        });
      return out;
    }
  };
}

/**
 * k-anonymous groups of cleaned events, written as CSV and NDJSON, with the removal line for
 * the groups suppressed (fewer than `k` events). `by` empty: KAnonymityDefaults.by.
 *
 * Empty input: no groups, no removal. Complexity O(events + groups log groups).
 * @example
 * const groups = createEventGroups({ by: ['actionType'], k: 5 });
 * groups.add(await cleaner.clean(page));
 * const { text, removal } = groups.finish();
 */
export function createEventGroups(options: { by: EventDimension[]; k: number }): {
  add(clean: ResultEvent[]): void;
  finish(): { text: EventGroupsText; removal: PrivacyRemoval | null };
} {
  const by = options.by.length > 0 ? options.by : KAnonymityDefaults.by;
  const grouper = createEventGrouper({ by, k: options.k });
  return {
    add: (clean) => grouper.add(clean),
    finish() {
      const g = grouper.finish();
      return {
        text: {
          csv: writeEventGroups(g.groups, { by, format: 'csv' }),
          ndjson: writeEventGroups(g.groups, { by, format: 'ndjson' }),
          rows: g.groups.length
        },
        removal:
          g.suppressedGroups > 0
            ? {
                field: 'event groups',
                action: 'suppressed',
                count: g.suppressedGroups,
                detail: `groups of fewer than ${options.k} events (${g.suppressedEvents} events) suppressed for k-anonymity`
              }
            : null
      };
    }
  };
}
