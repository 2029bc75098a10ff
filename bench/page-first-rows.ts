// How long after Enter do a query's first rows show on the page? Starts `breakglass serve` (the
// built bin) on an index, opens the page in headless Chromium (playwright-core, /usr/bin/chromium
// or $BREAKGLASS_CHROMIUM), and for each run clears the table, types `ip = X` and times, inside
// the page, from the Enter key to the animation frame after the first result row is in the DOM
// (what a responder sees). One warm-up run, then the median and p99 of `--runs`.
//   node dist/bench/page-first-rows.js --db DIR [--ip 10.103.9.43] [--runs 20]
// Prints one JSON object on stdout: {"query","runs","p50Ms","p99Ms","rows"}; the page target is
// 300 ms (bench/RESULTS.md).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright-core";
import { median, percentile } from "./measure.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(REPO_ROOT, "dist", "bundle", "main.mjs");
export const FIRST_ROWS_TARGET_MS = 300;

export interface PageFirstRows {
  readonly query: string;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Rows the last run showed in the end (a check that the query found something). */
  readonly rows: number;
}

/** Starts `serve` on `db`; resolves with its start URL and a stop function. */
async function startServe(db: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [BIN, "serve", "--db", db, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = /https?:\/\/\S+[?&]token=\S+/.exec(output);
      if (m) resolve(m[0]);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${output}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}

/** One run: Enter on `query` to the frame after the first row is in the table. */
async function firstRowsMs(page: Page, query: string): Promise<number> {
  await page.fill(".query-input", "");
  await page.press(".query-input", "Enter"); // an empty query clears the table
  await page.waitForSelector(".viewport .row", { state: "detached" });
  await page.fill(".query-input", query);
  return page.evaluate(() => {
    // Runs in the page (the bench's own types have no DOM).
    type El = { dispatchEvent(e: unknown): void };
    const g = globalThis as unknown as {
      document: { querySelector(s: string): El | null };
      MutationObserver: new (cb: () => void) => {
        observe(n: El, o: object): void;
        disconnect(): void;
      };
      KeyboardEvent: new (type: string, init: object) => unknown;
      requestAnimationFrame(cb: () => void): void;
    };
    return new Promise<number>((resolve) => {
      const start = performance.now();
      const observer = new g.MutationObserver(() => {
        if (!g.document.querySelector(".viewport .row")) return;
        observer.disconnect();
        g.requestAnimationFrame(() => resolve(performance.now() - start));
      });
      observer.observe(g.document.querySelector(".results")!, { childList: true, subtree: true });
      g.document
        .querySelector(".query-input")!
        .dispatchEvent(new g.KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    });
  });
}

export async function measurePageFirstRows(
  db: string,
  ip: string,
  runs: number,
): Promise<PageFirstRows> {
  const server = await startServe(db);
  const browser = await chromium.launch({
    executablePath: process.env.BREAKGLASS_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    const query = `ip = ${ip}`;
    await firstRowsMs(page, query); // warm-up: JIT, first index pages, fonts
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await firstRowsMs(page, query));
    await page.waitForSelector('.status[data-state="done"]');
    const rows = Number(await page.getAttribute(".results", "aria-rowcount"));
    const tenth = (ms: number) => Math.round(ms * 10) / 10;
    return { query, runs, p50Ms: tenth(median(times)), p99Ms: tenth(percentile(times, 99)), rows };
  } finally {
    await browser.close();
    server.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      ip: { type: "string", default: "10.103.9.43" },
      runs: { type: "string", default: "20" },
    },
  });
  if (!values.db) {
    process.stderr.write(
      "usage: node dist/bench/page-first-rows.js --db DIR [--ip IP] [--runs N]\n",
    );
    process.exit(2);
  }
  const result = await measurePageFirstRows(values.db, values.ip!, Number(values.runs));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
