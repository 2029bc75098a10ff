// `breakglass index` and `breakglass stats` as an operator runs them: the built bin
// (dist/src/cli/main.js, so build first), real files, exit codes, stdout and stderr.
import { spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { scanLogs } from "../oracle/scan-log.js";
import { tempDirs } from "../helpers/temp-dir.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "dist/src/cli/main.js");
const tempDir = tempDirs("bg-e2e-index-");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], opts: { umask?: string } = {}): Promise<Run> {
  const env = { PATH: process.env.PATH ?? "", HOME: tempDir() };
  const child =
    opts.umask === undefined
      ? spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env })
      : spawn(
          "sh",
          ["-c", `umask ${opts.umask} && exec "$0" "$@"`, process.execPath, BIN, ...args],
          {
            cwd: ROOT,
            env,
          },
        );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end();
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const good = [...generateAuditLines({ seed: 5, targetBytes: 60_000, salt: "s" })];

/** A log with one bad line of each kind, each between good ones, in a fresh directory. */
function logWithBadLines(): { file: string; db: string; badLines: [number, RegExp][] } {
  const dir = tempDir();
  const file = path.join(dir, "audit.log");
  const bad: [Buffer, RegExp][] = [
    [Buffer.from(good[0]!.slice(0, 50)), /truncated JSON/],
    [Buffer.from("hello, not json"), /not JSON/],
    [Buffer.from("[1, 2]"), /not an audit entry/],
    [Buffer.from("3.14"), /not an audit entry/],
    [Buffer.from('{"type":["request"]}'), /not an audit entry/],
    [Buffer.from([0, 0, 1, 2, 3, 4, 0x1f]), /binary/],
    [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /invalid UTF-8/],
  ];
  const parts: Buffer[] = [];
  const badLines: [number, RegExp][] = [];
  bad.forEach(([bytes, reason], i) => {
    parts.push(Buffer.from(good[i]! + "\n"), bytes, Buffer.from("\n"));
    badLines.push([2 * i + 2, reason]);
  });
  parts.push(Buffer.from(good.slice(bad.length).join("\n") + "\n"));
  writeFileSync(file, Buffer.concat(parts));
  return { file, db: path.join(dir, "db"), badLines };
}

function goodLog(): { file: string; db: string } {
  const dir = tempDir();
  const file = path.join(dir, "audit.log");
  writeFileSync(file, good.join("\n") + "\n");
  return { file, db: path.join(dir, "db") };
}

