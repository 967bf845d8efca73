import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './sse-parser';

/** Serialises events the way the agent writes them (agent/stream.ts). */
function serialise(events: SseEvent[], eol: string): string {
  return events
    .map((e) => {
      let s = `event: ${e.event}${eol}`;
      if (e.id !== undefined) s += `id: ${e.id}${eol}`;
      for (const line of e.data.split('\n')) s += `data: ${line}${eol}`;
      return s + eol;
    })
    .join('');
}

describe('createSseParser', () => {
  it('parses named events with ids, multi-line data and comments', () => {
    const p = createSseParser();
    const out = p.push(
      'retry: 2000\nevent: hello\ndata: {"a":1}\n\n: keep-alive comment\n\n' +
        'id: 42\nevent: batch\ndata: line1\ndata: line2\n\ndata: plain\n\n'
    );
    expect(out).toEqual([
      { event: 'hello', data: '{"a":1}' },
      { event: 'batch', data: 'line1\nline2', id: '42' },
      { event: 'message', data: 'plain' }
    ]);
    expect(p.retryMs).toBe(2000);
  });

  it('holds an unfinished event until its blank line arrives', () => {
    const p = createSseParser();
    expect(p.push('event: gap\ndata: {"after":1')).toEqual([]);
    expect(p.push(',"firstAvailableSeq":5}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'gap', data: '{"after":1,"firstAvailableSeq":5}' }]);
  });

  it('accepts CR and CRLF line ends, also split between chunks', () => {
    const p = createSseParser();
    const a = p.push('event: x\r\ndata: 1\r');
    const b = p.push('\n\r\nevent: y\rdata: 2\r\r');
    expect([...a, ...b]).toEqual([
      { event: 'x', data: '1' },
      { event: 'y', data: '2' }
    ]);
  });

  it('gives the same events however the text is split (property)', () => {
    const eventArb = fc.record(
      {
        event: fc.constantFrom('hello', 'batch', 'gap', 'heartbeat'),
        data: fc.stringMatching(/^[a-z0-9{}":, \n]{0,40}$/),
        id: fc.option(fc.integer({ min: 0, max: 1e15 }).map(String), { nil: undefined })
      },
      { requiredKeys: ['event', 'data'] }
    );
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        (events, eol, cuts) => {
          const expected = events.map((e) =>
            e.id === undefined ? { event: e.event, data: e.data } : { ...e }
          );
          const text = serialise(events, eol);
          const p = createSseParser();
          const got: SseEvent[] = [];
          let i = 0;
          let k = 0;
          while (i < text.length) {
            const n = cuts[k++ % cuts.length];
            got.push(...p.push(text.slice(i, i + n)));
            i += n;
          }
          expect(got).toEqual(expected);
        }
      ),
      { numRuns: 300 }
    );
  });
});
