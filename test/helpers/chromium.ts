import { existsSync } from 'node:fs';

/** Debian's Chromium: .ci/run installs it, and playwright-core drives it (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Without the networking flags Chromium hangs on lookups this closed network refuses. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser suites can run. CI sets REQUIRE_BROWSER=1, so a missing browser fails
 * there instead of skipping; elsewhere a suite is skipped with one printed line.
 */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`a browser is required: apt-get install chromium (${CHROMIUM})`);
  if (!available) console.log(`${suite} skipped: install Debian's chromium (${CHROMIUM}) to run it`);
  return available;
}
