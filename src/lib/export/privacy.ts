import type { ResultEvent } from '../types';

/**
 * Privacy filters applied to what an export carries, before anything is written. Each one
 * reports what it removed, so the export preview can list it for the user.
 *
 * - PII stripping of result events: identifiers (`triggerId`, `organisationId`) are kept,
 *   replaced by a salted SHA-256 pseudonym (same id → same pseudonym within one export; a
 *   fresh salt per export, so two exports cannot be joined), or dropped; the free-text
 *   `errorMessage` is kept, redacted (emails, IP addresses, UUIDs, long digit runs such as
 *   phone or card numbers replaced by `[email]`, `[ip]`, `[id]`, `[number]`) or dropped;
 *   `context` is kept, redacted (keys that name a person or address dropped, strings
 *   redacted, nested values dropped) or dropped.
 * - k-anonymity of grouped event exports: groups of fewer than k events are suppressed.
 * - Outlier suppression: values outside Tukey's far-out fences (Q1 − 3·IQR, Q3 + 3·IQR)
 *   are left out, so a single extreme value cannot single out a moment or a person.
 */
export type IdAction = 'keep' | 'hash' | 'drop';
export type TextAction = 'keep' | 'redact' | 'drop';

export interface PiiPolicy {
  ids: IdAction;
  errorMessage: TextAction;
  context: TextAction;
}

/** Safe by default: pseudonymous ids, redacted messages, no free-form context. */
export const PiiDefaults: PiiPolicy = { ids: 'hash', errorMessage: 'redact', context: 'drop' };

/** What a filter removed, one line of the preview's "fields removed" list. */
export interface PrivacyRemoval {
  field: string;
  action: 'dropped' | 'hashed' | 'redacted' | 'suppressed';
  /** Values (or events, groups, points) affected. */
  count: number;
  detail: string;
}

