import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import type { ChangeNotice, SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

const S = 1_000;
const BASE = Date.UTC(2026, 10, 23, 12, 0);
const cpu = (host: string): SeriesDescriptor => ({
  name: 'cpu_usage_percent',
  labels: { host },
  unit: '%',
  kind: 'gauge',
  source: 'api',
  category: 'system'
});

let k = 0;
const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/** An engine on a named fake database with a clock the test moves. */
function engine(name = `alerts-test-${k++}`) {
  if (!names.includes(name)) names.push(name);
  const clock = { now: BASE };
  const notices: ChangeNotice[] = [];
  let tick: (() => void) | null = null;
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    broadcast: (n) => notices.push(n),
    now: () => clock.now,
    timeZone: 'UTC',
    setInterval: (fn) => ((tick = fn), 1),
    clearInterval: () => {}
  });
  return { api, clock, notices, name, tick: () => tick?.() };
}

/** Points of one series at BASE + seconds[i]. */
function points(series: SeriesDescriptor, seconds: number[], values: number[]) {
  return [
    {
      series,
      t: Float64Array.from(seconds, (s) => BASE + s * S),
      v: Float64Array.from(values)
    }
  ];
}

async function save(api: ReturnType<typeof engine>['api'], text: string): Promise<string> {
  const r = await api.saveAlertRule({ text });
  if (!r.ok) throw new Error(r.error.message);
  return r.id;
}

const kinds = (h: { kind: string; seriesKey: string }[]) =>
  h.map((x) => `${x.seriesKey} ${x.kind}`).reverse();

