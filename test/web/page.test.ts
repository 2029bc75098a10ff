// The page of `breakglass serve` in a real browser (Debian's Chromium, driven by playwright-core),
// against the built bin serving a generated index, as a responder uses it: type a scenario and see
// its rows, zoom the histogram, click a sidebar value, open a record beside its partner, follow a
// shared link, see a parse error's caret, and revoke a query's leases against the Vault-compatible
// test server. Every expected answer comes from the oracle (test/oracle/), which reads the log
// with no code from src/. Each step saves a screenshot under dist/screenshots/ (git-ignored).
// Without Chromium the file skips with a notice; BREAKGLASS_REQUIRE_CHROMIUM=1 makes that a failure.
// Cost: one ~1.5 MB log, one index, one server and one browser for the file (~20 s).
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog, type PlantedIncidents } from "../../src/demo/generate-log.js";
import {
  CHROMIUM_PATH,
  CHROMIUM_REQUIRED,
  HAS_CHROMIUM,
  launchChromium,
} from "../helpers/chromium.js";
import { FakeVault } from "../helpers/fake-vault-server.js";
import { ensureBuilt, ROOT, runBin } from "../helpers/run-bin.js";
import { startServe, type ServeProcess } from "../helpers/serve-process.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  and,
  cmp,
  exists,
  oracleAnswer,
  oracleEntries,
  oracleMatches,
  type OEntry,
  type OExpr,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";

const SEED = 20261129;
const SALT = "page-test-salt";
const LOG_BYTES = 1_500_000;
const VAULT_TOKEN = "hvs.page-test-root-token";
const SCREENSHOTS = path.join(ROOT, "dist/screenshots");
const tempDir = tempDirs("bg-page-");
/** The log starts three hours ago (on the minute), so "last 24 h" holds all of it and "last 1 h" none. */
const START_MS = Math.floor((Date.now() - 3 * 3600_000) / 60_000) * 60_000;
const START_TIME = new Date(START_MS).toISOString().replace(".000Z", "Z");
const TEN_MINUTES_LATER = new Date(START_MS + 600_000).toISOString().replace(".000Z", "Z");

