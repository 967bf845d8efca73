/**
 * The alert rule language (grammar in README.md): a hand-written lexer and recursive-descent
 * parser that report the first error with its line, column and what was expected there.
 */
import type {
  AlertCondition,
  AlertRuleSpec,
  AlertSeverity,
  Comparison,
  LabelMatcher,
  LabelOperator,
  RuleError,
  SeriesSelector
} from './types';
import { needsSketch } from '$lib/tsdb/partial';
import { Aggregates, type Aggregate } from '$lib/types';

/** Aggregates a threshold rule takes: all but the percentiles (any pNN is its own kind). */
const ThresholdAggregates = Aggregates.filter((a) => !needsSketch(a));
const ExpectedFunction = `a function: ${ThresholdAggregates.join(', ')}, p95, rate, anomaly or absent`;

/** Defaults of clauses a rule may leave out. */
export const RuleDefaults = {
  forMs: 0,
  severity: 'warning' as AlertSeverity,
  /** Window of `anomaly(…)` when no `over` is given: the detector scores 1-minute buckets. */
  anomalyWindowMs: 5 * 60_000,
  /** `absent(…)` without `over`: a series with no sample for this long counts as absent. */
  absentGraceMs: 30_000,
  /** Longest window a rule may read (the raw and fine tiers are kept about a day). */
  maxWindowMs: 24 * 3_600_000,
  /** Longest rule text accepted. */
  maxTextLength: 4_000
};

export const Severities: readonly AlertSeverity[] = ['info', 'warning', 'critical'];
const Comparisons: readonly Comparison[] = ['>', '>=', '<', '<=', '==', '!='];
const LabelOperators: readonly LabelOperator[] = ['=', '!=', '=~', '!~'];
const DurationUnits: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000
};

type TokenKind = 'ident' | 'string' | 'numeric' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value of a string token. */
  value: string;
  offset: number;
}

export type ParseResult = { ok: true; spec: AlertRuleSpec } | { ok: false; error: RuleError };

/** Thrown inside the parser only; `parseRule` turns it into a result. */
class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number
  ) {
    super(message);
  }
}

/** 1-based line and column of an offset in `text`. */
export function locateOffset(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const identStart = /[A-Za-z_]/;
const identPart = /[A-Za-z0-9_:.]/;
const numericRe = /(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[A-Za-z0-9.]*/y;
const puncts = [
  '>=',
  '<=',
  '==',
  '!=',
  '=~',
  '!~',
  '(',
  ')',
  '{',
  '}',
  ',',
  '>',
  '<',
  '=',
  '-',
  '+'
];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (identStart.test(c)) {
      while (i < text.length && identPart.test(text[i])) i++;
      out.push({ kind: 'ident', text: text.slice(start, i), value: '', offset: start });
      continue;
    }
    if (/[0-9.]/.test(c)) {
      numericRe.lastIndex = i;
      const m = numericRe.exec(text);
      if (m) {
        i += m[0].length;
        out.push({ kind: 'numeric', text: m[0], value: '', offset: start });
        continue;
      }
    }
    if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length || text[i] === '\n') {
          throw new RuleSyntaxError(`unterminated string: expected a closing ${c}`, start);
        }
        const d = text[i];
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length) {
          const e = text[i + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      out.push({ kind: 'string', text: text.slice(start, i), value, offset: start });
      continue;
    }
    const p = puncts.find((x) => text.startsWith(x, i));
    if (p) {
      i += p.length;
      out.push({ kind: 'punct', text: p, value: '', offset: start });
      continue;
    }
    throw new RuleSyntaxError(`unexpected character '${c}'`, start);
  }
  out.push({ kind: 'eof', text: '', value: '', offset: text.length });
  return out;
}

