// Finds promtool and prometheus (Debian's `prometheus` package) for the interop and agent
// tests, which load Tidemark's output into the real engines; installs the package with
// apt-get when they are missing (as root, or through sudo when it is there without a
// password), like chromium.mjs does for the browser. PROMTOOL_PATH / PROMETHEUS_PATH point
// the tests at other binaries.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const promtoolPath = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
export const prometheusPath = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

export function ensurePrometheus() {
  if (existsSync(promtoolPath) && existsSync(prometheusPath)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo =
    !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? 'sudo ' : '';
  if (!isRoot && sudo === '') {
    console.error(
      `Tidemark's interop tests need promtool and prometheus (${promtoolPath}, ${prometheusPath}).\n` +
        `Install Debian's package first:  sudo apt-get install -y prometheus\n` +
        `(or set PROMTOOL_PATH and PROMETHEUS_PATH).`
    );
    process.exit(1);
  }
  console.log(`promtool/prometheus missing: installing Debian's prometheus package with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync(`${sudo}apt-get update -qq`, { stdio: 'inherit', env });
  // The package's service is never started by the tests (they run their own on loopback).
  execSync(`${sudo}apt-get install -y -qq --no-install-recommends prometheus`, {
    stdio: 'inherit',
    env
  });
  if (!existsSync(promtoolPath) || !existsSync(prometheusPath)) {
    console.error(`apt-get finished but ${promtoolPath} or ${prometheusPath} is still missing.`);
    process.exit(1);
  }
}