describe('engine alerts', () => {
  it('keeps the rules when all data is deleted, and drops states and history', async () => {
    const { api, clock } = engine();
    await api.ingest(points(cpu('a'), [1, 2, 3], [95, 95, 95]));
    const id = await save(api, 'alert "Hot" when avg(cpu_usage_percent) over 5s > 80');
    clock.now = BASE + 3_500;
    await api.runAlertPass();
    expect((await api.listAlertRules())[0].status).toBe('firing');
    expect((await api.listAlertHistory({ ruleId: id })).length).toBeGreaterThan(0);
    await api.clearAll();
    const rules = await api.listAlertRules();
    expect(rules.map((r) => r.id)).toEqual([id]);
    expect(rules[0].status).not.toBe('firing');
    expect(await api.listAlertHistory({ ruleId: id })).toEqual([]);
    expect((await api.counts()).series).toBe(0);
  });

  it('computes the window value from the stored points and fires after `for`', async () => {
    const { api, clock } = engine();
    // Host a: 10 points at 1 s; values 50..95 step 5.
    const values = Array.from({ length: 10 }, (_, i) => 50 + 5 * i);
    await api.ingest(points(cpu('a'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], values));
    await api.ingest(points(cpu('b'), [1, 2], [10, 10]));
    const id = await save(
      api,
      'alert "Hot" when avg(cpu_usage_percent) over 5500ms > 80 for 10s clear < 60'
    );
    // At 10.5 s the window [5 s, 10.5 s] holds the points at 5..10 s: 70, 75, …, 95.
    clock.now = BASE + 10_500;
    await api.runAlertPass();
    let rules = await api.listAlertRules();
    const a = rules[0].instances.find((i) => i.seriesKey === 'cpu_usage_percent{host="a"}')!;
    expect(a.value).toBeCloseTo((70 + 75 + 80 + 85 + 90 + 95) / 6, 12);
    expect(a.status).toBe('pending');
    expect(a.unit).toBe('%');
    // Host b has no point in the window: no data, stays ok.
    const b = rules[0].instances.find((i) => i.seriesKey === 'cpu_usage_percent{host="b"}')!;
    expect(b.value).toBeNaN();
    expect(b.status).toBe('ok');
    // 10 s later (more points keep it high) the alert fires.
    await api.ingest(points(cpu('a'), [12, 14, 16, 18, 20], [90, 90, 90, 90, 90]));
    clock.now = BASE + 20_500;
    await api.runAlertPass();
    rules = await api.listAlertRules();
    expect(rules[0].status).toBe('firing');
    // Hysteresis: 70 is below 80 but not below 60 — still firing.
    await api.ingest(points(cpu('a'), [22, 24, 26], [70, 70, 70]));
    clock.now = BASE + 26_500;
    await api.runAlertPass();
    expect((await api.listAlertRules())[0].status).toBe('firing');
    await api.ingest(points(cpu('a'), [28, 30, 32, 34], [50, 50, 50, 50]));
    clock.now = BASE + 34_500; // window [29 s, 34.5 s]: 50, 50, 50 → avg 50 < 60
    await api.runAlertPass();
    expect((await api.listAlertRules())[0].status).toBe('ok');
    const history = await api.listAlertHistory({ ruleId: id });
    expect(kinds(history)).toEqual([
      'cpu_usage_percent{host="a"} pending',
      'cpu_usage_percent{host="a"} firing',
      'cpu_usage_percent{host="a"} resolved'
    ]);
    expect(history.map((h) => h.t).reverse()).toEqual([
      BASE + 10_500,
      BASE + 20_500,
      BASE + 34_500
    ]);
  });

  it('computes p95 and counter rates over the window like an independent oracle', async () => {
    const { api, clock } = engine();
    // 60 points at 1 s: latency i² mod 97 (scrambled), a counter that resets once.
    const secs = Array.from({ length: 60 }, (_, i) => i + 1);
    const latency = secs.map((i) => (i * i) % 97);
    const counter = secs.map((i) => (i <= 30 ? 1000 + 50 * i : 20 * (i - 30)));
    await api.ingest(points({ ...cpu('a'), name: 'latency_ms', labels: {} }, secs, latency));
    await api.ingest(
      points({ ...cpu('a'), name: 'rx_bytes_total', labels: {}, kind: 'counter' }, secs, counter)
    );
    await save(api, 'p95(latency_ms) over 30s > 1000');
    await save(api, 'rate(rx_bytes_total) over 40s > 1e9');
    clock.now = BASE + 60 * S;
    await api.runAlertPass();
    const [p95Rule, rateRule] = await api.listAlertRules();
    // p95 over [30 s, 60 s]: the type-7 quantile of the points at 30..60 s.
    const inWindow = latency.slice(29).sort((a, b) => a - b);
    const h = (inWindow.length - 1) * 0.95;
    const lo = Math.floor(h);
    const p95 = inWindow[lo] + (h - lo) * (inWindow[lo + 1] - inWindow[lo]);
    expect(p95Rule.instances[0].value).toBeCloseTo(p95, 9);
    // Rate over [20 s, 60 s]: 20→30 s +500, reset at 31 s (+20), 31→60 s +580: 1100 / 40 s.
    let increase = 0;
    for (let i = 20; i < 60; i++) {
      const d = counter[i] - counter[i - 1];
      increase += d >= 0 ? d : counter[i];
    }
    expect(increase).toBe(1100);
    expect(rateRule.instances[0].value).toBeCloseTo(increase / 40, 9);
    // The value's unit: the series' own for p95, per second for a counter's rate.
    expect([p95Rule.instances[0].unit, rateRule.instances[0].unit]).toEqual(['%', '%/s']);
  });

  it('runs after each background rollup pass on the leader and tells every tab', async () => {
    const { api, clock, notices, tick } = engine();
    await api.ingest(points(cpu('a'), [1, 2, 3], [99, 99, 99]));
    await save(api, 'max(cpu_usage_percent) over 1m > 90 severity critical');
    clock.now = BASE + 5_000;
    notices.length = 0;
    await api.setLeader(true);
    for (let i = 0; i < 200 && api.alertStats().passes === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(api.alertStats().passes).toBe(1);
    expect(notices).toContainEqual({ kind: 'alerts', transitions: 1 });
    const overview = await api.alertOverview();
    expect(overview).toMatchObject({ firing: 1, pending: 0, unacknowledged: 1 });
    // The next tick at the same time changes nothing.
    tick();
    await api.setLeader(false);
  });

  it('survives an engine restart without duplicating history', async () => {
    const first = engine();
    await first.api.ingest(points(cpu('a'), [1, 2, 3], [99, 99, 99]));
    await save(first.api, 'max(cpu_usage_percent) over 1m > 90');
    first.clock.now = BASE + 5_000;
    await first.api.runAlertPass();
    // A new engine on the same store (a reload, a new leader) at the same and a later time.
    const second = engine(first.name);
    second.clock.now = BASE + 5_000;
    await second.api.runAlertPass();
    second.clock.now = BASE + 10_000;
    await second.api.runAlertPass();
    expect(kinds(await second.api.listAlertHistory())).toEqual([
      'cpu_usage_percent{host="a"} firing'
    ]);
    expect((await second.api.listAlertRules())[0].status).toBe('firing');
  });

  it('two engines evaluating at once write each transition once', async () => {
    const a = engine();
    const b = engine(a.name);
    await a.api.ingest(points(cpu('a'), [1, 2, 3], [99, 99, 99]));
    await a.api.ingest(points(cpu('b'), [1, 2, 3], [95, 95, 95]));
    await save(a.api, 'max(cpu_usage_percent) over 1m > 90');
    a.clock.now = BASE + 5_000;
    b.clock.now = BASE + 5_001;
    await Promise.all([a.api.runAlertPass(), b.api.runAlertPass(), a.api.runAlertPass()]);
    const history = await a.api.listAlertHistory();
    expect(history.map((h) => h.kind)).toEqual(['firing', 'firing']);
    expect(new Set(history.map((h) => h.seriesKey)).size).toBe(2);
  });

  it('fires absence when a series stops and resolves when it returns', async () => {
    const { api, clock } = engine();
    await api.ingest(points(cpu('a'), [0, 10, 20], [1, 1, 1]));
    await save(api, 'absent(cpu_usage_percent{host="a"}) for 1m');
    // Last sample at 20 s. Grace 30 s: pending from 50 s on, counted from the sample.
    for (const [at, status] of [
      [40, 'ok'],
      [55, 'pending'],
      [79, 'pending'],
      [80, 'firing']
    ] as const) {
      clock.now = BASE + at * S;
      await api.runAlertPass();
      expect([at, (await api.listAlertRules())[0].status]).toEqual([at, status]);
    }
    await api.ingest(points(cpu('a'), [85], [1]));
    clock.now = BASE + 86 * S;
    await api.runAlertPass();
    expect((await api.listAlertRules())[0].status).toBe('ok');
    expect(kinds(await api.listAlertHistory())).toEqual([
      'cpu_usage_percent{host="a"} pending',
      'cpu_usage_percent{host="a"} firing',
      'cpu_usage_percent{host="a"} resolved'
    ]);
  });

  it('accepts absence rules for series never seen, with a warning only for others', async () => {
    const { api, clock } = engine();
    const check = await api.validateAlertRule('absent(agent_cpu_percent) for 1m');
    expect(check).toEqual({ ok: true, name: 'absent(agent_cpu_percent)', warnings: [] });
    const unknown = await api.validateAlertRule('avg(nope) over 1m > 1');
    expect(unknown.ok && unknown.warnings).toEqual([
      'No series named nope is stored yet; the rule waits until one arrives.'
    ]);
    const bad = await api.saveAlertRule({ text: 'avg(nope) over 1q > 1' });
    expect(bad).toMatchObject({ ok: false, error: { line: 1, column: 16 } });
    await save(api, 'absent(agent_cpu_percent) for 1m');
    clock.now = BASE + 61 * S;
    await api.runAlertPass();
    expect(kinds(await api.listAlertHistory())).toEqual(['agent_cpu_percent firing']);
  });

  it('reads anomaly scores the detector stored', async () => {
    const { api, clock, name } = engine();
    await api.ingest(points(cpu('a'), [1], [1]));
    await save(api, 'anomaly(cpu_usage_percent{host="a"}) over 5m >= 0.8');
    const db = await openDatabase(() => {}, { name });
    await db.anomalies.bulkAdd([
      {
        seriesKey: 'cpu_usage_percent{host="a"}',
        t: BASE - 400 * S,
        value: 1,
        score: 0.99,
        detector: 'x'
      },
      {
        seriesKey: 'cpu_usage_percent{host="a"}',
        t: BASE + 60 * S,
        value: 1,
        score: 0.85,
        detector: 'x'
      }
    ]);
    db.close();
    clock.now = BASE + 120 * S; // window from −180 s: only the 0.85 anomaly
    await api.runAlertPass();
    const inst = (await api.listAlertRules())[0].instances[0];
    expect([inst.status, inst.value]).toEqual(['firing', 0.85]);
  });

  it('watches the anomalies of derived event series', async () => {
    const { api, name } = engine();
    const key = 'events:latency_p95{actionType="build"}';
    const db = await openDatabase(() => {}, { name });
    // As the anomaly module leaves them: a detector record per event series, an anomaly.
    await db.detectors.bulkPut([
      { key: `anomaly-events:${key}`, seriesId: null, upTo: BASE, state: null },
      {
        key: 'anomaly-events:events:latency_p95{actionType="test"}',
        seriesId: null,
        upTo: BASE,
        state: null
      },
      { key: 'anomaly-events:cursor', seriesId: null, upTo: BASE, state: null }
    ]);
    await db.anomalies.add({
      seriesKey: key,
      t: BASE - 60 * S,
      value: 9e4,
      score: 0.9,
      detector: 'x'
    });
    db.close();
    const text = 'anomaly(events:latency_p95{actionType=~"build|test"}) >= 0.8';
    expect(await api.validateAlertRule(text)).toEqual({
      ok: true,
      name: text,
      warnings: ['Matches 2 series: one alert per series.']
    });
    await save(api, text);
    await api.runAlertPass();
    const instances = (await api.listAlertRules())[0].instances;
    expect(instances.map((i) => [i.seriesKey, i.status, i.value])).toEqual([
      [key, 'firing', 0.9],
      ['events:latency_p95{actionType="test"}', 'ok', 0]
    ]);
  });

  it('snoozes, silences and acknowledges without changing states', async () => {
    const { api, clock } = engine();
    await api.ingest(points(cpu('a'), [1], [99]));
    const id = await save(api, 'last(cpu_usage_percent) over 1m > 90');
    clock.now = BASE + 2 * S;
    await api.runAlertPass();
    expect((await api.alertOverview()).unacknowledged).toBe(1);
    await api.snoozeAlertRule(id, BASE + 3_600_000);
    expect(await api.alertOverview()).toMatchObject({ firing: 1, unacknowledged: 0 });
    await api.snoozeAlertRule(id, null);
    expect(await api.acknowledgeAlert(id, 'cpu_usage_percent{host="a"}')).toBe(true);
    expect(await api.alertOverview()).toMatchObject({ firing: 1, unacknowledged: 0 });
    await api.silenceAlerts(BASE + 60_000);
    expect((await api.alertOverview()).silencedUntil).toBe(BASE + 60_000);
    clock.now = BASE + 61_000;
    expect((await api.alertOverview()).silencedUntil).toBeNull();
    expect(await api.setAlertPrefs({ sound: true })).toEqual({ sound: true, system: false });
  });

  it('caps the history, oldest first', async () => {
    const { api, clock } = engine();
    api.configureAlerts({ maxHistory: 3 });
    await save(api, 'absent(x) over 1s');
    for (let i = 1; i <= 3; i++) {
      clock.now = BASE + i * 10 * S; // fires (never seen), then a sample resolves it
      await api.runAlertPass();
      await api.ingest([
        { series: { ...cpu('a'), name: 'x' }, t: Float64Array.of(clock.now), v: Float64Array.of(1) }
      ]);
      clock.now += 500;
      await api.runAlertPass();
    }
    const history = await api.listAlertHistory();
    expect(history).toHaveLength(3);
    expect(history[0].t).toBe(BASE + 30 * S + 500);
  });

  it('updates, disables and deletes rules', async () => {
    const { api, clock } = engine();
    await api.ingest(points(cpu('a'), [1], [99]));
    const id = await save(api, 'last(cpu_usage_percent) over 1m > 90');
    clock.now = BASE + 2 * S;
    await api.runAlertPass();
    expect((await api.listAlertRules())[0].status).toBe('firing');
    expect(await api.saveAlertRule({ id, text: 'last(cpu_usage_percent) over 1m > 100' })).toEqual({
      ok: true,
      id,
      warnings: []
    });
    // A changed rule starts over: its old states are gone.
    expect((await api.listAlertRules())[0].instances).toEqual([]);
    await api.setAlertRuleEnabled(id, false);
    clock.now = BASE + 3 * S;
    await api.runAlertPass();
    expect((await api.listAlertRules())[0]).toMatchObject({ enabled: false, instances: [] });
    await api.deleteAlertRule(id);
    expect(await api.listAlertRules()).toEqual([]);
  });
});

describe('engine alerts over the result log', () => {
  it('a recommended template fires on stored events that break it, per action type', async () => {
    const { api, clock } = engine();
    const ev = (i: number, actionType: string, status: string) => ({
      t: BASE + i * S,
      actionType,
      status,
      durationMs: 100,
      triggerId: 't'
    });
    // build: 7 of 10 succeed (mixed case), deploy: 10 of 10.
    await api.ingestEvents([
      ...Array.from({ length: 10 }, (_, i) => ev(i, 'build', i < 7 ? 'SUCCESS' : 'failure')),
      ...Array.from({ length: 10 }, (_, i) => ev(i, 'deploy', 'Success'))
    ]);
    const check = await api.validateAlertRule(
      'avg(resultlog:success{scope="actionType"}) over 15m < 0.9'
    );
    expect(check.ok && check.warnings).toEqual(['Matches 2 series: one alert per series.']);
    const id = await save(
      api,
      'alert "Low success" when avg(resultlog:success{scope="actionType"}) over 15m < 0.9'
    );
    clock.now = BASE + 20 * S;
    await api.runAlertPass();
    const rule = (await api.listAlertRules()).find((r) => r.id === id)!;
    expect(rule.status).toBe('firing');
    expect(rule.instances.map((x) => [x.seriesKey, x.status, x.value])).toEqual([
      ['resultlog:success{actionType="build",scope="actionType"}', 'firing', 0.7],
      ['resultlog:success{actionType="deploy",scope="actionType"}', 'ok', 1]
    ]);
  });

  it('view health: current views are neither stale nor failed', async () => {
    const { api, clock } = engine();
    await api.ingestEvents([{ t: BASE, actionType: 'a', status: 'success', durationMs: 1 }]);
    await save(api, 'alert "Stale" when last(resultlog:view_age_ms) over 1m > 900000');
    await save(api, 'alert "Failed" when last(resultlog:view_failed) over 1m > 0');
    clock.now = BASE + 60 * 60 * S;
    await api.runAlertPass();
    const rules = await api.listAlertRules();
    for (const r of rules) {
      expect(r.instances.map((x) => x.seriesKey).sort()).toEqual(
        ['distribution', 'hourly', 'recentFailures', 'triggers'].map(
          (v) =>
            `${r.name === 'Stale' ? 'resultlog:view_age_ms' : 'resultlog:view_failed'}{view="${v}"}`
        )
      );
      expect(r.status).toBe('ok');
    }
  });
});
