// Finds Debian's xmllint (libxml2-utils) for the XML export's schema test, and installs it
// through apt-get when it is missing and we are root (as scripts/chromium.mjs does for Chromium).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const xmllintPath = process.env.XMLLINT_PATH ?? '/usr/bin/xmllint';

/** The path of xmllint, installing libxml2-utils first when possible; null when it cannot be had. */
export function ensureXmllint() {
  if (existsSync(xmllintPath)) return xmllintPath;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `The XML schema test needs xmllint at ${xmllintPath}.\n` +
        `Install Debian's package first:  sudo apt-get install -y libxml2-utils`
    );
    return null;
  }
  console.log(`xmllint is missing: installing Debian's libxml2-utils package with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execSync('apt-get install -y -qq libxml2-utils', { stdio: 'inherit', env });
  } catch {
    execSync('apt-get update -qq', { stdio: 'inherit', env });
    execSync('apt-get install -y -qq libxml2-utils', { stdio: 'inherit', env });
  }
  return existsSync(xmllintPath) ? xmllintPath : null;
}