/**
 * Parses a duration such as `5m`, `90s`, `1h30m` or `250ms` into milliseconds; null when
 * the text is not one.
 *
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
  let i = 0;
  let total = 0;
  if (text.length === 0) return null;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    total += Number(m[1]) * DurationUnits[m[2]];
    i += m[0].length;
  }
  return total;
}

/** Formats milliseconds back into the rule language's duration syntax: 5400000 → "1h30m". */
export function formatRuleDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000]
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}

const describeToken = (t: Token) => (t.kind === 'eof' ? 'the end of the rule' : `'${t.text}'`);

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string
  ) {}

  peek(): Token {
    return this.tokens[this.i];
  }
  next(): Token {
    return this.tokens[this.i++];
  }
  fail(expected: string, token = this.peek()): never {
    throw new RuleSyntaxError(`expected ${expected}, found ${describeToken(token)}`, token.offset);
  }
  isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }
  isPunct(p: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === p;
  }
  expectPunct(p: string, expected = `'${p}'`): Token {
    if (!this.isPunct(p)) this.fail(expected);
    return this.next();
  }

  parseRule(): AlertRuleSpec {
    let name: string | null = null;
    if (this.isWord('alert')) {
      this.next();
      const t = this.peek();
      if (t.kind !== 'string') this.fail('the alert name in quotes, e.g. alert "High CPU"');
      name = t.value.trim();
      if (name === '') throw new RuleSyntaxError('the alert name must not be empty', t.offset);
      this.next();
    }
    if (this.isWord('when')) this.next();
    const condStart = this.peek().offset;
    const condition = this.parseCondition();
    const condEnd = this.tokens[this.i - 1];
    // A rule without `alert "…"` is named after its condition as written.
    const conditionText = this.text
      .slice(condStart, condEnd.offset + condEnd.text.length)
      .replace(/\s+/g, ' ');
    let forMs: number | null = null;
    let clear: AlertRuleSpec['clear'] = null;
    let severity: AlertSeverity | null = null;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (this.isWord('for')) {
        if (forMs !== null) throw new RuleSyntaxError("'for' is given twice", t.offset);
        this.next();
        forMs = this.parseDurationToken("a duration after 'for', e.g. for 2m");
      } else if (this.isWord('clear')) {
        if (clear !== null) throw new RuleSyntaxError("'clear' is given twice", t.offset);
        if (condition.kind === 'absent') {
          throw new RuleSyntaxError(
            "'clear' does not apply to absent(): the alert resolves when a sample arrives",
            t.offset
          );
        }
        this.next();
        const op = this.parseComparison("a comparison after 'clear', e.g. clear < 80");
        const threshold = this.parseNumber('a number after the comparison');
        clear = { op, threshold };
        checkHysteresis(condition, clear, t.offset);
      } else if (this.isWord('severity')) {
        if (severity !== null) throw new RuleSyntaxError("'severity' is given twice", t.offset);
        this.next();
        const s = this.peek();
        const word = s.kind === 'ident' ? s.text.toLowerCase() : '';
        if (!(Severities as readonly string[]).includes(word)) {
          this.fail('a severity: info, warning or critical');
        }
        this.next();
        severity = word as AlertSeverity;
      } else {
        this.fail("'for', 'clear', 'severity' or the end of the rule");
      }
    }
    return {
      name: name ?? conditionText,
      condition,
      forMs: forMs ?? RuleDefaults.forMs,
      clear,
      severity: severity ?? RuleDefaults.severity
    };
  }

  parseCondition(): AlertCondition {
    const fn = this.peek();
    if (fn.kind !== 'ident') {
      this.fail(ExpectedFunction);
    }
    const name = fn.text.toLowerCase();
    const quantile = parsePercentileName(name);
    const known =
      (ThresholdAggregates as readonly string[]).includes(name) ||
      quantile !== null ||
      name === 'rate' ||
      name === 'anomaly' ||
      name === 'absent';
    if (!known) {
      if (/^p\d/.test(name)) {
        throw new RuleSyntaxError(
          `'${fn.text}' is not a percentile: use p1 to p99.9, e.g. p95`,
          fn.offset
        );
      }
      this.fail(ExpectedFunction);
    }
    this.next();
    this.expectPunct('(', `'(' after ${fn.text}`);
    const selector = this.parseSelector();
    this.expectPunct(')', "')' after the series selector");
    let windowMs: number | null = null;
    if (this.isWord('over')) {
      this.next();
      windowMs = this.parseDurationToken("a duration after 'over', e.g. over 5m", true);
    }
    if (name === 'absent') {
      if (Comparisons.includes(this.peek().text as Comparison) && this.peek().kind === 'punct') {
        throw new RuleSyntaxError(
          'absent() takes no comparison: it holds while the series sends no samples',
          this.peek().offset
        );
      }
      return { kind: 'absent', selector, graceMs: windowMs ?? RuleDefaults.absentGraceMs };
    }
    if (windowMs === null && name !== 'anomaly') {
      this.fail(`'over' and a window after ${fn.text}(…), e.g. over 5m`);
    }
    const op = this.parseComparison('a comparison (>, >=, <, <=, ==, !=)');
    const thresholdToken = this.peek();
    const threshold = this.parseNumber('a number after the comparison');
    if (name === 'anomaly') {
      if (threshold < 0 || threshold > 1) {
        throw new RuleSyntaxError(
          'an anomaly score is between 0 and 1, e.g. anomaly(x) >= 0.8',
          thresholdToken.offset
        );
      }
      return {
        kind: 'anomaly',
        selector,
        windowMs: windowMs ?? RuleDefaults.anomalyWindowMs,
        op,
        threshold
      };
    }
    if (name === 'rate') return { kind: 'rate', selector, windowMs: windowMs!, op, threshold };
    if (quantile !== null) {
      return {
        kind: 'percentile',
        quantile,
        label: name,
        selector,
        windowMs: windowMs!,
        op,
        threshold
      };
    }
    return {
      kind: 'threshold',
      aggregate: name as Aggregate,
      selector,
      windowMs: windowMs!,
      op,
      threshold
    };
  }

  parseSelector(): SeriesSelector {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail('a series name, e.g. cpu_usage_percent');
    this.next();
    const matchers: LabelMatcher[] = [];
    if (this.isPunct('{')) {
      this.next();
      while (!this.isPunct('}')) {
        const l = this.peek();
        if (l.kind !== 'ident') this.fail("a label name or '}'");
        this.next();
        const opTok = this.peek();
        if (opTok.kind !== 'punct' || !LabelOperators.includes(opTok.text as LabelOperator)) {
          this.fail('a label operator: =, !=, =~ or !~');
        }
        this.next();
        const v = this.peek();
        if (v.kind !== 'string') this.fail('a label value in quotes, e.g. "eth0"');
        this.next();
        const op = opTok.text as LabelOperator;
        if (op === '=~' || op === '!~') {
          try {
            new RegExp(`^(?:${v.value})$`);
          } catch (e) {
            throw new RuleSyntaxError(
              `invalid regular expression: ${(e as Error).message}`,
              v.offset
            );
          }
        }
        matchers.push({ label: l.text, op, value: v.value });
        if (this.isPunct(',')) this.next();
        else if (!this.isPunct('}')) this.fail("',' or '}'");
      }
      this.next();
    }
    return { name: t.text, matchers, text: formatSelector(t.text, matchers) };
  }

  parseDurationToken(expected: string, positive = false): number {
    const t = this.peek();
    const ms = t.kind === 'numeric' ? parseDuration(t.text) : null;
    if (ms === null) this.fail(`${expected} (units ms, s, m, h, d, w)`);
    if (positive && ms === 0)
      throw new RuleSyntaxError('the window must be longer than 0', t.offset);
    if (ms > RuleDefaults.maxWindowMs) {
      throw new RuleSyntaxError(
        `durations are limited to ${formatRuleDuration(RuleDefaults.maxWindowMs)}`,
        t.offset
      );
    }
    this.next();
    return ms;
  }

  parseComparison(expected: string): Comparison {
    const t = this.peek();
    if (t.kind !== 'punct' || !Comparisons.includes(t.text as Comparison)) this.fail(expected);
    this.next();
    return t.text as Comparison;
  }

  parseNumber(expected: string): number {
    let sign = 1;
    if (this.isPunct('-') || this.isPunct('+')) sign = this.next().text === '-' ? -1 : 1;
    const t = this.peek();
    const n = t.kind === 'numeric' ? Number(t.text) : NaN;
    if (!Number.isFinite(n)) this.fail(expected);
    this.next();
    return sign * n;
  }
}

