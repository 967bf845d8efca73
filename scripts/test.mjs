// `npm test`: every check and test a change must pass, in the order CI runs them:
// types + lint + format, unit tests (Vitest, Node), the agent's tests (real agent processes),
// the interop tests (output loaded into promtool and DuckDB), the production build, then
// end-to-end tests (Playwright in Debian's Chromium against the built site).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';
import { ensurePrometheus } from './prometheus.mjs';
import { ensureXmllint } from './xmllint.mjs';

ensureChromium();
ensurePrometheus();
// The XML export's schema test validates with the real xmllint (Debian's libxml2-utils).
ensureXmllint();
mkdirSync('test-results', { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
function run(label, cmd, args, env = {}) {
  console.log(`\n── ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

const steps = [];
steps.push(['check', run('types, lint and format', 'npm', ['run', '--silent', 'check'])]);
/** Adds a Vitest JSON report to the totals. */
function countVitest(file) {
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += r.numPassedTests ?? 0;
  totals.failed += r.numFailedTests ?? 0;
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}

const unitOk = run('unit tests', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest.json'
]);
steps.push(['unit', unitOk]);
countVitest('test-results/vitest.json');
// The agent's tests spawn real agent processes on loopback (own config, see its comment).
const agentOk = run('agent tests', 'npx', [
  'vitest',
  'run',
  '--config',
  'tests/agent/vitest.config.ts',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest-agent.json'
]);
steps.push(['agent', agentOk]);
countVitest('test-results/vitest-agent.json');
// Exports and the converter loaded by the real engines (promtool, DuckDB; see its comment).
const interopOk = run('interop tests', 'npx', [
  'vitest',
  'run',
  '--config',
  'tests/interop/vitest.config.ts',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest-interop.json'
]);
steps.push(['interop', interopOk]);
countVitest('test-results/vitest-interop.json');
const buildOk =
  run('build', 'npx', ['vite', 'build']) &&
  run('no benchmarks in the build', 'node', ['scripts/check-build.mjs', 'build']);
steps.push(['build', buildOk]);
if (buildOk) {
  const e2eOk = run('end-to-end tests', 'npx', ['playwright', 'test', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/playwright.json'
  });
  steps.push(['e2e', e2eOk]);
  if (existsSync('test-results/playwright.json')) {
    const r = JSON.parse(readFileSync('test-results/playwright.json', 'utf8'));
    totals.passed += r.stats?.expected ?? 0;
    totals.failed += (r.stats?.unexpected ?? 0) + (r.stats?.flaky ?? 0) * 0;
    totals.skipped += r.stats?.skipped ?? 0;
  }
}
const failedSteps = steps.filter(([, ok]) => !ok).map(([name]) => name);
console.log(`\nSteps: ${steps.map(([n, ok]) => `${n} ${ok ? 'ok' : 'FAILED'}`).join(', ')}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length === 0 ? 0 : 1);
