import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatRuleError, parseDuration, parseRule } from './parse';

function error(text: string) {
  const r = parseRule(text);
  if (r.ok) throw new Error(`expected an error for ${text}`);
  return r.error;
}
function spec(text: string) {
  const r = parseRule(text);
  if (!r.ok) throw new Error(formatRuleError(r.error));
  return r.spec;
}

describe('parseRule', () => {
  it('parses a full threshold rule with every clause', () => {
    const s = spec(
      'alert "High CPU"\n  when avg(cpu_usage_percent{host="a"}) over 5m > 90\n  for 2m\n  clear < 80\n  severity critical'
    );
    expect(s).toEqual({
      name: 'High CPU',
      condition: {
        kind: 'threshold',
        aggregate: 'avg',
        selector: {
          name: 'cpu_usage_percent',
          matchers: [{ label: 'host', op: '=', value: 'a' }],
          text: 'cpu_usage_percent{host="a"}'
        },
        windowMs: 300_000,
        op: '>',
        threshold: 90
      },
      forMs: 120_000,
      clear: { op: '<', threshold: 80 },
      severity: 'critical'
    });
  });

  it.each([
    ['rate(node_network_receive_bytes_total{device="eth0"}) over 1m > 1e6', 'rate', 1e6],
    ['p95(latency_ms) over 5m > 300', 'percentile', 300],
    ['anomaly(latency_ms{host="a"}) >= 0.8', 'anomaly', 0.8],
    ['max(x) over 10s <= -5', 'threshold', -5]
  ])('parses %s', (text, kind, threshold) => {
    const s = spec(text);
    expect(s.condition.kind).toBe(kind);
    expect((s.condition as { threshold: number }).threshold).toBe(threshold);
    // Without `alert "…"` the rule is named after its condition; defaults fill the rest.
    expect(s.name).toBe(text);
    expect(s.forMs).toBe(0);
    expect(s.severity).toBe('warning');
    expect(s.clear).toBeNull();
  });

  it('reads p95 as the 0.95 quantile and anomaly windows default to 5 minutes', () => {
    const p = spec('p99.9(latency_ms) over 1h > 1').condition;
    expect(p).toMatchObject({ kind: 'percentile', windowMs: 3_600_000 });
    expect((p as { quantile: number }).quantile).toBeCloseTo(0.999, 12);
    expect(spec('anomaly(x) > 0.5').condition).toMatchObject({ windowMs: 300_000 });
  });

  it('keeps a name that looks like anything', () => {
    expect(spec('alert "12:34" when last(x) over 1m > 1').name).toBe('12:34');
    expect(spec('max(x)\n  over   1m > 1 # c').name).toBe('max(x) over 1m > 1');
  });

  it('parses absence with its for duration and a default grace', () => {
    const s = spec('absent(agent_cpu_percent) for 2m');
    expect(s.condition).toEqual({
      kind: 'absent',
      selector: { name: 'agent_cpu_percent', matchers: [], text: 'agent_cpu_percent' },
      graceMs: 30_000
    });
    expect(s.forMs).toBe(120_000);
  });

  it('parses every label operator and regular expressions', () => {
    const s = spec('last(m{a="1", b!="2", c=~"x|y", d!~"z.*",}) over 1m > 0');
    expect(s.condition.selector.matchers.map((m) => m.op)).toEqual(['=', '!=', '=~', '!~']);
    expect(s.condition.selector.text).toBe('m{a="1",b!="2",c=~"x|y",d!~"z.*"}');
  });

  it('ignores comments and accepts clauses in any order', () => {
    const s = spec(
      '# watch it\nalert "x" severity info clear < 1 max(y) over 1m > 2'.replace(
        'severity info clear < 1 max(y) over 1m > 2',
        'max(y) over 1m > 2 severity info # note\n clear < 1 for 1h30m'
      )
    );
    expect(s).toMatchObject({
      severity: 'info',
      clear: { op: '<', threshold: 1 },
      forMs: 5_400_000
    });
  });

  // Each error: where (line, column, counted by hand in the text) and what was expected.
  it.each([
    [
      'avg(cpu) over 5x > 90',
      1,
      15,
      "expected a duration after 'over', e.g. over 5m (units ms, s, m, h, d, w), found '5x'"
    ],
    ['avg(cpu) > 90', 1, 10, "expected 'over' and a window after avg(…), e.g. over 5m, found '>'"],
    [
      'median(cpu) over 5m > 1',
      1,
      1,
      "expected a function: avg, min, max, sum, count, first, last, stddev, p95, rate, anomaly or absent, found 'median'"
    ],
    [
      'alert "a"\nwhen avg(cpu{host="a"}) over 5m > 90\nfor ten',
      3,
      5,
      "expected a duration after 'for', e.g. for 2m (units ms, s, m, h, d, w), found 'ten'"
    ],
    ['avg(cpu{host="a) over 5m > 1', 1, 14, 'unterminated string: expected a closing "'],
    [
      'avg(cpu{host:"a"}) over 5m > 1',
      1,
      14,
      'expected a label operator: =, !=, =~ or !~, found \'"a"\''
    ],
    ['avg(cpu) over 5m > 90 ;', 1, 23, "unexpected character ';'"],
    [
      'avg(cpu{host="a"} over 5m > 1',
      1,
      19,
      "expected ')' after the series selector, found 'over'"
    ],
    [
      'avg(cpu) over 5m >',
      1,
      19,
      'expected a number after the comparison, found the end of the rule'
    ],
    [
      'avg(cpu) over 5m > 90 clear < 95',
      1,
      23,
      "'clear < 95' overlaps the firing condition '> 90': a value such as 90 would both fire and clear"
    ],
    ['anomaly(x) > 2', 1, 14, 'an anomaly score is between 0 and 1, e.g. anomaly(x) >= 0.8'],
    [
      'absent(x) > 1',
      1,
      11,
      'absent() takes no comparison: it holds while the series sends no samples'
    ],
    [
      'absent(x) clear < 1',
      1,
      11,
      "'clear' does not apply to absent(): the alert resolves when a sample arrives"
    ],
    [
      'max(x) over 1m > 1 severity high',
      1,
      29,
      "expected a severity: info, warning or critical, found 'high'"
    ],
    ['max(x) over 1m > 1 for 1m for 2m', 1, 27, "'for' is given twice"],
    ['max(x{a=~"("}) over 1m > 1', 1, 10, 'invalid regular expression'],
    ['p100(x) over 1m > 1', 1, 1, "'p100' is not a percentile: use p1 to p99.9, e.g. p95"],
    ['', 1, 1, 'the rule is empty']
  ])('%s → line %i, column %i', (text, line, column, message) => {
    const e = error(text);
    expect({ line: e.line, column: e.column }).toEqual({ line, column });
    expect(e.message).toContain(message);
    expect(formatRuleError(e)).toBe(`line ${line}, column ${column}: ${e.message}`);
  });

  it('counts columns from the start of the error line', () => {
    const text = 'alert "a"\n  when max(x) over 1m >> 2';
    const e = error(text);
    // ">>" lexes as '>' then '>' again: the number is missing at the second '>'.
    expect(e.line).toBe(2);
    expect(e.column).toBe(text.split('\n')[1].indexOf('>>') + 2);
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000]
  ])('%s = %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '5', 'm5', '5x', '5 m'])('%s is not a duration', (text) =>
    expect(parseDuration(text)).toBeNull()
  );
});

describe('parseRule on arbitrary text', () => {
  const pieces = [
    'alert',
    '"x"',
    'when',
    'avg',
    'p95',
    'rate',
    'absent',
    '(',
    ')',
    '{',
    '}',
    'a="b"',
    ',',
    'over',
    '5m',
    '1e6',
    '>',
    '<=',
    'for',
    'clear',
    'severity',
    'critical',
    '\n',
    '#c',
    '-',
    '0.8',
    'x'
  ];
  it('never throws, and every error points inside the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.array(fc.constantFrom(...pieces), { maxLength: 20 }).map((p) => p.join(' '))
        ),
        (text) => {
          const r = parseRule(text);
          if (r.ok) return;
          const lines = text.split('\n');
          expect(r.error.offset).toBeGreaterThanOrEqual(0);
          expect(r.error.offset).toBeLessThanOrEqual(text.length);
          expect(r.error.line).toBeLessThanOrEqual(lines.length);
          expect(r.error.column).toBeLessThanOrEqual(lines[r.error.line - 1].length + 1);
        }
      ),
      { numRuns: 2000 }
    );
  });
});
