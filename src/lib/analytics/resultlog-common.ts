/**
 * Helpers shared by the result-log views and queries: field normalisation (events come
 * from JSON imports, so any field may be null, missing or the wrong type), organisation
 * scoping and exact duration bags.
 */
import type { ResultEvent } from '$lib/types';
import { computeQuantileSorted } from './stats';

/** Statuses counted as success; everything else (failure, timeout, …) is a failure. */
export const SuccessStatuses: readonly string[] = ['success'];

/** Label used for a missing action type, status or trigger. */
export const UnknownLabel = 'unknown';

/**
 * The action type of an event, or `unknown` when missing or empty. O(1).
 * @example readActionType({ actionType: '' } as ResultEvent) // 'unknown'
 */
export function readActionType(e: ResultEvent): string {
  const a = e.actionType as unknown;
  return typeof a === 'string' && a !== '' ? a : UnknownLabel;
}

/**
 * The status of an event, lower-cased, or `unknown`. O(1).
 * @example readStatus({ status: 'SUCCESS' } as ResultEvent) // 'success'
 */
export function readStatus(e: ResultEvent): string {
  const s = e.status as unknown;
  return typeof s === 'string' && s !== '' ? s.toLowerCase() : UnknownLabel;
}

/**
 * Whether the event succeeded (its status is one of `SuccessStatuses`). O(1).
 * @example checkSuccess({ status: 'success' } as ResultEvent) // true
 */
export function checkSuccess(e: ResultEvent, statuses: readonly string[] = SuccessStatuses) {
  return statuses.includes(readStatus(e));
}

/**
 * The event's duration when it is a finite non-negative number, else NaN (a gap). O(1).
 * @example readDuration({ durationMs: null } as unknown as ResultEvent) // NaN
 */
export function readDuration(e: ResultEvent): number {
  const d = e.durationMs as unknown;
  return typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : NaN;
}

/**
 * Retries as a non-negative integer count; missing or invalid → 0. O(1).
 * @example readRetries({ retries: 2 } as ResultEvent) // 2
 */
export function readRetries(e: ResultEvent): number {
  const r = e.retries as unknown;
  return typeof r === 'number' && Number.isFinite(r) && r > 0 ? Math.floor(r) : 0;
}

/**
 * Trigger id, or undefined when missing or empty. O(1).
 * @example readTrigger({ triggerId: 't1' } as ResultEvent) // 't1'
 */
export function readTrigger(e: ResultEvent): string | undefined {
  const t = e.triggerId as unknown;
  return typeof t === 'string' && t !== '' ? t : undefined;
}

/**
 * Keeps only the organisation's events; `organisationId` undefined keeps all. Events
 * without an organisation never match a given id. O(n).
 * @example scopeToOrganisation(events, 'org-a')
 */
export function scopeToOrganisation(
  events: readonly ResultEvent[],
  organisationId: string | undefined
): readonly ResultEvent[] {
  if (organisationId === undefined) return events;
  return events.filter((e) => e && e.organisationId === organisationId);
}

/**
 * Division that answers `fallback` (default 0) instead of NaN/Infinity for a zero
 * denominator. O(1).
 * @example divideSafely(1, 0) // 0
 */
export function divideSafely(num: number, den: number, fallback = 0): number {
  return den === 0 || !Number.isFinite(den) ? fallback : num / den;
}

/**
 * Exact multiset of durations kept sorted: additions wait in `pending` and are sorted and
 * merged in on `settle`, so adding k values to a bag of n costs O(k log k + n) rather
 * than re-sorting n + k.
 */
export class DurationBag {
  sorted: Float64Array = new Float64Array(0);
  pending: number[] = [];
  sum = 0;

  add(d: number): void {
    this.pending.push(d);
    this.sum += d;
  }

  get size(): number {
    return this.sorted.length + this.pending.length;
  }

  /** Merges pending values into `sorted`. O(k log k + n). */
  settle(): Float64Array {
    const k = this.pending.length;
    if (k === 0) return this.sorted;
    const add = Float64Array.from(this.pending).sort();
    this.pending = [];
    const old = this.sorted;
    if (old.length === 0) {
      this.sorted = add;
      return add;
    }
    const out = new Float64Array(old.length + k);
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < old.length && j < k) out[o++] = old[i] <= add[j] ? old[i++] : add[j++];
    while (i < old.length) out[o++] = old[i++];
    while (j < k) out[o++] = add[j++];
    this.sorted = out;
    return out;
  }

  /** Exact type-7 quantile; NaN when empty. */
  quantile(q: number): number {
    return computeQuantileSorted(this.settle(), q);
  }
}
