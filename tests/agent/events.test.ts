import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventLimits, normaliseRecord, parseEventsBody } from '../../agent/events';
import { RepoRoot } from './helpers';

const Received = 1_700_000_000_000;
/**
 * Parses, checks that any reused source text stands for exactly the normalised event, and
 * drops it so the remaining assertions compare plain records.
 */
const parse = (body: string) => {
  const result = parseEventsBody(body, { receivedAt: Received });
  if (result.ok) {
    for (const r of result.records) {
      if (r.eventJson !== undefined) {
        expect(JSON.parse(r.eventJson)).toEqual(JSON.parse(JSON.stringify(r.event)));
        delete r.eventJson;
      }
    }
  }
  return result;
};

describe('parseEventsBody', () => {
  it.each([
    ['empty', ''],
    ['blank lines', '\n \n\t\n'],
    ['empty array', '[]'],
    ['empty array with space', '  [ ]  ']
  ])('%s → no records', (_, body) => {
    expect(parse(body)).toEqual({ ok: true, records: [] });
  });

  it('parses NDJSON, skipping blank lines and CRLF', () => {
    const r = parse(
      '{"t":1,"actionType":"a","status":"ok","durationMs":2}\r\n\r\n{"actionType":"b","status":"fail","durationMs":0,"retries":2,"triggerId":"t1","organisationId":"o1","errorMessage":"e","context":{"agent":"x"}}\n'
    );
    expect(r).toEqual({
      ok: true,
      records: [
        { t: 1, event: { t: 1, actionType: 'a', status: 'ok', durationMs: 2 }, points: [] },
        {
          t: Received,
          event: {
            t: Received,
            actionType: 'b',
            status: 'fail',
            durationMs: 0,
            retries: 2,
            triggerId: 't1',
            organisationId: 'o1',
            errorMessage: 'e',
            context: { agent: 'x' }
          },
          points: []
        }
      ]
    });
  });

  it('keeps user and session ids (engagement analytics)', () => {
    const r = parse(
      '{"t":1,"actionType":"a","status":"ok","durationMs":2,"userId":"u1","sessionId":"s1"}'
    );
    expect(r.ok && r.records[0].event).toEqual({
      t: 1,
      actionType: 'a',
      status: 'ok',
      durationMs: 2,
      userId: 'u1',
      sessionId: 's1'
    });
  });

  it('accepts ISO timestamps', () => {
    const r = parse('{"t":"2024-03-10T10:00:00Z","actionType":"a","status":"ok","durationMs":1}');
    expect(r.ok && r.records[0].t).toBe(Date.UTC(2024, 2, 10, 10));
  });

  it.each([
    ['bad JSON', 'x', 1, 'invalid JSON'],
    ['array element not an object', '[1]', 1, 'must be a JSON object'],
    ['null record', 'null', 1, 'must be a JSON object'],
    ['missing actionType', '{"status":"ok","durationMs":1}', 1, 'actionType is required'],
    ['empty actionType', '{"actionType":"","status":"ok","durationMs":1}', 1, 'must not be empty'],
    ['NaN-ish duration', '{"actionType":"a","status":"ok","durationMs":"5"}', 1, 'finite number'],
    ['negative duration', '{"actionType":"a","status":"ok","durationMs":-1}', 1, 'negative'],
    ['bad t', '{"t":"yesterday","actionType":"a","status":"ok","durationMs":1}', 1, 'epoch'],
    ['t is Infinity-like', '{"t":1e999,"actionType":"a","status":"ok","durationMs":1}', 1, 'epoch'],
    ['context array', '{"actionType":"a","status":"ok","durationMs":1,"context":[]}', 1, 'context'],
    ['unknown type', '{"type":"click"}', 1, 'unknown type'],
    ['api_request without route', '{"type":"api_request","status":200,"durationMs":1}', 1, 'route'],
    ['error without message', '{"type":"error"}', 1, 'message'],
    ['system_metrics without metrics', '{"type":"system_metrics"}', 1, 'system_metrics'],
    [
      'system_metrics bad name',
      '{"type":"system_metrics","name":"1bad","value":1}',
      1,
      'metric name'
    ],
    ['system_metrics NaN value', '{"type":"system_metrics","metrics":{"a":"x"}}', 1, 'finite'],
    ['JSON not an array', '{"a":1} trailing', 1, 'invalid JSON']
  ])('%s → 400 on line %i', (_, body, line, message) => {
    const r = parse(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.line).toBe(line);
      expect(r.message).toContain(message);
    }
  });

  it('reports the line and record of the first bad NDJSON record, counting blank lines', () => {
    const good = '{"actionType":"a","status":"ok","durationMs":1}';
    const r = parse([good, '', good, '{"actionType":"a"}', 'also bad'].join('\n'));
    expect(r).toMatchObject({ ok: false, line: 4, record: 3 });
  });

  it('reports the line where a bad array element starts', () => {
    const body =
      '[\n  {"actionType":"a","status":"ok","durationMs":1},\n  {"actionType":"a",\n   "status":"ok"}\n]';
    expect(parse(body)).toMatchObject({ ok: false, line: 3, record: 2 });
  });

  it('finds array elements past strings that hold brackets and commas', () => {
    const body = '[{"actionType":"a,[{","status":"o\\"k]","durationMs":1},\n{"actionType":"b"}]';
    expect(parse(body)).toMatchObject({ ok: false, line: 2, record: 2 });
  });

  it('reports the line of a JSON syntax error inside an array', () => {
    const body = '[\n{"actionType":"a","status":"ok","durationMs":1},\n{"actionType": oops}\n]';
    const r = parse(body);
    expect(r).toMatchObject({ ok: false, line: 3 });
  });

  it.each([
    ['nested 40 deep', '{"a":'.repeat(40) + '1' + '}'.repeat(40), 'nested deeper'],
    [
      'nested 5000 deep (would overflow JSON.stringify)',
      '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
      'nested deeper'
    ],
    [
      'over 16 KiB',
      JSON.stringify({ blob: 'x'.repeat(EventLimits.maxContextBytes) }),
      'context over'
    ]
  ])('refuses a context %s', (_, context, message) => {
    const r = parse(`{"actionType":"a","status":"ok","durationMs":1,"context":${context}}`);
    expect(r).toMatchObject({ ok: false, line: 1 });
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('accepts a context nested exactly maxContextDepth deep', () => {
    const d = EventLimits.maxContextDepth;
    const r = parse(
      `{"actionType":"a","status":"ok","durationMs":1,"context":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`
    );
    expect(r.ok).toBe(true);
  });

  it.each([
    ['plain result event', '{"t":1,"actionType":"a","status":"ok","durationMs":2}', true],
    [
      'with context',
      '{"t":1,"actionType":"a","status":"ok","durationMs":2,"context":{"k":[1]}}',
      true
    ],
    ['missing t (filled in)', '{"actionType":"a","status":"ok","durationMs":2}', false],
    [
      'ISO t (converted)',
      '{"t":"2024-01-01T00:00:00Z","actionType":"a","status":"ok","durationMs":2}',
      false
    ],
    [
      'null field (dropped)',
      '{"t":1,"actionType":"a","status":"ok","durationMs":2,"errorMessage":null}',
      false
    ],
    [
      'unknown key (dropped)',
      '{"t":1,"actionType":"a","status":"ok","durationMs":2,"extra":1}',
      false
    ],
    [
      '__proto__ key',
      '{"t":1,"actionType":"a","status":"ok","durationMs":2,"__proto__":{"x":1}}',
      false
    ],
    ['tracking call', '{"type":"action","name":"a"}', false]
  ])('reuses the source line only when it is already normal: %s', (_, line, reused) => {
    const result = parseEventsBody(line, { receivedAt: Received });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.records[0].eventJson !== undefined).toBe(reused);
  });

  it('never reuses text for JSON array elements', () => {
    const result = parseEventsBody('[{"t":1,"actionType":"a","status":"ok","durationMs":2}]', {
      receivedAt: 0
    });
    expect(result.ok && result.records[0].eventJson).toBeUndefined();
  });

  it('cuts over-long strings', () => {
    const long = 'x'.repeat(EventLimits.maxStringLength + 10);
    const r = parse(
      JSON.stringify({ actionType: 'a', status: 'ok', durationMs: 1, errorMessage: long })
    );
    expect(r.ok && r.records[0].event?.errorMessage).toHaveLength(EventLimits.maxStringLength);
  });

  it('property: any list of valid result events round-trips through NDJSON and a JSON array', () => {
    const event = fc.record({
      t: fc.integer({ min: 0, max: 4e12 }),
      actionType: fc.string({ minLength: 1, maxLength: 20 }),
      status: fc.string({ minLength: 1, maxLength: 10 }),
      durationMs: fc.double({ min: 0, max: 1e9, noNaN: true })
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const viaNd = parse(events.map((e) => JSON.stringify(e)).join('\n'));
        const viaArray = parse(JSON.stringify(events));
        const expected = {
          ok: true,
          records: events.map((e) => ({ t: e.t, event: e, points: [] }))
        };
        expect(viaNd).toEqual(expected);
        expect(viaArray).toEqual(expected);
      })
    );
  });

  it('property: a corrupted line is reported at its own line number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 39 }), (n, k) => {
        const bad = k % n;
        const lines = Array.from({ length: n }, (_, i) =>
          i === bad
            ? '{"actionType":"a","status":"ok"'
            : '{"actionType":"a","status":"ok","durationMs":1}'
        );
        expect(parse(lines.join('\n'))).toMatchObject({
          ok: false,
          line: bad + 1,
          record: bad + 1
        });
      })
    );
  });
});

