// `breakglass index` and `stats`, through the built bin, on input a hostile or unusual device
// writes: a line longer than --max-line-bytes (skipped as a bad line, never held in memory,
// nothing lost around it, nothing redone on a rerun), and a log_raw log whose client tokens are
// plaintext (indexed, with a warning, and named by `stats`).
import { spawn } from "node:child_process";
import fs, { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { scanLogs } from "../oracle/scan-log.js";
import { BIN, ROOT, runBin, type BinResult } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-hostile-");
const good = [...generateAuditLines({ seed: 9, targetBytes: 100_000, salt: "s" })];
const text = (lines: readonly string[]): string => lines.map((l) => l + "\n").join("");

function run(args: readonly string[]): Promise<BinResult> {
  return runBin(args, { HOME: tempDir() });
}

/** A valid audit entry of `bytes` bytes: only its length makes it bad. */
function longEntry(bytes: number): string {
  const head = '{"type":"request","request":{"id":"long","path":"secret/big"},"pad":"';
  return head + "a".repeat(bytes - head.length - 2) + '"}';
}

interface Stats {
  records: number;
  badLines: number;
  badLineList: { file: string; line: number; reason: string }[];
  fileList: { path: string; lines: number; rawTokenRecords: number }[];
  rawTokenFiles: string[];
}

async function stats(db: string): Promise<Stats> {
  const r = await run(["stats", "--db", db, "--json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Stats;
}

describe("a line longer than --max-line-bytes", () => {
  test.each([{ gzip: false }, { gzip: true }])(
    "is reported as file:LINE and skipped; the good lines are indexed; a rerun adds nothing (gzip: $gzip)",
    async ({ gzip }) => {
      const dir = tempDir();
      const half = Math.floor(good.length / 2);
      const long = longEntry(3 << 20);
      const content = text([...good.slice(0, half), long, ...good.slice(half)]);
      const file = path.join(dir, gzip ? "audit.log.1.gz" : "audit.log");
      writeFileSync(file, gzip ? gzipSync(content) : content);
      const expectedFile = path.join(dir, "expected.log");
      writeFileSync(expectedFile, text(good));
      const expected = scanLogs([expectedFile]).records.length;
      const db = path.join(dir, "db");
      const args = ["index", "--db", db, "--json", "--max-line-bytes", "1048576", file];

      const first = await run(args);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain(
        `${file}:${half + 1}: line longer than 1 MiB (${long.length} bytes), skipped\n`,
      );
      expect(JSON.parse(first.stdout)).toMatchObject({ records: expected, badLines: 1 });

      const again = await run(args);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ records: 0, badLines: 0, bytes: 0 });
      const s = await stats(db);
      expect(s.records).toBe(expected);
      expect(s.badLineList.map((b) => `${b.file}:${b.line}`)).toEqual([`${file}:${half + 1}`]);
    },
  );

  test.each([
    ["0", /--max-line-bytes.*whole number/],
    ["lots", /--max-line-bytes.*whole number/],
    [String((256 << 20) + 1), /--max-line-bytes.*at most 268435456/],
  ])("--max-line-bytes %s is a usage error (exit 2)", async (value, message) => {
    const file = path.join(tempDir(), "audit.log");
    writeFileSync(file, text(good.slice(0, 3)));
    const r = await run([
      "index",
      "--db",
      path.join(tempDir(), "db"),
      "--max-line-bytes",
      value,
      file,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test("of 300 MiB, with the default limit, costs the memory of the limit, not of the line", async () => {
    const dir = tempDir();
    // maxRSS of the whole process (main thread and parse workers), written as it exits.
    const probe = path.join(dir, "rss-probe.cjs");
    writeFileSync(
      probe,
      'process.on("exit", () => require("node:fs").writeFileSync(process.env.RSS_FILE, ' +
        "String(process.resourceUsage().maxRSS)));\n",
    );
    const peakKiB = async (
      file: string,
    ): Promise<{ code: number | null; kib: number; stderr: string }> => {
      const rssFile = path.join(dir, `${path.basename(file)}.rss`);
      const db = path.join(dir, `${path.basename(file)}.db`);
      const child = spawn(
        process.execPath,
        ["--require", probe, BIN, "index", "--db", db, "--workers", "1", file],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: dir, RSS_FILE: rssFile } },
      );
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
      const kib = fs.existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8")) : Infinity;
      return { code, kib, stderr };
    };

    const small = path.join(dir, "small.log");
    writeFileSync(small, text(good.slice(0, 20)));
    const big = path.join(dir, "big.log");
    const lineBytes = 300 << 20;
    // Written as a stream: the test itself never holds the line either.
    const fd = fs.openSync(big, "w");
    fs.writeSync(fd, text(good.slice(0, 10)) + '{"type":"request","pad":"');
    const block = Buffer.alloc(1 << 20, 97);
    for (let n = 27; n < lineBytes; n += block.length) {
      fs.writeSync(fd, block, 0, Math.min(block.length, lineBytes - n));
    }
    fs.writeSync(fd, '"}\n' + text(good.slice(10, 20)));
    fs.closeSync(fd);

    const base = await peakKiB(small);
    const long = await peakKiB(big);
    expect(base.code).toBe(0);
    expect(long.code).toBe(0);
    expect(long.stderr).toMatch(
      new RegExp(`big\\.log:11: line longer than 64 MiB \\(\\d+ bytes\\), skipped`),
    );
    expect(long.stderr).toContain("indexed 1 files, 20 records, 1 bad lines");
    // The limit's buffers (16, 32 and 64 MiB + 1 at most, then a 16 MiB one to skip through) and
    // a chunk in flight: under 200 MiB over a small run, where holding the line would be 300.
    expect((long.kib - base.kib) / 1024).toBeLessThan(200);
  });
});

/** `good` as a log_raw device writes it: client tokens in plain text. */
function rawTokenLines(): string[] {
  return good.map((l) =>
    l.replace(/"client_token":"hmac-sha256:([0-9a-f]{64})"/g, '"client_token":"hvs.$1"'),
  );
}

/** Entries whose auth or request client token is there and not an HMAC: read independently. */
function plaintextTokenEntries(lines: readonly string[]): number {
  return lines.filter((l) => {
    const e = JSON.parse(l) as {
      auth?: { client_token?: string };
      request?: { client_token?: string };
    };
    return [e.auth?.client_token, e.request?.client_token].some(
      (t) => typeof t === "string" && t !== "" && !t.startsWith("hmac-sha256:"),
    );
  }).length;
}

describe("a log_raw log (plaintext client tokens)", () => {
  test("is indexed with one warning that names it; stats names it too; the HMAC'd log is not named", async () => {
    const dir = tempDir();
    const raw = path.join(dir, "raw-audit.log");
    const hashed = path.join(dir, "audit.log");
    const rawLines = rawTokenLines();
    writeFileSync(raw, text(rawLines));
    writeFileSync(hashed, text(good.map((l) => l.replace(/"id":"/, '"id":"h-'))));
    const plaintext = plaintextTokenEntries(rawLines);
    expect(plaintext).toBeGreaterThan(0);
    expect(plaintextTokenEntries(good)).toBe(0);
    const db = path.join(dir, "db");

    const first = await run(["index", "--db", db, "--json", hashed, raw]);
    expect(first.code).toBe(0);
    const warnings = first.stderr.split("\n").filter((l) => l.includes("plaintext tokens"));
    expect(warnings).toEqual([
      `warning: ${raw} holds plaintext tokens (a log_raw audit device): ` +
        "the index now holds live secrets; protect it like the log",
    ]);
    expect(JSON.parse(first.stdout)).toMatchObject({ rawTokenFiles: [raw] });

    const s = await stats(db);
    expect(s.rawTokenFiles).toEqual([raw]);
    expect(s.fileList.map((f) => [f.path, f.rawTokenRecords])).toEqual([
      [hashed, 0],
      [raw, plaintext],
    ]);
    const readable = await run(["stats", "--db", db]);
    expect(readable.stdout).toMatch(/^warning +1 file holds plaintext tokens/m);
    expect(readable.stdout).toContain(`${raw}: `);
    expect(readable.stdout).toMatch(new RegExp(`, ${plaintext} with plaintext tokens\\n`));

    // Nothing new, nothing to warn about.
    const again = await run(["index", "--db", db, hashed, raw]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("plaintext tokens");
  });
});
