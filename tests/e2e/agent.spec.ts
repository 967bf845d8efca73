/**
 * Agent pairing against a real agent process on loopback: pair in Settings, host metrics
 * arrive, a wrong token says 401, the agent is killed and restarted and the page resumes
 * without duplicates, and a page closed while the agent ran gets what it missed.
 *
 * The oracle is independent of the page: a Node client reads each agent boot's stream from
 * its first message and records every sample time; the page's stored chunks are decoded here
 * with the store's own codec and compared point by point.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { decodeChunk } from '../../src/lib/tsdb/codec/chunk';
import { BackoffDefaults } from '../../src/lib/collectors/agent-client';
import type { AgentMessage } from '../../src/lib/types';
import { openStream, request, type SseClient } from '../agent/helpers';
import { waitForStore } from './helpers';

const Root = path.resolve(new URL('../..', import.meta.url).pathname);
const AgentPort = 9471;
const IntervalMs = 250;
/**
 * Every host sample carries it, on any OS, at every tick (load averages are read once a
 * second, so they would count too few samples in the closed window).
 */
const Probe = 'memory_used_bytes';

interface Agent {
  proc: ChildProcess;
  listener: SseClient;
  output: () => string;
}

function startAgent(
  token: string,
  origin: string,
  port = AgentPort,
  extraArgs: string[] = []
): Promise<Agent> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-e2e-agent-'));
  // `node --import tsx`, not the tsx CLI: one process, so SIGKILL really kills the agent.
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'agent/main.ts',
      '--port',
      String(port),
      '--origin',
      origin,
      '--interval',
      String(IntervalMs),
      '--no-gpu',
      '--token-file',
      path.join(dir, 'token'),
      ...extraArgs
    ],
    {
      cwd: Root,
      env: { ...process.env, TIDEMARK_AGENT_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let out = '';
  proc.stdout?.on('data', (c) => (out += c));
  proc.stderr?.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start:\n${out}`)), 30_000);
    proc.on('exit', (code) => reject(new Error(`agent exited ${code}:\n${out}`)));
    const check = async (): Promise<void> => {
      if (!/listening on/.test(out)) return void setTimeout(check, 50);
      clearTimeout(timer);
      // The oracle: everything this boot streams, from its first message.
      const listener = await openStream({ port, token, path: '/v1/stream?after=0' });
      const agent = { proc, listener, output: () => out };
      running.push(agent);
      resolve(agent);
    };
    void check();
  });
}

/** Every agent a test started; afterEach kills them even when a test timed out. */
const running: Agent[] = [];
test.afterEach(async () => {
  for (const a of running.splice(0)) await killAgent(a);
});

function killAgent(agent: Agent): Promise<void> {
  agent.listener.close();
  if (agent.proc.exitCode !== null || agent.proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => agent.proc.once('exit', () => r()));
  agent.proc.kill('SIGKILL');
  return exited;
}

/** Sample times of the probe series the agent streamed (its own record). */
function streamedTimes(agent: Agent): number[] {
  return agent.listener.events
    .filter((e) => e.event === 'batch')
    .flatMap((e) => (JSON.parse(e.data) as { messages: AgentMessage[] }).messages)
    .filter((m) => m.kind === 'sample')
    .flatMap((m) => (m.kind === 'sample' ? m.points : []))
    .filter((p) => p.name === Probe)
    .map((p) => p.t);
}

interface StoredSeries {
  key: string;
  appended: number;
  t: number[];
}

/** Reads the page's IndexedDB directly: agent series, their append counters and chunks. */
async function readStore(page: Page): Promise<{ series: StoredSeries[]; events: number }> {
  const raw = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tidemark');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    // One transaction: the counters, the chunks and the live write-ahead log (points not yet
    // cut into chunks, see db/head-store.ts) are read from the same snapshot.
    const tx = db.transaction(['series', 'chunks', 'events', 'wal']);
    const all = <T>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const req = tx.objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result as T[]);
        req.onerror = () => reject(req.error);
      });
    const [series, chunks, events, wal] = await Promise.all([
      all<{ id: number; key: string; source: string; points?: number; lastT?: number }>('series'),
      all<{ seriesId: number; data: Uint8Array }>('chunks'),
      all<{ actionType: string }>('events'),
      all<{ ids: Int32Array; offsets: Uint32Array; t: Float64Array }>('wal')
    ]);
    // Per series, the WAL's points after what its chunks hold (the rest were cut already).
    const logged = (id: number, after: number) =>
      wal
        .flatMap((r) => {
          const k = Array.from(r.ids).indexOf(id);
          return k < 0 ? [] : Array.from(r.t.subarray(r.offsets[k], r.offsets[k + 1]));
        })
        .filter((t) => t > after);
    db.close();
    return {
      series: series
        .filter((s) => s.source === 'agent')
        .map((s) => {
          const live = logged(s.id, s.lastT ?? -Infinity);
          return {
            key: s.key,
            appended: (s.points ?? 0) + live.length,
            chunks: chunks.filter((c) => c.seriesId === s.id).map((c) => Array.from(c.data)),
            live
          };
        }),
      events: events.filter((e) => e.actionType === 'model_process').length
    };
  });
  return {
    events: raw.events,
    series: raw.series.map((s) => ({
      key: s.key,
      appended: s.appended,
      t: [
        ...s.chunks.flatMap((c) => Array.from(decodeChunk(Uint8Array.from(c)).t)),
        ...s.live
      ].sort((a, b) => a - b)
    }))
  };
}

/** Each boot's samples up to the newest one the page stored must all be stored. */
function missingSamples(stored: number[], streamed: number[]): number[] {
  const have = new Set(stored);
  const newest = Math.max(-Infinity, ...streamed.filter((t) => have.has(t)));
  return streamed.filter((t) => t <= newest && !have.has(t));
}

/** Recent, so retention (events 90 days, raw points 1 hour) keeps them during the test. */
const EventBase = Math.floor(Date.now() / 1000) * 1000 - 60_000;

async function postModelEvents(token: string, from: number, count: number): Promise<void> {
  const body = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      type: 'model_process',
      t: EventBase + (from + i) * 1000,
      model: 'e2e',
      tokens: 100 + from + i,
      durationMs: 1000
    })
  ).join('\n');
  const res = await request({
    port: AgentPort,
    method: 'POST',
    path: '/v1/events',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' },
    body
  });
  expect(res.status).toBe(202);
}

async function pair(page: Page, token: string, port = AgentPort): Promise<void> {
  await page.goto('/settings');
  await waitForStore(page);
  await page.getByLabel('Agent URL').fill(`http://127.0.0.1:${port}`);
  await page.getByLabel('Pairing token').fill(token);
  await page.getByRole('button', { name: 'Pair', exact: true }).click();
}

const pointsStored = async (page: Page) =>
  Number(await page.getByTestId('agent-received').getAttribute('data-points'));

test('pairs, survives an agent restart without duplicates, and catches up after a closed page', async ({
  context,
  baseURL
}) => {
  test.setTimeout(90_000);
  const origin = new URL(baseURL!).origin;
  const token = randomBytes(32).toString('base64url');
  let agent = await startAgent(token, origin);
  const boots: Agent[] = [agent];
  {
    const page = await context.newPage();
    await pair(page, token);
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'connected');
    await expect(page.getByTestId('agent-status')).toContainText('connected');
    await expect.poll(() => pointsStored(page)).toBeGreaterThan(20);
    const before = await pointsStored(page);
    await expect.poll(() => pointsStored(page)).toBeGreaterThan(before);
    await postModelEvents(token, 0, 5);
    await expect.poll(async () => (await readStore(page)).events).toBe(5);

    // Enough samples from this boot that "none missing" means something (a fast machine gets
    // here within a few seconds of pairing).
    await expect.poll(() => streamedTimes(agent).length, { timeout: 20_000 }).toBeGreaterThan(10);
    // Kill the agent; the page notices and keeps retrying.
    await killAgent(agent);
    await expect(page.getByTestId('agent-state')).not.toHaveAttribute('data-state', 'connected');
    agent = await startAgent(token, origin);
    boots.push(agent);
    // The page retries with backoff capped at BackoffDefaults.maxMs: when the agent took a
    // while to come back (a loaded machine), the next try can be that far off.
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'connected', {
      timeout: BackoffDefaults.maxMs + 15_000
    });
    await postModelEvents(token, 5, 5);
    await expect.poll(async () => (await readStore(page)).events).toBe(10);

    // Close the page while the agent keeps sampling and receiving events, then reopen.
    const closedAt = Date.now();
    await page.close();
    await postModelEvents(token, 10, 5);
    await new Promise((r) => setTimeout(r, 2_000));
    const page2 = await context.newPage();
    await page2.goto('/settings');
    await waitForStore(page2);
    await expect(page2.getByTestId('agent-state')).toHaveAttribute('data-state', 'connected');
    await expect.poll(async () => (await readStore(page2)).events).toBe(15);
    // Caught up past the closed window.
    await expect
      .poll(async () => {
        const probe = (await readStore(page2)).series.find((s) => s.key === Probe);
        return Math.max(0, ...(probe?.t ?? [])) > closedAt + 2_500;
      })
      .toBe(true);

    const store = await readStore(page2);
    expect(store.series.length).toBeGreaterThan(5);
    for (const s of store.series) {
      // Every append was a new timestamp: nothing was stored twice.
      expect(new Set(s.t).size, s.key).toBe(s.t.length);
      expect(s.appended, s.key).toBe(s.t.length);
    }
    const probe = store.series.find((s) => s.key === Probe)!;
    const [first, second] = boots.map(streamedTimes);
    expect(first.length).toBeGreaterThan(10);
    expect(missingSamples(probe.t, first)).toEqual([]);
    // Includes the samples taken while no page was open.
    expect(second.filter((t) => t > closedAt && t < closedAt + 2_000).length).toBeGreaterThan(3);
    expect(missingSamples(probe.t, second)).toEqual([]);
    const model = store.series.find((s) => s.key === 'model_tokens{model="e2e"}')!;
    expect(model.t).toEqual(Array.from({ length: 15 }, (_, i) => EventBase + i * 1000));
  }
});