/** Patterns redacted in free text, in the order they are applied. */
export const RedactionPatterns: { label: string; pattern: RegExp }[] = [
  { label: '[email]', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  {
    label: '[id]',
    pattern: /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g
  },
  { label: '[ip]', pattern: /\b(?:\d{1,3}\.){3}\d{1,3}\b/g },
  { label: '[ip]', pattern: /\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b/g },
  { label: '[number]', pattern: /\+?\d(?:[\d\s().-]{6,}\d)/g }
];

/** Context keys whose values name or locate a person; dropped in 'redact' mode. */
export const SensitiveKeyPattern =
  /e-?mail|user|name|phone|address|\bip\b|ip_?addr|token|session|password|secret|cookie|auth/i;

/**
 * Free text with emails, IPs, UUIDs and long digit runs replaced by placeholders.
 *
 * Empty input: ''. Complexity O(length × patterns).
 * @example
 * redactText('mail bob@example.com from 10.0.0.1') // 'mail [email] from [ip]'
 */
export function redactText(text: string): string {
  let out = text;
  for (const { label, pattern } of RedactionPatterns) out = out.replace(pattern, label);
  return out;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  );
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * A pseudonym for an identifier: `anon-` and 16 hex digits of SHA-256(salt ‖ NUL ‖ value).
 *
 * Empty input: a pseudonym of ''. Complexity O(length).
 * @example
 * await pseudonymize('org-42', 'salt') // 'anon-…' (same input and salt → same output)
 */
export async function pseudonymize(value: string, salt: string): Promise<string> {
  return `anon-${(await sha256Hex(`${salt}\u0000${value}`)).slice(0, 16)}`;
}

/**
 * Strips PII from result events under a policy. Never mutates the input.
 *
 * Empty input: no events, no removals. Complexity O(events × fields); one hash per distinct id.
 * @example
 * const { events, removed } = await stripEventPii(list, { policy: PiiDefaults, salt: 'x' });
 */
export async function stripEventPii(
  events: ResultEvent[],
  options: { policy: PiiPolicy; salt: string }
): Promise<{ events: ResultEvent[]; removed: PrivacyRemoval[] }> {
  const { policy, salt } = options;
  const tally = new Map<string, PrivacyRemoval>();
  const note = (field: string, action: PrivacyRemoval['action'], detail: string) => {
    const key = `${field}\u0000${action}`;
    const r = tally.get(key);
    if (r) r.count++;
    else tally.set(key, { field, action, count: 1, detail });
  };
  const pseudonyms = new Map<string, string>();
  const hashId = async (v: string) => {
    let p = pseudonyms.get(v);
    if (p === undefined) pseudonyms.set(v, (p = await pseudonymize(v, salt)));
    return p;
  };
  const out: ResultEvent[] = [];
  for (const e of events) {
    const c: ResultEvent = { ...e };
    for (const field of ['triggerId', 'organisationId'] as const) {
      const v = e[field];
      if (v === undefined || policy.ids === 'keep') continue;
      if (policy.ids === 'drop') {
        delete c[field];
        note(field, 'dropped', 'identifier removed');
      } else {
        c[field] = await hashId(v);
        note(field, 'hashed', 'replaced by a salted SHA-256 pseudonym (fresh salt per export)');
      }
    }
    if (e.errorMessage !== undefined && policy.errorMessage !== 'keep') {
      if (policy.errorMessage === 'drop') {
        delete c.errorMessage;
        note('errorMessage', 'dropped', 'free text removed');
      } else {
        const r = redactText(e.errorMessage);
        c.errorMessage = r;
        if (r !== e.errorMessage)
          note('errorMessage', 'redacted', 'emails, IPs, UUIDs and long numbers replaced');
      }
    }
    if (e.context !== undefined && policy.context !== 'keep') {
      if (policy.context === 'drop') {
        delete c.context;
        note('context', 'dropped', 'free-form context removed');
      } else {
        const kept: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(e.context)) {
          if (SensitiveKeyPattern.test(k))
            note(`context.${k}`, 'dropped', 'names a person or address');
          else if (typeof v === 'string') {
            const r = redactText(v);
            if (r !== v)
              note(`context.${k}`, 'redacted', 'emails, IPs, UUIDs and long numbers replaced');
            kept[k] = r;
          } else if (typeof v === 'number' || typeof v === 'boolean' || v === null) kept[k] = v;
          else note(`context.${k}`, 'dropped', 'nested value removed');
        }
        c.context = kept;
      }
    }
    out.push(c);
  }
  return { events: out, removed: [...tally.values()] };
}

/** Fields events can be grouped by; 'hour' and 'day' are UTC buckets of `t`. */
export type EventDimension =
  'actionType' | 'status' | 'triggerId' | 'organisationId' | 'hour' | 'day';

export const KAnonymityDefaults = { k: 5, by: ['actionType', 'status'] as EventDimension[] };

/** One group of a k-anonymous event export. */
export interface EventGroup {
  key: Partial<Record<EventDimension, string>>;
  count: number;
  /** Mean duration over the group's finite durations (NaN when none). */
  meanDurationMs: number;
  failures: number;
}

const FAILED = /^(fail|failed|failure|error|errored|timeout|timed_out|cancelled)$/i;