describe("breakglass index", () => {
  test("reports each bad line on stderr as file:line: reason and still indexes every good line", async () => {
    const { file, db, badLines } = logWithBadLines();
    const r = await run(["index", "--db", db, "--json", file]);
    expect(r.code).toBe(0);
    const reported = r.stderr.split("\n").filter((l) => l.startsWith(file + ":"));
    expect(reported).toHaveLength(badLines.length);
    reported.forEach((line, i) => {
      const [lineNo, reason] = badLines[i]!;
      expect(line).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:${lineNo}: `),
      );
      expect(line.slice(`${file}:${lineNo}: `.length)).toMatch(reason);
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ records: good.length, badLines: badLines.length });
    expect(scanLogs([file]).badLines.map((b) => b.lineNo)).toEqual(badLines.map(([n]) => n));
  });

  test("shows the first bad lines on stderr, counts the rest, and stats lists them all", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    const lines = good.slice(0, 30).flatMap((l, i) => [l, `bad line ${i}`]);
    writeFileSync(file, lines.join("\n") + "\n");
    const db = path.join(dir, "db");
    const r = await run(["index", "--db", db, file]);
    expect(r.code).toBe(0);
    const shown = r.stderr.split("\n").filter((l) => l.startsWith(file + ":"));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(30);
    expect(r.stderr).toContain(`… and ${30 - shown.length} more bad lines`);
    const stats = JSON.parse((await run(["stats", "--db", db, "--json"])).stdout) as {
      badLineList: { file: string; line: number }[];
    };
    expect(stats.badLineList.map((b) => `${b.file}:${b.line}`)).toEqual(
      Array.from({ length: 30 }, (_, i) => `${file}:${2 * i + 2}`),
    );
  });

  test("--strict exits 3 when a line is bad, and 0 when none is", async () => {
    const bad = logWithBadLines();
    const strictBad = await run(["index", "--db", bad.db, "--strict", bad.file]);
    expect(strictBad.code).toBe(3);
    expect(strictBad.stderr).toMatch(/^breakglass: .*bad lines/m);
    const ok = goodLog();
    expect((await run(["index", "--db", ok.db, "--strict", ok.file])).code).toBe(0);
  });

  test("--json prints exactly the summary SPEC.md describes, for this run", async () => {
    const { file, db } = goodLog();
    const first = await run(["index", "--db", db, "--json", file]);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual(["files", "records", "badLines", "bytes", "seconds"]);
    expect(summary).toEqual({
      files: 1,
      records: good.length,
      badLines: 0,
      bytes: statSync(file).size,
      seconds: expect.any(Number),
    });
    expect(first.stdout.trim().split("\n")).toHaveLength(1);
    expect(first.stderr).toMatch(
      /indexed 1 files, \d+ records, 0 bad lines, \d+ bytes in [\d.]+ s/,
    );

    const again = JSON.parse((await run(["index", "--db", db, "--json", file])).stdout);
    expect(again).toMatchObject({ records: 0, badLines: 0, bytes: 0 });
  });

  test("stats --json describes the whole index, with one row per file", async () => {
    const bad = logWithBadLines();
    const ok = goodLog();
    await run(["index", "--db", bad.db, bad.file]);
    await run(["index", "--db", bad.db, ok.file]);
    const r = await run(["stats", "--db", bad.db, "--json"]);
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(stats).toMatchObject({
      files: 2,
      records: 2 * good.length,
      badLines: bad.badLines.length,
      bytes: statSync(bad.file).size + statSync(ok.file).size,
      firstTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(stats.fileList).toEqual([
      expect.objectContaining({ path: bad.file, records: good.length, badLines: 7, gzip: false }),
      expect.objectContaining({ path: ok.file, records: good.length, badLines: 0, gzip: false }),
    ]);
  });

  test("entries without a time are indexed and counted: index and stats say how many", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    const lines = [
      '{"time":"2026-01-01T00:00:00Z","type":"request","request":{"path":"a"}}',
      '{"type":"request","request":{"path":"b"}}',
      '{"time":"not a time","type":"request","request":{"path":"c"}}',
      '{"time":"","type":"response","request":{"path":"d"}}',
    ];
    writeFileSync(file, lines.join("\n") + "\n");
    const db = path.join(dir, "db");
    const r = await run(["index", "--db", db, file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: 3 records have no time .*`not exists time` lists them$/m);
    const readable = await run(["stats", "--db", db]);
    expect(readable.stdout).toMatch(/^no time +3 records/m);
    const stats = JSON.parse((await run(["stats", "--db", db, "--json"])).stdout);
    expect(stats).toMatchObject({ records: 4, noTime: 3, firstTime: "2026-01-01T00:00:00Z" });
    const q = await run(["query", "--db", db, "time < 2030-01-01 | count"]);
    expect(q.stdout).toBe("1\n");
    expect(q.stderr).toMatch(/^note: 3 entries have no time/m);
  });

  test("an auto-detected device prefix is stripped and named on stderr", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    writeFileSync(file, good.map((l) => `audit: ${l}\n`).join(""));
    const r = await run(["index", "--db", path.join(dir, "db"), "--json", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('stripped the device prefix "audit: "');
    expect(JSON.parse(r.stdout)).toMatchObject({ records: good.length, badLines: 0 });
  });

  test("--prefix strips the given prefix", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    writeFileSync(file, good.map((l) => `vault|${l}\n`).join(""));
    const r = await run([
      "index",
      "--db",
      path.join(dir, "db"),
      "--prefix",
      "vault|",
      "--json",
      file,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("detected");
    expect(JSON.parse(r.stdout)).toMatchObject({ records: good.length, badLines: 0 });
  });

  test("with umask 0 the index directory is still 0700 and its files 0600", async () => {
    const { file, db } = goodLog();
    const r = await run(["index", "--db", db, file], { umask: "0" });
    expect(r.code).toBe(0);
    expect((statSync(db).mode & 0o777).toString(8)).toBe("700");
    for (const name of ["index.mdb", "index.mdb-lock"]) {
      expect((statSync(path.join(db, name)).mode & 0o777).toString(8)).toBe("600");
    }
  });

  test("a missing path exits 3 with a clear message and no stack trace", async () => {
    const dir = tempDir();
    const missing = path.join(dir, "no-such-audit.log");
    const r = await run(["index", "--db", path.join(dir, "db"), missing]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`breakglass: no such file or directory: ${missing}`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe("");
  });

  test.each([
    ["an unknown flag", ["index", "--bogus", "x.log"]],
    ["no path", ["index"]],
    ["--workers 0", ["index", "--workers", "0", "x.log"]],
    ["--workers not a number", ["index", "--workers", "many", "x.log"]],
    ["stats with a stray flag", ["stats", "--verbose"]],
  ])("%s is a usage error: exit 2", async (_name, argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  test("stats of an index that does not exist exits 3 and says how to make one", async () => {
    const r = await run(["stats", "--db", path.join(tempDir(), "none"), "--json"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/breakglass: no index at .*\nhint: run `breakglass index/);
  });
});
