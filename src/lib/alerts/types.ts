/**
 * Plain data of the alert rule language and its evaluation (see README.md). Pure: no
 * storage, no clock; times are epoch milliseconds.
 */
import type { Aggregate } from '$lib/types';

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type LabelOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: LabelOperator;
  value: string;
}

/** `name{label="v",…}`: which stored series a rule watches (one alert instance each). */
export interface SeriesSelector {
  name: string;
  matchers: LabelMatcher[];
  /** The selector as written, normalised (for display and absent-instance keys). */
  text: string;
}

export type AlertCondition =
  | {
      kind: 'threshold';
      /** Any but the percentiles, which are rules of their own kind (any pNN). */
      aggregate: Aggregate;
      selector: SeriesSelector;
      windowMs: number;
      op: Comparison;
      threshold: number;
    }
  | {
      kind: 'percentile';
      /** The quantile in (0, 1): p95 → 0.95. */
      quantile: number;
      /** As written: 'p95'. */
      label: string;
      selector: SeriesSelector;
      windowMs: number;
      op: Comparison;
      threshold: number;
    }
  | {
      kind: 'rate';
      selector: SeriesSelector;
      windowMs: number;
      op: Comparison;
      threshold: number;
    }
  | {
      kind: 'anomaly';
      selector: SeriesSelector;
      windowMs: number;
      op: Comparison;
      threshold: number;
    }
  | {
      kind: 'absent';
      selector: SeriesSelector;
      /** A series with no sample in the last `graceMs` counts as absent. */
      graceMs: number;
    };

export type AlertConditionKind = AlertCondition['kind'];

/** A rule as parsed from its text. */
export interface AlertRuleSpec {
  name: string;
  condition: AlertCondition;
  /** How long the condition must hold before pending turns firing. */
  forMs: number;
  /** Hysteresis: a firing alert resolves only when this holds (default: the condition stops). */
  clear: { op: Comparison; threshold: number } | null;
  severity: AlertSeverity;
}

/** A stored rule: its text is the source of truth; `spec` is parsed from it. */
export interface AlertRule extends AlertRuleSpec {
  id: string;
  text: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  /** No notifications until then (epoch ms); the rule is still evaluated. */
  snoozedUntil: number | null;
}

/** Where in the rule text something is wrong (1-based line and column). */
export interface RulePosition {
  line: number;
  column: number;
  offset: number;
}

export interface RuleError extends RulePosition {
  message: string;
}

export interface RuleWarning {
  message: string;
}

export type AlertStatus = 'ok' | 'pending' | 'firing';

/** What happened to one alert instance: its status changed. */
export type AlertTransitionKind = 'pending' | 'firing' | 'resolved' | 'cancelled';

/** The evaluated state of one rule on one series, kept between passes. */
export interface AlertInstanceState {
  status: AlertStatus;
  /** When the current status began (for pending: when the condition began to hold). */
  since: number;
  /** The latest value (NaN: no data in the window). */
  value: number;
  evaluatedAt: number;
  /** Set by the user while firing; cleared when the alert resolves. */
  acknowledged: boolean;
}

export interface AlertTransition {
  ruleId: string;
  ruleName: string;
  severity: AlertSeverity;
  seriesKey: string;
  kind: AlertTransitionKind;
  t: number;
  value: number;
}

/**
 * One input of an evaluation: the value of the rule's expression on one series (NaN: no
 * data), or for absence rules the time of its newest sample (null: never seen).
 */
export interface AlertInput {
  seriesKey: string;
  value: number;
  lastSeen?: number | null;
}