test('the Energy page says energy is not measured when the agent finds no power source', async ({
  page,
  baseURL
}) => {
  test.setTimeout(90_000);
  const origin = new URL(baseURL!).origin;
  const token = randomBytes(32).toString('base64url');
  // No RAPL counter (an empty powercap root) and no GPU (--no-gpu): nothing to measure with.
  const noPowercap = mkdtempSync(path.join(os.tmpdir(), 'tidemark-e2e-no-powercap-'));
  await startAgent(token, origin, AgentPort, ['--rapl-root', noPowercap]);
  await pair(page, token);
  await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'connected');
  await page.goto('/energy');
  const note = page.getByTestId('energy-sources');
  await expect(note).toHaveAttribute('data-kind', 'none', { timeout: 30_000 });
  await expect(note).toContainText('not measured');
  await expect(note).toContainText('no readable RAPL energy counter');
});

test('a wrong token is refused with a 401 message', async ({ page, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const token = randomBytes(32).toString('base64url');
  await startAgent(token, origin);
  {
    await pair(page, randomBytes(32).toString('base64url'));
    await expect(page.getByTestId('agent-error')).toContainText('401');
    await expect(page.getByTestId('agent-error')).toHaveAttribute('data-kind', 'unauthorized');
    await expect(page.getByTestId('agent-status')).toContainText('wrong token');
    // Bad input is explained before anything is stored.
    await page.getByLabel('Pairing token').fill('short');
    await page.getByRole('button', { name: 'Pair', exact: true }).click();
    await expect(page.getByTestId('agent-form-error')).toContainText('not a pairing token');
    await page.getByLabel('Agent URL').fill('http://example.com:9470');
    await page.getByLabel('Pairing token').fill(token);
    await page.getByRole('button', { name: 'Pair', exact: true }).click();
    await expect(page.getByTestId('agent-form-error')).toContainText('this machine only');
  }
});

test('only the leader tab streams; the next leader resumes from the stored seq', async ({
  context,
  baseURL
}) => {
  const origin = new URL(baseURL!).origin;
  const token = randomBytes(32).toString('base64url');
  const agent = await startAgent(token, origin);
  const a = await context.newPage();
  await pair(a, token);
  await expect(a.getByTestId('agent-state')).toHaveAttribute('data-state', 'connected');
  await expect(a.locator('html')).toHaveAttribute('data-leader', 'true');
  const b = await context.newPage();
  await b.goto('/settings');
  await waitForStore(b);
  await expect(b.locator('html')).toHaveAttribute('data-leader', 'false');
  // The follower shows the leader's connection, and opens none of its own.
  await expect(b.getByTestId('agent-state')).toHaveAttribute('data-state', 'connected');
  await expect(
    b.getByText('The connection runs in the tab that does background work.')
  ).toBeVisible();
  await postModelEvents(token, 0, 3);
  await expect.poll(async () => (await readStore(b)).events).toBe(3);

  await a.close();
  await expect(b.locator('html')).toHaveAttribute('data-leader', 'true');
  await postModelEvents(token, 3, 3);
  await expect.poll(async () => (await readStore(b)).events).toBe(6);
  await expect
    .poll(async () => Number(await b.getByTestId('agent-received').getAttribute('data-points')))
    .toBeGreaterThan(0);
  const store = await readStore(b);
  const probe = store.series.find((s) => s.key === Probe)!;
  expect(missingSamples(probe.t, streamedTimes(agent))).toEqual([]);
  for (const s of store.series) expect(s.appended, s.key).toBe(s.t.length);
});

test('an agent that refuses this origin, and no agent at all, are told apart', async ({ page }) => {
  const token = randomBytes(32).toString('base64url');
  // Paired with another origin: the browser's CORS preflight fails.
  await startAgent(token, 'http://127.0.0.1:1', 9472);
  await pair(page, token, 9472);
  await expect(page.getByTestId('agent-error')).toHaveAttribute('data-kind', 'forbidden');
  await expect(page.getByTestId('agent-error')).toContainText(
    `--origin ${new URL(page.url()).origin}`
  );
  // Nothing listens on 9479.
  await pair(page, token, 9479);
  await expect(page.getByTestId('agent-error')).toHaveAttribute('data-kind', 'unreachable');
  await expect(page.getByTestId('agent-error')).toContainText('npm run agent');
  await expect(page.getByTestId('agent-status')).toContainText('unreachable');
});