function dimensionValue(e: ResultEvent, d: EventDimension): string {
  if (d === 'hour') return new Date(Math.floor(e.t / 3_600_000) * 3_600_000).toISOString();
  if (d === 'day')
    return new Date(Math.floor(e.t / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
  return e[d] ?? '';
}

/** Groups events page by page; `finish` applies the k threshold. */
export interface EventGrouper {
  add(events: ResultEvent[]): void;
  finish(): { groups: EventGroup[]; suppressedGroups: number; suppressedEvents: number };
}

/**
 * An incremental `groupEventsKAnonymous`: only the group accumulators stay in memory, so
 * an export can feed events a page at a time.
 *
 * Empty input: no groups, nothing suppressed. Complexity O(events × dims + groups log groups).
 * @example
 * const g = createEventGrouper({ by: ['status'], k: 5 }); g.add(page1); g.add(page2); g.finish();
 */
export function createEventGrouper(options: { by: EventDimension[]; k?: number }): EventGrouper {
  const k = Math.max(1, Math.floor(options.k ?? KAnonymityDefaults.k));
  const acc = new Map<string, EventGroup & { durSum: number; durN: number }>();
  return {
    add(events) {
      for (const e of events) {
        const values = options.by.map((d) => dimensionValue(e, d));
        const id = JSON.stringify(values);
        let g = acc.get(id);
        if (g === undefined) {
          const key: Partial<Record<EventDimension, string>> = {};
          options.by.forEach((d, i) => (key[d] = values[i]));
          g = { key, count: 0, meanDurationMs: NaN, failures: 0, durSum: 0, durN: 0 };
          acc.set(id, g);
        }
        g.count++;
        if (FAILED.test(e.status)) g.failures++;
        if (Number.isFinite(e.durationMs)) {
          g.durSum += e.durationMs;
          g.durN++;
        }
      }
    },
    finish() {
      const groups: EventGroup[] = [];
      let suppressedGroups = 0;
      let suppressedEvents = 0;
      for (const id of [...acc.keys()].sort()) {
        const g = acc.get(id)!;
        if (g.count < k) {
          suppressedGroups++;
          suppressedEvents += g.count;
          continue;
        }
        groups.push({
          key: g.key,
          count: g.count,
          meanDurationMs: g.durN > 0 ? g.durSum / g.durN : NaN,
          failures: g.failures
        });
      }
      return { groups, suppressedGroups, suppressedEvents };
    }
  };
}

/**
 * Groups events by the chosen dimensions and suppresses every group of fewer than `k`
 * events (k-anonymity over those quasi-identifiers: each released row stands for at least
 * k events). Groups come out sorted by key.
 *
 * Empty input: no groups, nothing suppressed. Complexity O(events × dims + groups log groups).
 * @example
 * groupEventsKAnonymous(events, { by: ['actionType'], k: 5 }).groups // groups of ≥ 5 only
 */
export function groupEventsKAnonymous(
  events: ResultEvent[],
  options: { by: EventDimension[]; k?: number }
): { groups: EventGroup[]; suppressedGroups: number; suppressedEvents: number } {
  const g = createEventGrouper(options);
  g.add(events);
  return g.finish();
}

export const OutlierDefaults = { factor: 3 };

/** Tukey fences: values outside [low, high] are outliers. */
export interface Fences {
  low: number;
  high: number;
}

/**
 * Tukey's fences from the first and third quartiles: [Q1 − f·IQR, Q3 + f·IQR].
 *
 * Empty input (no finite quartiles): fences of ±Infinity, which keep every finite value.
 * Complexity O(1).
 * @example
 * computeFences({ q1: 10, q3: 20 }) // { low: -20, high: 50 }
 */
export function computeFences(options: { q1: number; q3: number; factor?: number }): Fences {
  const { q1, q3 } = options;
  const f = options.factor ?? OutlierDefaults.factor;
  if (!Number.isFinite(q1) || !Number.isFinite(q3)) return { low: -Infinity, high: Infinity };
  const iqr = q3 - q1;
  return { low: q1 - f * iqr, high: q3 + f * iqr };
}

/**
 * Leaves out points whose value is outside the fences (±Infinity included); NaN gaps stay.
 * Returns the input arrays themselves when nothing is removed.
 *
 * Empty input: empty output, 0 removed. Complexity O(points).
 * @example
 * suppressOutliers({ t: Float64Array.of(1, 2), v: Float64Array.of(1, 1e9) }, { low: 0, high: 10 }).removed // 1
 */
export function suppressOutliers(
  points: { t: Float64Array; v: Float64Array },
  fences: Fences
): { t: Float64Array; v: Float64Array; removed: number } {
  const { t, v } = points;
  let keep = 0;
  for (let i = 0; i < v.length; i++) if (!(v[i] < fences.low || v[i] > fences.high)) keep++;
  if (keep === v.length) return { t, v, removed: 0 };
  const ot = new Float64Array(keep);
  const ov = new Float64Array(keep);
  let o = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < fences.low || v[i] > fences.high) continue;
    ot[o] = t[i];
    ov[o++] = v[i];
  }
  return { t: ot, v: ov, removed: v.length - keep };
}
