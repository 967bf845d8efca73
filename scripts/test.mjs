// `npm test`: every check and test a change must pass, in the order CI runs them:
// types + lint + format, unit tests (Vitest, Node), the agent's tests (real agent processes),
// the interop tests (output loaded into promtool and DuckDB), the production build, then
// end-to-end tests (Playwright in Debian's Chromium against the built site).
//
// Each phase prints one timing line (wall seconds, CPU seconds of its processes, load average)
// and a table closes the run, so a slow phase shows where the time went. Phases that would
// leave a core idle run side by side (see `stages`); their output is kept in
// test-results/<phase>.log and printed whole when the phase ends, so logs never interleave.
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  existsSync,
  closeSync,
  rmSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureChromium } from './chromium.mjs';
import { ensurePrometheus } from './prometheus.mjs';
import { ensureXmllint } from './xmllint.mjs';

const timings = [];
const load = () => os.loadavg()[0].toFixed(2);

/** Adds a timing line for work done in this process (the installs) or a finished phase. */
function record(name, startedAt, cpu, load0, ok = true) {
  const t = {
    name,
    ok,
    wall: (performance.now() - startedAt) / 1000,
    cpu,
    load: `${load0}→${load()}`
  };
  timings.push(t);
  console.log(
    `⏱ ${name}: ${t.wall.toFixed(1)} s wall, ${cpu === null ? '?' : cpu.toFixed(1)} s CPU, load ${t.load}${ok ? '' : ' (FAILED)'}`
  );
}

const setupStart = performance.now();
const setupLoad = load();
ensureChromium();
ensurePrometheus();
// The XML export's schema test validates with the real xmllint (Debian's libxml2-utils).
ensureXmllint();
mkdirSync('test-results', { recursive: true });
record('setup', setupStart, null, setupLoad);

/**
 * Runs `cmd args` and reports the CPU seconds (user + system) it and every process under it
 * used: a small Node parent runs the command to its end and reads its own children's times
 * from /proc/self/stat (Linux; elsewhere the CPU column says `?`).
 */
const Timed = `
const { spawnSync } = require('node:child_process');
const { readFileSync, writeSync } = require('node:fs');
const [cmd, ...args] = process.argv.slice(1);
const r = spawnSync(cmd, args, { stdio: 'inherit' });
let cpu = null;
try {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  cpu = (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime, in USER_HZ ticks
} catch {}
writeSync(3, JSON.stringify({ status: r.status, cpu }));
process.exit(0);
`;

/**
 * One phase: its output goes to the terminal as it comes (`live`), or to
 * test-results/<name>.log, printed when it ends (phases running side by side).
 */
function run(name, label, cmd, args, { env = {}, live = true } = {}) {
  return new Promise((resolve) => {
    const header = `\n── ${label}: ${cmd} ${args.join(' ')}`;
    if (live) console.log(header);
    const logFile = `test-results/${name}.log`;
    const out = live ? 'inherit' : openSync(logFile, 'w');
    const startedAt = performance.now();
    const load0 = load();
    const child = spawn(process.execPath, ['-e', Timed, cmd, ...args], {
      stdio: ['inherit', out, out, 'pipe'],
      env: { ...process.env, ...env }
    });
    let report = '';
    child.stdio[3].on('data', (c) => (report += c));
    child.on('close', () => {
      if (!live) {
        closeSync(out);
        console.log(header);
        process.stdout.write(readFileSync(logFile, 'utf8'));
      }
      const { status, cpu } = report ? JSON.parse(report) : { status: 1, cpu: null };
      record(name, startedAt, cpu, load0, status === 0);
      resolve(status === 0);
    });
  });
}

/** Runs phases `width` at a time, in the order given; resolves to whether all passed. */
async function pool(width, jobs) {
  const queue = [...jobs];
  let ok = true;
  const lane = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) ok = (await job()) && ok;
  };
  await Promise.all(Array.from({ length: width }, lane));
  return ok;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
