// Finds Debian's Chromium for Playwright (npm cannot download browsers on this machine) and
// installs it through apt-get when it is missing and we are root.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureChromium() {
  if (existsSync(chromiumPath)) return chromiumPath;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `Tidemark's browser tests need Chromium at ${chromiumPath}.\n` +
        `Install Debian's package first:  sudo apt-get install -y chromium\n` +
        `(or set CHROMIUM_PATH to another Chromium binary).`
    );
    process.exit(1);
  }
  console.log(`Chromium is missing: installing Debian's chromium package with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync('apt-get update -qq', { stdio: 'inherit', env });
  execSync('apt-get install -y -qq chromium', { stdio: 'inherit', env });
  if (!existsSync(chromiumPath)) {
    console.error(`apt-get finished but ${chromiumPath} is still missing.`);
    process.exit(1);
  }
  return chromiumPath;
}