describe('normaliseRecord tracking calls', () => {
  it('model_process: points and derived rates, hand-computed', () => {
    const r = normaliseRecord(
      {
        type: 'model_process',
        t: 10,
        model: 'm',
        tokens: 300,
        durationMs: 1500,
        energyJoules: 60,
        ttftMs: 80,
        promptTokens: 12
      },
      { receivedAt: 0 }
    );
    const byName = Object.fromEntries(r.points.map((p) => [p.name, p.v]));
    expect(byName).toEqual({
      model_tokens: 300,
      model_prompt_tokens: 12,
      model_ttft_ms: 80,
      model_duration_ms: 1500,
      model_tokens_per_second: 200,
      model_energy_joules: 60,
      model_tokens_per_joule: 5,
      model_energy_joules_per_token: 0.2
    });
    expect(
      r.points.every((p) => p.category === 'model' && p.t === 10 && p.labels.model === 'm')
    ).toBe(true);
    expect(r.event).toMatchObject({
      actionType: 'model_process',
      status: 'success',
      durationMs: 1500
    });
    expect(r.event?.context).toMatchObject({ model: 'm', tokens: 300, tokensPerSecond: 200 });
  });

  it('model_process keeps a given tokensPerSecond and skips tokens/J without energy', () => {
    const r = normaliseRecord(
      { type: 'model_process', tokens: 10, durationMs: 1000, tokensPerSecond: 7 },
      { receivedAt: 5 }
    );
    expect(r.points.find((p) => p.name === 'model_tokens_per_second')?.v).toBe(7);
    expect(r.points.some((p) => p.name === 'model_tokens_per_joule')).toBe(false);
    expect(r.t).toBe(5);
  });

  it('model_process carries mean token entropy and a runtime label when given', () => {
    const r = normaliseRecord(
      { type: 'model_process', model: 'm', runtime: 'vllm', tokens: 4, entropy: 1.25 },
      { receivedAt: 0 }
    );
    const entropy = r.points.find((p) => p.name === 'model_token_entropy');
    expect(entropy).toMatchObject({
      v: 1.25,
      unit: 'nats',
      labels: { runtime: 'vllm', model: 'm' }
    });
    expect(r.event?.context).toMatchObject({ entropy: 1.25, runtime: 'vllm' });
    expect(() =>
      normaliseRecord({ type: 'model_process', entropy: -1 }, { receivedAt: 0 })
    ).toThrow(/entropy must not be negative/);
  });

  it("model_process reads Ollama's final /api/generate object as forwarded (docs/api.md example)", () => {
    const body = JSON.parse(
      readFileSync(
        path.join(RepoRoot, 'tests/fixtures/model-runtimes/ollama-generate.json'),
        'utf8'
      )
    ) as Record<string, unknown>;
    const r = normaliseRecord(
      { ...body, type: 'model_process', runtime: 'ollama', t: 7 },
      { receivedAt: 0 }
    );
    const byName = Object.fromEntries(r.points.map((p) => [p.name, p.v]));
    // eval_count / eval_duration × 1e9, as the Ollama docs say; durations ns → ms.
    expect(byName.model_tokens_per_second).toBeCloseTo((259 / 4232710000) * 1e9, 9);
    expect(byName.model_prompt_tokens_per_second).toBeCloseTo((26 / 130079000) * 1e9, 9);
    expect(byName).toMatchObject({
      model_tokens: 259,
      model_prompt_tokens: 26,
      model_ttft_ms: (6338219291 + 130079000) / 1e6,
      model_duration_ms: 10706818083 / 1e6,
      model_load_ms: 6338219291 / 1e6
    });
    expect(r.points[0].labels).toEqual({ runtime: 'ollama', model: 'llama3.2' });
    // Its `context` (token ids) is not taken for a Tidemark context.
    expect(r.event?.context).toEqual({
      model: 'llama3.2',
      runtime: 'ollama',
      tokens: 259,
      promptTokens: 26,
      ttftMs: (6338219291 + 130079000) / 1e6,
      tokensPerSecond: (259 / 4232710000) * 1e9
    });
  });

  it.each([
    [200, 'success', '2xx'],
    [404, 'client_error', '4xx'],
    [500, 'error', '5xx']
  ])('api_request %i → status %s, class %s', (status, eventStatus, cls) => {
    const r = normaliseRecord(
      { type: 'api_request', route: '/x', status, durationMs: 3 },
      { receivedAt: 0 }
    );
    expect(r.event?.status).toBe(eventStatus);
    expect(r.points[0].labels).toEqual({ method: 'GET', route: '/x', status_class: cls });
  });

  it('action defaults to success and zero duration', () => {
    expect(normaliseRecord({ type: 'action', name: 'click' }, { receivedAt: 3 }).event).toEqual({
      t: 3,
      actionType: 'click',
      status: 'success',
      durationMs: 0
    });
  });

  it('error keeps the stack in context', () => {
    expect(
      normaliseRecord({ type: 'error', message: 'm', stack: 's' }, { receivedAt: 1 }).event
    ).toEqual({
      t: 1,
      actionType: 'error',
      status: 'error',
      durationMs: 0,
      errorMessage: 'm',
      context: { stack: 's' }
    });
  });

  it('system_metrics single metric form with unit', () => {
    const r = normaliseRecord(
      { type: 'system_metrics', name: 'fan_rpm', value: 900, unit: 'rpm' },
      { receivedAt: 2 }
    );
    expect(r.event).toBeUndefined();
    expect(r.points).toEqual([
      { name: 'fan_rpm', labels: {}, unit: 'rpm', kind: 'gauge', category: 'system', t: 2, v: 900 }
    ]);
  });
});