/** Adds a Vitest JSON report to the totals. */
function countVitest(file) {
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += r.numPassedTests ?? 0;
  totals.failed += r.numFailedTests ?? 0;
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
const vitest = (name, config) => [
  'npx',
  [
    'vitest',
    'run',
    ...(config ? ['--config', config] : []),
    // Vitest's default is one worker per core but one: a single worker on CI's two cores,
    // though the main process only waits. Every core, so both are busy.
    '--maxWorkers=100%',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=test-results/${name}.json`
  ]
];

const steps = [];
const runStart = performance.now();
const runLoad = load();

// Types, lint and format: `npm run check`'s commands (package.json, the one definition), but
// each is single-threaded, so after `svelte-kit sync` (which the others read) they run two at
// a time, longest first; each fails on its own as in `npm run check`.
const [sync, ...checks] = JSON.parse(readFileSync('package.json', 'utf8')).scripts.check.split(
  ' && '
);
const bin = `${process.cwd()}/node_modules/.bin`;
const shell = (name, command, live) =>
  run(name, 'types, lint and format', 'sh', ['-c', command], {
    env: { PATH: `${bin}:${process.env.PATH}` },
    live
  });
const checkStart = performance.now();
const checkLoad = load();
const toolOf = (command) => {
  const words = command.split(' ');
  return words[0] === 'npm' ? words.at(-1) : words[0];
};
const checkOk =
  (await shell('check-sync', sync, true)) &&
  (await pool(
    2,
    checks.map((command) => () => shell(`check-${toolOf(command)}`, command, false))
  ));
const checkCpu = timings.filter((t) => t.name.startsWith('check-')).reduce((s, t) => s + t.cpu, 0);
record('check (all)', checkStart, Number.isNaN(checkCpu) ? null : checkCpu, checkLoad, checkOk);
steps.push(['check', checkOk]);

const unitOk = await run('unit', 'unit tests', ...vitest('vitest'));
steps.push(['unit', unitOk]);
countVitest('test-results/vitest.json');

// The agent's tests spawn real agent processes on loopback (own config, see its comment) and
// the interop tests load exports and the converter's output into the real engines (promtool,
// DuckDB; see its comment). Both mostly wait on other processes, so they run side by side,
// and beside them the update test's second build (tests/e2e/update.spec.ts: the same site
// under another version name, in its own folders) is made, which that test would otherwise
// make in the middle of the end-to-end tests.
const buildB = path.join(mkdtempSync(path.join(os.tmpdir(), 'tidemark-build-b-')), 'build');
const kitDirB = path.resolve('node_modules/.cache/tidemark-kit-b');
const [agentOk, interopOk, buildBOk] = await Promise.all([
  run('agent', 'agent tests', ...vitest('vitest-agent', 'tests/agent/vitest.config.ts'), {
    live: false
  }),
  run('interop', 'interop tests', ...vitest('vitest-interop', 'tests/interop/vitest.config.ts'), {
    live: false
  }),
  run('build-b', 'second build for the update test', 'npx', ['vite', 'build'], {
    env: {
      TIDEMARK_BUILD_DIR: buildB,
      TIDEMARK_VERSION: 'update-test-b',
      TIDEMARK_KIT_DIR: kitDirB
    },
    live: false
  })
]);
steps.push(['agent', agentOk], ['interop', interopOk]);
countVitest('test-results/vitest-agent.json');
countVitest('test-results/vitest-interop.json');

const buildOk =
  (await run('build', 'build', 'npx', ['vite', 'build'])) &&
  (await run('check-build', 'no benchmarks in the build', 'node', [
    'scripts/check-build.mjs',
    'build'
  ]));
steps.push(['build', buildOk]);
if (buildOk) {
  const e2eOk = await run(
    'e2e',
    'end-to-end tests',
    'npx',
    ['playwright', 'test', '--reporter=list,json'],
    {
      env: {
        PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/playwright.json',
        // If it failed, the update test builds it itself (and fails there, visibly).
        ...(buildBOk ? { TIDEMARK_UPDATE_BUILD_B: buildB } : {})
      }
    }
  );
  steps.push(['e2e', e2eOk]);
  if (existsSync('test-results/playwright.json')) {
    const r = JSON.parse(readFileSync('test-results/playwright.json', 'utf8'));
    totals.passed += r.stats?.expected ?? 0;
    totals.failed += (r.stats?.unexpected ?? 0) + (r.stats?.flaky ?? 0) * 0;
    totals.skipped += r.stats?.skipped ?? 0;
  }
}
rmSync(path.dirname(buildB), { recursive: true, force: true });
rmSync(kitDirB, { recursive: true, force: true });
record('total', runStart, null, runLoad, true);
const failedSteps = steps.filter(([, ok]) => !ok).map(([name]) => name);
console.log('\nTimings (wall and CPU seconds; phases side by side overlap in wall time):');
for (const t of timings) {
  console.log(
    `  ${t.name.padEnd(16)} ${t.wall.toFixed(1).padStart(7)} s  ${t.cpu === null ? '      ?' : t.cpu.toFixed(1).padStart(7)} s CPU  load ${t.load}`
  );
}
console.log(`\nSteps: ${steps.map(([n, ok]) => `${n} ${ok ? 'ok' : 'FAILED'}`).join(', ')}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length === 0 ? 0 : 1);
