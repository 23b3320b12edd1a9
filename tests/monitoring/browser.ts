/** Headless Chromium for console tests: Debian's chromium, offline flags, fail loudly in CI. */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

if (!haveChromium && process.env.CI) {
  // CI installs chromium (.ci/run); a silent skip there would hide a broken console.
  throw new Error(`${CHROMIUM} is missing but CI is set: install the Debian "chromium" package to run the console test.`);
}

/** Flags that keep an offline headless Chromium from trying to phone home. */
export const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}
