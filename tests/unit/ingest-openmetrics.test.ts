import { describe, expect, it } from 'vitest';
import { parseMetricFile } from '../../src/lib/ingest';

/**
 * OpenMetrics 1.0 conformance, our own cases: one or more per MUST of the specification
 * (specification/OpenMetrics.md). Each invalid case is a small exposition with one broken
 * rule next to a valid family (`ok_gauge`), which must still import.
 */
const om = (body: string): Uint8Array => new TextEncoder().encode(body);
const parse = (body: string) =>
  parseMetricFile('case.om', om(body), {
    format: 'openmetrics',
    defaultTimestamp: 1_700_000_000_000
  });
const OK = '# TYPE ok_gauge gauge\nok_gauge 1\n';

const valid: [string, string][] = [
  ['empty exposition', '# EOF\n'],
  ['EOF without a final newline', '# TYPE a gauge\na 1\n# EOF'],
  [
    'gauge with labels, timestamps and metadata in spec order',
    '# TYPE foo_seconds gauge\n# UNIT foo_seconds seconds\n# HELP foo_seconds Some text and \\n some \\" escaping\nfoo_seconds{a="b"} 17.0 1520879607.789\nfoo_seconds{a="c"} 18 1520879607.789\n# EOF\n'
  ],
  [
    'counter with created and exemplar',
    '# TYPE foo counter\nfoo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67\nfoo_created 1520430000.123 1520879607.789\n# EOF\n'
  ],
  [
    'histogram',
    '# TYPE foo histogram\nfoo_bucket{le="0.0"} 0\nfoo_bucket{le="1e-05"} 0\nfoo_bucket{le="0.1"} 8 # {} 0.054\nfoo_bucket{le="1.0"} 11\nfoo_bucket{le="+Inf"} 17\nfoo_count 17\nfoo_sum 324789.3\nfoo_created 1520430000.123\n# EOF\n'
  ],
  [
    'histogram with negative buckets and no sum',
    '# TYPE foo histogram\nfoo_bucket{le="-1.0"} 1\nfoo_bucket{le="+Inf"} 2\nfoo_count 2\n# EOF\n'
  ],
  [
    'gaugehistogram',
    '# TYPE foo gaugehistogram\nfoo_bucket{le="0.01"} 20.0\nfoo_bucket{le="+Inf"} 22\nfoo_gcount 22\nfoo_gsum 2\n# EOF\n'
  ],
  [
    'summary with NaN quantile',
    '# TYPE foo summary\nfoo{quantile="0.5"} NaN\nfoo{quantile="0.99"} 3\nfoo_count 17\nfoo_sum 324789.3\nfoo_created 1520430000.123\n# EOF\n'
  ],
  [
    'stateset',
    '# TYPE foo stateset\nfoo{entity="controller",foo="a"} 1.0\nfoo{entity="controller",foo="bb"} 0.0\nfoo{entity="replica",foo="a"} 0\nfoo{entity="replica",foo="bb"} 1\n# EOF\n'
  ],
  ['info', '# TYPE foo info\nfoo_info{name="pretty name",version="8.2.7"} 1\n# EOF\n'],
  ['unknown without TYPE', 'foo 1\nbar{a="b"} -Inf\nbaz +inf\nqux nan\n# EOF\n'],
  [
    'several metric points per metric, not interleaved',
    '# TYPE foo_seconds summary\n# UNIT foo_seconds seconds\nfoo_seconds_count{a="bb"} 0 123\nfoo_seconds_sum{a="bb"} 0 123\nfoo_seconds_count{a="bb"} 0 456\nfoo_seconds_sum{a="bb"} 0 456\nfoo_seconds_count{a="ccc"} 0 123\nfoo_seconds_sum{a="ccc"} 0 123\n# EOF\n'
  ],
  ['empty unit and help', '# TYPE foo gauge\n# UNIT foo \n# HELP foo \nfoo 1\n# EOF\n'],
  ['label value escapes and empty label set', 'foo{a="x\\\\y\\"z\\n"} 1\nbar{} 2\n# EOF\n'],
  ['integers with leading zeros and exponents', 'foo 0042\nbar 1.5e3\nbaz .5\n# EOF\n']
];