/** `p95` → 0.95, `p99.9` → 0.999; null when the name is not a percentile in (0, 100). */
function parsePercentileName(name: string): number | null {
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(name);
  if (!m) return null;
  const p = Number(m[1]);
  return p > 0 && p < 100 ? p / 100 : null;
}

/** The canonical text of a selector: `name{a="x",b=~"y"}` (matchers in written order). */
export function formatSelector(name: string, matchers: readonly LabelMatcher[]): string {
  if (matchers.length === 0) return name;
  const quote = (v: string) => JSON.stringify(v);
  return `${name}{${matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(',')}}`;
}

/** True when `value op threshold`; NaN never compares true. */
export function compareValue(value: number, op: Comparison, threshold: number): boolean {
  if (Number.isNaN(value)) return false;
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/**
 * Hysteresis must separate firing from clearing: a value satisfying both would resolve the
 * alert the moment it fired. Probing the thresholds and the points around them is exact
 * for single-threshold comparisons.
 */
function checkHysteresis(
  condition: AlertCondition,
  clear: { op: Comparison; threshold: number },
  offset: number
): void {
  if (condition.kind === 'absent') return;
  const a = condition.threshold;
  const b = clear.threshold;
  const eps = Math.max(Math.abs(a), Math.abs(b), 1) * 1e-9;
  const probes = [a, b, a - eps, a + eps, b - eps, b + eps, (a + b) / 2, -1e300, 1e300];
  const both = probes.find((x) => compareValue(x, condition.op, a) && compareValue(x, clear.op, b));
  if (both !== undefined) {
    throw new RuleSyntaxError(
      `'clear ${clear.op} ${b}' overlaps the firing condition '${condition.op} ${a}': a value ` +
        `such as ${Number(both.toPrecision(6))} would both fire and clear`,
      offset
    );
  }
}

/**
 * Parses a rule's text. On success the spec has every default filled in; on failure the
 * error names the line and column (1-based) and what was expected there. Pure; O(length).
 *
 * @example
 * parseRule('alert "Hot" when avg(cpu_usage_percent) over 5m > 90 for 2m clear < 80');
 * // { ok: true, spec: { name: 'Hot', forMs: 120000, clear: { op: '<', threshold: 80 }, … } }
 */
export function parseRule(text: string): ParseResult {
  const at = (message: string, offset: number): ParseResult => ({
    ok: false,
    error: { message, offset, ...locateOffset(text, offset) }
  });
  if (text.length > RuleDefaults.maxTextLength) {
    return at(`the rule is longer than ${RuleDefaults.maxTextLength} characters`, 0);
  }
  try {
    const tokens = tokenize(text);
    if (tokens.length === 1)
      return at(
        'the rule is empty: expected a condition, e.g. avg(cpu_usage_percent) over 5m > 90',
        0
      );
    const spec = new Parser(tokens, text).parseRule();
    return { ok: true, spec };
  } catch (e) {
    if (e instanceof RuleSyntaxError) return at(e.message, e.offset);
    throw e;
  }
}

/** "line 2, column 14: expected …" — the message the editor shows. */
export function formatRuleError(error: RuleError): string {
  return `line ${error.line}, column ${error.column}: ${error.message}`;
}