test.runIf(!HAS_CHROMIUM && CHROMIUM_REQUIRED)(
  "Chromium is installed (BREAKGLASS_REQUIRE_CHROMIUM=1)",
  () => {
    expect.fail(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium`);
  },
);

describe.skipIf(!HAS_CHROMIUM)("the page in Chromium", () => {
  let planted: PlantedIncidents;
  let entries: OEntry[];
  let db: string;
  let vault: FakeVault;
  let server: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    const generated = await writeAuditLog(log, {
      seed: SEED,
      targetBytes: LOG_BYTES,
      salt: SALT,
      startTime: START_TIME,
    });
    if (!generated.planted) throw new Error("the generator planted no incidents");
    planted = generated.planted;
    entries = oracleEntries(scanLogs([log]));
    db = path.join(dir, "db");
    const indexed = await runBin(["index", "--db", db, log], { HOME: dir });
    if (indexed.code !== 0) throw new Error(`index failed: ${indexed.stderr}`);

    vault = await FakeVault.start({ rootToken: VAULT_TOKEN, salt: SALT });
    for (const l of oracleAnswer(
      { where: exists("lease"), stages: [{ kind: "leases" }] },
      entries,
      { salt: SALT },
    )) {
      if (l.kind === "lease") vault.addLease(l.lease, l.namespace ?? "");
    }
    server = await startServe(["--db", db, "--allow-revoke"], {
      HOME: dir,
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN,
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await watchedPage();
    await page.goto(server.startUrl);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await vault?.close();
  });

  /** A new tab whose CSP violations and uncaught errors are recorded. */
  async function watchedPage(): Promise<Page> {
    const p = await context.newPage();
    p.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text()))
        cspViolations.push(m.text());
    });
    p.on("pageerror", (e) => pageErrors.push(e.message));
    return p;
  }

  const shot = (name: string, p: Page = page) =>
    p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

  /** The number of the last run the page started (each Enter, click or zoom starts one). */
  const runNumber = async (p: Page) => Number(await p.getAttribute(".status", "data-run"));

  /** Waits until a run after `after` has finished streaming. */
  async function runFinished(p: Page, after: number): Promise<void> {
    await p.waitForFunction((n) => {
      // Runs in the page (the test's own types have no DOM).
      const doc = (
        globalThis as unknown as { document: { querySelector(s: string): Element | null } }
      ).document;
      const s = doc.querySelector(".status");
      return (
        !!s && Number(s.getAttribute("data-run")) > n && s.getAttribute("data-state") === "done"
      );
    }, after);
  }

  interface Element {
    getAttribute(name: string): string | null;
  }

  /** Types `query` in the bar, presses Enter and waits for the results. */
  async function typeQuery(query: string, p: Page = page): Promise<void> {
    const before = await runNumber(p);
    await p.fill(".query-input", query);
    await p.press(".query-input", "Enter");
    await runFinished(p, before);
  }

  const rowCount = async (p: Page = page) =>
    Number(await p.getAttribute(".results", "aria-rowcount"));

  /** The text of column `column` in the rows now in the DOM (the virtual table's window). */
  async function columnTexts(column: string, p: Page = page): Promise<string[]> {
    return p.$$eval(`.viewport .row .col-${column}`, (cells) =>
      cells.map((c) => c.textContent ?? ""),
    );
  }

  /** Records in CSV text (RFC 4180: a quoted cell may hold newlines). */
  function csvRecordCount(text: string): number {
    let records = 0;
    let quoted = false;
    for (const c of text) {
      if (c === '"') quoted = !quoted;
      else if (c === "\n" && !quoted) records++;
    }
    return records;
  }

  const matches = (where: OExpr) => oracleMatches(where, entries, { salt: SALT });
  const json = (e: OEntry) => e.entry as Record<string, unknown>;

  test("a scenario typed in the bar streams its rows into the table", async () => {
    const ip = planted.compromisedIp;
    await typeQuery(`ip = ${ip}`);
    const expected = matches(cmp("ip", "=", ip));
    expect(expected.length).toBeGreaterThan(5);
    expect(await rowCount()).toBe(expected.length);
    const times = await columnTexts("time");
    expect(times.slice(0, 5)).toEqual(expected.slice(0, 5).map((e) => json(e).time));
    await shot("01-scenario-rows");

    await typeQuery(`ip = ${ip} | leases`);
    expect(await columnTexts("lease")).toEqual(planted.compromisedIpLeases);
    await shot("02-scenario-leases");
  });

  test("dragging across the histogram zooms to that span of time", async () => {
    await typeQuery("op = read");
    const all = await rowCount();
    await page.waitForSelector(".histogram .u-over");
    const box = (await page.locator(".histogram .u-over").boundingBox())!;
    const before = await runNumber(page);
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await runFinished(page, before);
    const url = new URL(page.url());
    const from = url.searchParams.get("from")!;
    const to = url.searchParams.get("to")!;
    expect(Date.parse(from)).toBeLessThan(Date.parse(to));
    const expected = matches(
      and(cmp("op", "=", "read"), cmp("time", ">=", from), cmp("time", "<", to)),
    );
    expect(await rowCount()).toBe(expected.length);
    expect(expected.length).toBeLessThan(all);
    expect(await page.textContent(".time-button")).toContain(from);
    await shot("03-histogram-zoomed");
    await page.click(".time-button");
    await page.click('.time-menu [data-range="all"]');
    await runFinished(page, before + 1);
  });

  test("a sidebar value narrows the query to it; Alt+click excludes it", async () => {
    await typeQuery("op = read");
    const value = page.locator('.field[data-field="path"] .field-value').first();
    await value.waitFor();
    const path_ = (await value.getAttribute("data-value"))!;
    let before = await runNumber(page);
    await value.click();
    await runFinished(page, before);
    expect(await page.inputValue(".query-input")).toMatch(/^op = read and path = /);
    const only = matches(and(cmp("op", "=", "read"), cmp("path", "=", path_)));
    expect(await rowCount()).toBe(only.length);
    expect(new Set(await columnTexts("path"))).toEqual(new Set([path_]));
    await shot("04-sidebar-narrowed");

    await typeQuery("op = read");
    const excluded = page.locator('.field[data-field="path"] .field-value').first();
    await excluded.waitFor();
    const other = (await excluded.getAttribute("data-value"))!;
    before = await runNumber(page);
    await excluded.click({ modifiers: ["Alt"] });
    await runFinished(page, before);
    expect(await page.inputValue(".query-input")).toMatch(/^op = read and not path = /);
    const rest = matches(cmp("op", "=", "read")).filter(
      (e) => (json(e).request as { path?: string }).path !== other,
    );
    expect(await rowCount()).toBe(rest.length);
  });

  test("a row opens the whole entry beside its request/response partner", async () => {
    await typeQuery(`ip = ${planted.compromisedIp}`);
    const first = matches(cmp("ip", "=", planted.compromisedIp))[0]!;
    await page.click(".viewport .row >> nth=0");
    const main = JSON.parse((await page.textContent(".record-main pre"))!) as Record<
      string,
      unknown
    >;
    expect(main).toEqual(first.entry);
    const requestId = (json(first).request as { id: string }).id;
    const partnerExpected = entries.find(
      (e) => e !== first && (json(e).request as { id?: string } | undefined)?.id === requestId,
    )!;
    await page.waitForSelector(".record-partner pre");
    const partner = JSON.parse((await page.textContent(".record-partner pre"))!) as Record<
      string,
      unknown
    >;
    expect(partner).toEqual(partnerExpected.entry);
    expect(partner.type).not.toBe(main.type);
    expect(await page.locator(".record-view button.copy").count()).toBe(2);
    await shot("05-record-and-partner");
  });

  test("a shared URL reproduces the query and the time range", async () => {
    const query = `ip = ${planted.compromisedIp}`;
    await typeQuery(query);
    await page.click(".time-button");
    await page.fill('.time-menu input[aria-label="from"]', START_TIME);
    await page.fill('.time-menu input[aria-label="to"]', TEN_MINUTES_LATER);
    const before = await runNumber(page);
    await page.click('.time-menu button[type="submit"]');
    await runFinished(page, before);
    const shared = page.url();
    expect(shared).not.toContain(server.token);
    const count = await rowCount();
    const expected = matches(
      and(
        cmp("ip", "=", planted.compromisedIp),
        cmp("time", ">=", START_TIME),
        cmp("time", "<", TEN_MINUTES_LATER),
      ),
    );
    expect(count).toBe(expected.length);

    const other = await watchedPage();
    await other.goto(shared);
    await runFinished(other, 0);
    expect(await other.inputValue(".query-input")).toBe(query);
    expect(await other.textContent(".time-button")).toContain(TEN_MINUTES_LATER);
    expect(await rowCount(other)).toBe(count);
    await shot("06-shared-url", other);
    await other.close();
    const last = await runNumber(page);
    await page.click(".time-button");
    await page.click('.time-menu [data-range="all"]');
    await runFinished(page, last);
  });

  test("a query that does not parse shows the server's message with a caret under its position", async () => {
    const query = `ip = ${planted.compromisedIp} and and`;
    const cli = await runBin(["query", "--db", db, query], {});
    expect(cli.code).toBe(2);
    const column = Number(/query:1:(\d+):/.exec(cli.stderr)![1]);
    await page.fill(".query-input", query);
    await page.press(".query-input", "Enter");
    await page.waitForSelector(".query-error .caret");
    expect(await page.textContent(".caret-line")).toBe(`${" ".repeat(column - 1)}^`);
    expect(await page.textContent(".query-error .error-message")).not.toBe("");
    expect(await page.textContent(".query-overlay .tok-error")).toBe(query[column - 1]);
    await shot("07-error-caret");
  });

  test("the revoke flow lists the leases, wants their count typed, and revokes exactly them", async () => {
    const ip = planted.compromisedIp;
    await typeQuery(`ip = ${ip}`);
    const expected = oracleAnswer(
      { where: cmp("ip", "=", ip), stages: [{ kind: "leases" }] },
      entries,
      { salt: SALT },
    ).flatMap((l) => (l.kind === "lease" ? [l] : []));
    const leasesBefore = vault.leaseCount();
    await page.click(".revoke .dry-run");
    await page.waitForSelector(".revoke .lease-list li");
    expect(
      await page.$$eval(".revoke .lease-list li code", (cs) => cs.map((c) => c.textContent)),
    ).toEqual(expected.map((l) => l.lease));
    expect(vault.totalRevokeRequests).toBe(0);
    await shot("08-revoke-dry-run");

    const confirm = page.locator(".revoke .confirm-revoke");
    await page.fill(".revoke .confirm-count", String(expected.length + 1));
    expect(await confirm.isDisabled()).toBe(true);
    await page.fill(".revoke .confirm-count", String(expected.length));
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();
    await page.waitForSelector(".revoke-summary");
    expect(await page.textContent('.revoke-summary [data-key="revoked"]')).toBe(
      String(expected.length),
    );
    expect(await page.textContent('.revoke-summary [data-key="alreadyGone"]')).toBe("0");
    expect(await page.textContent('.revoke-summary [data-key="stillLive"]')).toBe("0");
    await shot("09-revoke-summary");
    for (const l of expected) expect(vault.revocations(l.lease, l.namespace ?? "")).toBe(1);
    expect(vault.totalRevokeRequests).toBe(expected.length);
    expect(vault.leaseCount()).toBe(leasesBefore - expected.length);
  });

  test("the time picker's relative spans run as `time >= now-…`, kept in the URL", async () => {
    const query = `ip = ${planted.compromisedIp}`;
    await typeQuery(query);
    const all = matches(cmp("ip", "=", planted.compromisedIp)).length;
    for (const [span, expected] of [
      ["24h", all],
      ["1h", 0],
    ] as const) {
      const before = await runNumber(page);
      await page.click(".time-button");
      await page.click(`.time-menu [data-range="${span}"]`);
      await runFinished(page, before);
      expect(new URL(page.url()).searchParams.get("range")).toBe(span);
      expect(await page.inputValue(".query-input")).toBe(query);
      expect(await rowCount()).toBe(expected);
    }
    const before = await runNumber(page);
    await page.click(".time-button");
    await page.click('.time-menu [data-range="all"]');
    await runFinished(page, before);
  });

  test("the bar completes from the server's completer (Tab accepts)", async () => {
    await page.fill(".query-input", "");
    await page.type(".query-input", `ip = ${planted.compromisedIp} | lea`);
    const option = page.locator(".completions li", { hasText: "leases" });
    await option.waitFor();
    await page.press(".query-input", "Tab");
    expect(await page.inputValue(".query-input")).toBe(`ip = ${planted.compromisedIp} | leases`);
    expect(await page.textContent(".query-overlay .tok-stage")).toBe("leases");
  });

  test("templates run in one click; count by and top are drawn as bars, timeline as a chart", async () => {
    let before = await runNumber(page);
    await page.click('.template:has-text("Busiest paths")');
    await runFinished(page, before);
    const top = oracleAnswer(
      { where: cmp("op", "=", "read"), stages: [{ kind: "top", n: 10, field: "path" }] },
      entries,
      { salt: SALT },
    ).flatMap((g) => (g.kind === "group" ? [`${String(g.value)}${g.count}`] : []));
    const bars = await page.$$eval(".bar-chart g", (gs) =>
      gs.map((g) => [...g.querySelectorAll("text")].map((t) => t.textContent).join("")),
    );
    expect(bars).toEqual(top);
    await shot("10-top-as-bars");

    before = await runNumber(page);
    await page.click('.template:has-text("Activity of a host over time")');
    await runFinished(page, before);
    const buckets = Number(await page.getAttribute(".stage-chart .time-chart", "data-buckets"));
    expect(buckets).toBe(await rowCount());
    expect(buckets).toBeGreaterThan(0);
    await shot("11-timeline-chart");
  });

  test("the table stays virtual for every row, and the downloads hold every result", async () => {
    await typeQuery("exists type");
    const total = await rowCount();
    expect(total).toBe(entries.length);
    expect(await page.locator(".viewport .row").count()).toBeLessThan(100);
    await page.locator(".viewport").evaluate((v) => (v.scrollTop = v.scrollHeight));
    const last = (entries[entries.length - 1]!.entry as { time: string }).time;
    await page.locator(".viewport .row .col-time", { hasText: last }).waitFor();

    const ndjson = await context.request.get(
      server.origin + (await page.getAttribute(".download-ndjson", "href"))!,
    );
    expect(ndjson.status()).toBe(200);
    expect((await ndjson.text()).split("\n").filter((l) => l !== "")).toEqual(
      entries.map((e) => e.line),
    );
    const csv = await context.request.get(
      server.origin + (await page.getAttribute(".download-csv", "href"))!,
    );
    expect(csv.headers()["content-disposition"]).toContain("attachment");
    expect(csvRecordCount(await csv.text())).toBe(entries.length + 1);
  });

  test("nothing on the page broke the Content-Security-Policy or threw", () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
