/**
 * Alert evaluation: one pass of one rule over its inputs, from the previous states to the
 * next, Prometheus-style. Pure and deterministic: `now` is an argument.
 *
 *   ok ──condition holds──▶ pending ──held for `for`──▶ firing ──clear holds──▶ ok
 *    ▲                        │ condition stops                                (resolved)
 *    └────────(cancelled)─────┘
 *
 * With `for 0s` an alert goes from ok to firing in one pass. No data (NaN) never satisfies a
 * comparison: a pending alert is cancelled, but a firing one stays firing, since missing data
 * is no evidence of recovery (an absent() rule is the tool for silence).
 */
import { compareValue } from './parse';
import type {
  AlertInput,
  AlertInstanceState,
  AlertRuleSpec,
  AlertTransition,
  AlertTransitionKind
} from './types';

export interface EvaluationResult {
  /** The next state of every instance that has one (instances without input included). */
  states: Record<string, AlertInstanceState>;
  /** Status changes, in input order. */
  transitions: AlertTransition[];
  /**
   * Instances without input that ended up ok (their series is gone, or an absent() rule's
   * placeholder is no longer needed): the caller may forget them; they are not in `states`.
   */
  dropped: string[];
}

/** The rule fields evaluation reads (a stored rule or a bare spec with an id). */
export type EvaluableRule = AlertRuleSpec & { id: string; createdAt: number };

/**
 * Evaluates one rule at `now`. `inputs` hold one entry per watched series; a previous
 * state without an input is evaluated as "no data" (for absent(): its series is back, so
 * it resolves). A pass at or before an instance's last evaluation changes nothing, so a
 * retried or duplicated pass is harmless. O(inputs + previous states).
 *
 * @example
 * evaluateRule(rule, [{ seriesKey: 'cpu', value: 95 }], {}, 1000)
 * // with `> 90 for 0s`: { states: { cpu: { status: 'firing', since: 1000, … } }, transitions: [{ kind: 'firing', … }] }
 */
export function evaluateRule(
  rule: EvaluableRule,
  inputs: readonly AlertInput[],
  previous: Readonly<Record<string, AlertInstanceState>>,
  now: number
): EvaluationResult {
  const states: Record<string, AlertInstanceState> = {};
  const transitions: AlertTransition[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  const step = (key: string, input: AlertInput | null) => {
    const prev = previous[key];
    if (prev && now <= prev.evaluatedAt) {
      states[key] = prev;
      return;
    }
    const { state, kind } = stepInstance(rule, input, prev, now);
    if (input === null && state.status === 'ok') dropped.push(key);
    else states[key] = state;
    if (kind) {
      transitions.push({
        ruleId: rule.id,
        ruleName: rule.name,
        severity: rule.severity,
        seriesKey: key,
        kind,
        t: now,
        value: state.value
      });
    }
  };
  for (const input of inputs) {
    if (seen.has(input.seriesKey)) continue;
    seen.add(input.seriesKey);
    step(input.seriesKey, input);
  }
  for (const key of Object.keys(previous)) if (!seen.has(key)) step(key, null);
  return { states, transitions, dropped };
}

function stepInstance(
  rule: EvaluableRule,
  input: AlertInput | null,
  prev: AlertInstanceState | undefined,
  now: number
): { state: AlertInstanceState; kind: AlertTransitionKind | null } {
  const status = prev?.status ?? 'ok';
  const c = rule.condition;
  let holds: boolean;
  let clears: boolean;
  let value: number;
  // When the condition began to hold: now, or for absent() the last sample's time.
  let heldSince = now;
  if (c.kind === 'absent') {
    if (input === null) {
      // The instance's series no longer needs it (a selector-level instance once a matching
      // series arrived): the absence is over.
      value = NaN;
      holds = false;
    } else {
      const last = input.lastSeen ?? null;
      const from = last ?? rule.createdAt;
      value = last === null ? NaN : (now - last) / 1000;
      holds = now - from >= c.graceMs;
      heldSince = from;
    }
    clears = !holds;
  } else {
    value = input?.value ?? NaN;
    holds = compareValue(value, c.op, c.threshold);
    clears = Number.isNaN(value)
      ? false
      : rule.clear
        ? compareValue(value, rule.clear.op, rule.clear.threshold)
        : !holds;
  }
  const base = { value, evaluatedAt: now, acknowledged: prev?.acknowledged ?? false };
  if (status === 'firing') {
    if (clears)
      return {
        state: { ...base, status: 'ok', since: now, acknowledged: false },
        kind: 'resolved'
      };
    return { state: { ...base, status: 'firing', since: prev!.since }, kind: null };
  }
  if (!holds) {
    if (status === 'pending') {
      return {
        state: { ...base, status: 'ok', since: now, acknowledged: false },
        kind: 'cancelled'
      };
    }
    return { state: { ...base, status: 'ok', since: prev?.since ?? now }, kind: null };
  }
  const pendingSince = status === 'pending' ? prev!.since : heldSince;
  if (now - pendingSince >= rule.forMs) {
    return {
      state: { ...base, status: 'firing', since: now, acknowledged: false },
      kind: 'firing'
    };
  }
  if (status === 'pending')
    return { state: { ...base, status: 'pending', since: pendingSince }, kind: null };
  return { state: { ...base, status: 'pending', since: pendingSince }, kind: 'pending' };
}
