import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMetricsText, sniffMetricsFormat } from '../../agent/metrics-check';

describe('sniffMetricsFormat', () => {
  it.each([
    ['', 'prometheus'],
    ['# HELP up x\nup 1', 'prometheus'],
    ['up{a="b"} 1', 'prometheus'],
    ['up 1 1700000000000', 'prometheus'],
    ['cpu,host=a usage=1', 'influx'],
    ['cpu usage=1 1700000000000000000', 'influx'],
    ['\n\n# just a comment\ncpu v=1i', 'influx']
  ])('%j → %s', (text, format) => {
    expect(sniffMetricsFormat(text)).toBe(format);
  });
});

describe('checkMetricsText', () => {
  it.each([
    ['prometheus', '', 0],
    ['prometheus', '# HELP up Up.\n# TYPE up gauge\nup 1\n', 1],
    ['prometheus', 'a{x="1",y="two words"} 1.5e3 1700000000000\nb NaN\nc +Inf\nd -Inf\r\n', 4],
    ['prometheus', 'esc{x="a\\"b"} 0', 1],
    [
      'influx',
      'cpu,host=a,region=eu usage=0.5,idle=99i,ok=true,msg="hi there" 1700000000000000000',
      1
    ],
    ['influx', 'm\\ x,t\\,1=v\\ 2 f=1', 1],
    ['influx', '# comment\nm f=1\n\n', 1]
  ] as const)('%s %j is fine (%i data lines)', (format, text, lines) => {
    expect(checkMetricsText(text, format)).toEqual({ ok: true, format, lines });
  });

  it.each([
    ['prometheus', 'up\n', 1],
    ['prometheus', 'up 1\n1up 2\n', 2],
    ['prometheus', 'up{x=1} 1', 1],
    ['prometheus', 'up{x="1" 1', 1],
    ['prometheus', 'up one', 1],
    ['prometheus', 'up 1 soon', 1],
    ['prometheus', '# TYPE\n', 1],
    ['influx', 'cpu', 1],
    ['influx', 'cpu usage', 1],
    ['influx', 'cpu usage=1 now', 1],
    ['influx', 'ok f=1\ncpu,host usage=1\n', 2],
    ['influx', 'cpu f="unterminated', 1]
  ] as const)('%s %j fails on line %i', (format, text, line) => {
    const r = checkMetricsText(text, format);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.line).toBe(line);
  });

  it('property: generated Prometheus samples pass, and breaking one names its line', () => {
    const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/);
    const labelValue = fc.string({ maxLength: 10 }).map((s) => s.replace(/[\\"\n]/g, ''));
    const sample = fc
      .record({
        name,
        labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), labelValue, {
          maxKeys: 3
        }),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }),
        ts: fc.option(fc.integer({ min: 0, max: 2e12 }), { nil: undefined })
      })
      .map(({ name: n, labels, value, ts }) => {
        const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
        return `${n}${l.length ? `{${l.join(',')}}` : ''} ${value}${ts === undefined ? '' : ` ${ts}`}`;
      });
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 20 }), fc.nat(), (lines, k) => {
        expect(checkMetricsText(lines.join('\n'), 'prometheus')).toMatchObject({
          ok: true,
          lines: lines.length
        });
        const bad = k % lines.length;
        const broken = lines.map((l, i) => (i === bad ? `${l.split(' ')[0]} not-a-number` : l));
        expect(checkMetricsText(broken.join('\n'), 'prometheus')).toMatchObject({
          ok: false,
          line: bad + 1
        });
      })
    );
  });
});