const invalid: [string, string, RegExp][] = [
  ['no # EOF', OK, /must end with "# EOF"/],
  ['content after # EOF', OK + '# EOF\nfoo 1\n', /content after # EOF/],
  ['a blank line after # EOF', OK + '# EOF\n\n', /content after # EOF/],
  ['a blank line', OK + '\nfoo 1\n# EOF\n', /empty lines/],
  ['CRLF line ends', '# TYPE foo gauge\r\nfoo 1\r\n' + OK + '# EOF\n', /\\r/],
  ['a free comment', '# hello\n' + OK + '# EOF\n', /only # TYPE/],
  ['an unknown type', '# TYPE foo untyped\nfoo 1\n' + OK + '# EOF\n', /invalid type "untyped"/],
  ['an upper-case type', '# TYPE foo Gauge\nfoo 1\n' + OK + '# EOF\n', /invalid type/],
  [
    'repeated TYPE',
    '# TYPE foo gauge\n# TYPE foo gauge\nfoo 1\n' + OK + '# EOF\n',
    /repeated # TYPE/
  ],
  ['repeated HELP', '# HELP foo a\n# HELP foo b\nfoo 1\n' + OK + '# EOF\n', /repeated # HELP/],
  [
    'repeated UNIT',
    '# TYPE foo_s gauge\n# UNIT foo_s s\n# UNIT foo_s s\nfoo_s 1\n' + OK + '# EOF\n',
    /repeated # UNIT/
  ],
  [
    'metadata after samples',
    '# TYPE foo gauge\nfoo 1\n# HELP foo late\n' + OK + '# EOF\n',
    /after its samples/
  ],
  [
    'a unit that is not the suffix',
    '# TYPE foo counter\n# UNIT foo seconds\nfoo_total 1\n' + OK + '# EOF\n',
    /not the suffix/
  ],
  [
    'a unit on an info',
    '# TYPE foo_x info\n# UNIT foo_x x\nfoo_x_info 1\n' + OK + '# EOF\n',
    /empty unit/
  ],
  [
    'a unit on a stateset',
    '# UNIT foo_x x\n# TYPE foo_x stateset\nfoo_x{foo_x="a"} 1\n' + OK + '# EOF\n',
    /empty unit/
  ],
  ['interleaved families', '# TYPE foo gauge\nfoo 1\n' + OK + 'foo 2\n# EOF\n', /appears twice/],
  [
    'a family declared again',
    '# TYPE foo gauge\nfoo 1\n' + OK + '# TYPE foo gauge\nfoo 2\n# EOF\n',
    /appears twice/
  ],
  [
    'clashing names',
    '# TYPE foo counter\nfoo_total 1\n# TYPE foo_created gauge\nfoo_created 1\n' + OK + '# EOF\n',
    /clashes/
  ],
  ['a reserved family name', '_foo 1\n' + OK + '# EOF\n', /reserved/],
  ['a reserved label name', 'foo{__a="b"} 1\n' + OK + '# EOF\n', /reserved/],
  [
    'a counter without _total',
    '# TYPE foo counter\nfoo 1\n' + OK + '# EOF\n',
    /has no samples named/
  ],
  ['a negative counter', '# TYPE foo counter\nfoo_total -1\n' + OK + '# EOF\n', /NaN or negative/],
  ['a NaN counter', '# TYPE foo counter\nfoo_total NaN\n' + OK + '# EOF\n', /NaN or negative/],
  [
    'an info value other than 1',
    '# TYPE foo info\nfoo_info{a="b"} 2\n' + OK + '# EOF\n',
    /must be 1/
  ],
  [
    'a stateset value other than 0/1',
    '# TYPE foo stateset\nfoo{foo="a"} 2\n' + OK + '# EOF\n',
    /0 or 1/
  ],
  [
    'a stateset without its label',
    '# TYPE foo stateset\nfoo{bar="a"} 1\n' + OK + '# EOF\n',
    /needs the label foo/
  ],
  [
    'a histogram without +Inf',
    '# TYPE foo histogram\nfoo_bucket{le="1"} 1\nfoo_count 1\n' + OK + '# EOF\n',
    /\+Inf bucket/
  ],
  [
    'a histogram with no bucket',
    '# TYPE foo histogram\nfoo_count 1\nfoo_sum 1\n' + OK + '# EOF\n',
    /\+Inf bucket/
  ],
  [
    'unordered buckets',
    '# TYPE foo histogram\nfoo_bucket{le="2"} 1\nfoo_bucket{le="1"} 1\nfoo_bucket{le="+Inf"} 1\n' +
      OK +
      '# EOF\n',
    /increasing le/
  ],
  [
    'repeated bucket thresholds',
    '# TYPE foo histogram\nfoo_bucket{le="1"} 1\nfoo_bucket{le="1.0"} 1\nfoo_bucket{le="+Inf"} 1\n' +
      OK +
      '# EOF\n',
    /unique/
  ],
  [
    'non-cumulative buckets',
    '# TYPE foo histogram\nfoo_bucket{le="1"} 2\nfoo_bucket{le="+Inf"} 1\n' + OK + '# EOF\n',
    /cumulative/
  ],
  [
    'count differing from +Inf',
    '# TYPE foo histogram\nfoo_bucket{le="+Inf"} 2\nfoo_count 3\n' + OK + '# EOF\n',
    /differs/
  ],
  [
    'a non-integer bucket',
    '# TYPE foo histogram\nfoo_bucket{le="+Inf"} 1.5\n' + OK + '# EOF\n',
    /integer/
  ],
  [
    'a negative bucket value',
    '# TYPE foo histogram\nfoo_bucket{le="+Inf"} -1\n' + OK + '# EOF\n',
    /negative/
  ],
  [
    'a NaN threshold',
    '# TYPE foo histogram\nfoo_bucket{le="NaN"} 1\nfoo_bucket{le="+Inf"} 1\n' + OK + '# EOF\n',
    /not a number/
  ],
  ['a bucket without le', '# TYPE foo histogram\nfoo_bucket 1\n' + OK + '# EOF\n', /needs an le/],
  [
    'le on _count',
    '# TYPE foo histogram\nfoo_bucket{le="+Inf"} 1\nfoo_count{le="1"} 1\n' + OK + '# EOF\n',
    /only _bucket/
  ],
  [
    'a sum with negative thresholds',
    '# TYPE foo histogram\nfoo_bucket{le="-1"} 1\nfoo_bucket{le="+Inf"} 1\nfoo_sum -1\n' +
      OK +
      '# EOF\n',
    /NaN or negative|negative thresholds/
  ],
  [
    'a negative histogram sum',
    '# TYPE foo histogram\nfoo_bucket{le="+Inf"} 1\nfoo_sum -3\n' + OK + '# EOF\n',
    /negative/
  ],
  [
    'a NaN _gsum',
    '# TYPE foo gaugehistogram\nfoo_bucket{le="+Inf"} 1\nfoo_gsum NaN\n' + OK + '# EOF\n',
    /NaN/
  ],
  [
    'a quantile outside [0, 1]',
    '# TYPE foo summary\nfoo{quantile="1.5"} 1\n' + OK + '# EOF\n',
    /between 0 and 1/
  ],
  [
    'a negative quantile value',
    '# TYPE foo summary\nfoo{quantile="0.5"} -1\n' + OK + '# EOF\n',
    /negative/
  ],
  [
    'a summary sample without quantile',
    '# TYPE foo summary\nfoo 1\n' + OK + '# EOF\n',
    /quantile label/
  ],
  ['a negative summary count', '# TYPE foo summary\nfoo_count -1\n' + OK + '# EOF\n', /negative/],
  ['a fractional summary count', '# TYPE foo summary\nfoo_count 1.5\n' + OK + '# EOF\n', /integer/],
  [
    'an exemplar on a gauge',
    '# TYPE foo gauge\nfoo 1 # {a="b"} 1\n' + OK + '# EOF\n',
    /exemplars are allowed only/
  ],
  [
    'an exemplar on _count',
    '# TYPE foo histogram\nfoo_bucket{le="+Inf"} 1\nfoo_count 1 # {a="b"} 1\n' + OK + '# EOF\n',
    /exemplars are allowed only/
  ],
  [
    'an exemplar over 128 code points',
    `# TYPE foo counter\nfoo_total 1 # {a="${'x'.repeat(128)}"} 1\n` + OK + '# EOF\n',
    /at most 128/
  ],
  [
    'an exemplar outside its bucket',
    '# TYPE foo histogram\nfoo_bucket{le="1"} 1 # {} 5\nfoo_bucket{le="+Inf"} 1\n' + OK + '# EOF\n',
    /outside its bucket/
  ],
  [
    'an exemplar without labels',
    '# TYPE foo counter\nfoo_total 1 # 1\n' + OK + '# EOF\n',
    /label set/
  ],
  [
    'interleaved metrics',
    '# TYPE foo gauge\nfoo{a="1"} 1 1\nfoo{a="2"} 1 1\nfoo{a="1"} 2 2\n' + OK + '# EOF\n',
    /metrics must not be interleaved/
  ],
  [
    'interleaved metric points',
    '# TYPE foo summary\nfoo_count 0 123\nfoo_count 0 456\nfoo_sum 0 123\n' + OK + '# EOF\n',
    /interleaved/
  ],
  [
    'timestamps going back',
    '# TYPE foo gauge\nfoo 1 2\nfoo 1 1\n' + OK + '# EOF\n',
    /timestamps must increase/
  ],
  [
    'a repeated timestamp',
    '# TYPE foo gauge\nfoo 1 2\nfoo 1 2\n' + OK + '# EOF\n',
    /timestamps must increase/
  ],
  ['two spaces', 'foo  1\n' + OK + '# EOF\n', /exactly one space/],
  ['a trailing space', 'foo 1 \n' + OK + '# EOF\n', /exactly one space/],
  ['a tab', 'foo\t1\n' + OK + '# EOF\n', /./],
  ['a space in a label set', 'foo{a="b", c="d"} 1\n' + OK + '# EOF\n', /./],
  ['a trailing comma in a label set', 'foo{a="b",} 1\n' + OK + '# EOF\n', /single ","/],
  ['a duplicate label', 'foo{a="b",a="c"} 1\n' + OK + '# EOF\n', /duplicate label/],
  ['an unquoted label value', 'foo{a=b} 1\n' + OK + '# EOF\n', /./],
  ['a hex value', 'foo 0x10\n' + OK + '# EOF\n', /invalid value/],
  ['a value with an underscore', 'foo 1_000\n' + OK + '# EOF\n', /invalid value/],
  ['an invalid timestamp', 'foo 1 NaN\n' + OK + '# EOF\n', /invalid timestamp/],
  ['a timestamp in Inf', 'foo 1 +Inf\n' + OK + '# EOF\n', /invalid timestamp/],
  ['a missing value', 'foo\n' + OK + '# EOF\n', /./],
  ['an invalid metric name', '0foo 1\n' + OK + '# EOF\n', /invalid metric name/],
  ['an invalid name in TYPE', '# TYPE 0foo gauge\n' + OK + '# EOF\n', /invalid metric name/],
  ['TYPE with two spaces', '# TYPE  foo gauge\nfoo 1\n' + OK + '# EOF\n', /./]
];

describe('OpenMetrics: valid expositions import without a problem', () => {
  it.each(valid)('%s', async (_what, body) => {
    const s = await parse(body);
    expect(s.errors).toEqual([]);
    expect(s.format).toBe('openmetrics');
  });
});

describe('OpenMetrics: every rule violation is a line error, valid families still import', () => {
  it.each(invalid)('%s', async (_what, body, reason) => {
    const s = await parse(body);
    expect(s.errors.length).toBeGreaterThan(0);
    expect(s.errors.map((e) => e.message).join('\n')).toMatch(reason);
    for (const e of s.errors) expect(e.line).toBeGreaterThan(0);
    expect(s.series.find((x) => x.name === 'ok_gauge')?.points).toBe(1);
  });

  it('the broken family is not imported, and the error names its line', async () => {
    const s = await parse('# TYPE foo counter\nfoo_total 1\nfoo_total -1 5\n' + OK + '# EOF\n');
    expect(s.errors).toEqual([{ line: 3, message: expect.stringMatching(/negative/) }]);
    expect(s.series.map((x) => x.name)).toEqual(['ok_gauge']);
  });

  it('plain Prometheus text keeps its laxer rules', async () => {
    const s = await parseMetricFile('a.prom', om('# a comment\n\nfoo  1\nfoo_total -1\n'), {
      defaultTimestamp: 0
    });
    expect(s.format).toBe('prometheus');
    expect(s.errors).toEqual([]);
  });
});
