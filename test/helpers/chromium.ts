// Debian's Chromium for the browser tests, driven by playwright-core (which downloads nothing):
// whether it is here, and a headless launch. Without it the tests skip with a visible notice;
// with BREAKGLASS_REQUIRE_CHROMIUM=1 (as CI sets) its absence is a failure instead.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.BREAKGLASS_CHROMIUM ?? "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const CHROMIUM_REQUIRED = process.env.BREAKGLASS_REQUIRE_CHROMIUM === "1";

if (!HAS_CHROMIUM) {
  console.warn(
    `NOTICE: browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)` +
      (CHROMIUM_REQUIRED ? "; BREAKGLASS_REQUIRE_CHROMIUM=1 makes this a failure" : ""),
  );
}

/** Headless Chromium; `--no-sandbox` because tests run as root here and in CI. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}
