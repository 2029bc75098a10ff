// A full disk while indexing: a clear message and exit 3 (never a stack trace), an index that
// answers for what was committed, and a later run that finishes with exactly every record.
// Needs a small file system of its own: a tmpfs mounted for the test (root only; skipped with a
// notice where mounting is not allowed).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-fulldisk-");
let mountPoint = "";
let mounted = false;
let log = "";
let lines = 0;

function tryMount(dir: string, size: string, remount = false): boolean {
  try {
    const opts = remount ? `remount,size=${size}` : `size=${size}`;
    execFileSync("mount", ["-t", "tmpfs", "-o", opts, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  await ensureBuilt();
  const dir = tempDir();
  mountPoint = path.join(dir, "small");
  mkdirSync(mountPoint);
  mounted = tryMount(mountPoint, "8m");
  if (!mounted)
    console.warn("NOTICE: cannot mount a tmpfs here (not root?): full-disk test skipped");
  const text = [...generateAuditLines({ seed: 31, targetBytes: 30_000_000, salt: "s" })];
  lines = text.length;
  log = path.join(dir, "audit.log");
  writeFileSync(log, text.join("\n") + "\n");
}, 120_000);

afterAll(() => {
  if (mounted) execFileSync("umount", [mountPoint], { stdio: "ignore" });
});

test("a full disk stops the run with exit 3 and a hint; after freeing space the next run finishes exactly", async (ctx) => {
  if (!mounted) ctx.skip();
  const db = path.join(mountPoint, "db");
  const env = { HOME: mountPoint };
  const full = await runBin(["index", "--db", db, log], env);
  expect(full.code).toBe(3);
  expect(full.stderr).toMatch(/disk holding the index .* is full/);
  expect(full.stderr).toMatch(/run `breakglass index` again/);
  expect(full.stderr).not.toMatch(/\n\s+at /);

  // What was committed before the disk filled up is queryable.
  const partial = await runBin(["query", "--db", db, "* | count"], env);
  expect(partial.code).toBe(0);
  const committed = Number(partial.stdout.trim());
  expect(committed).toBeGreaterThan(0);
  expect(committed).toBeLessThan(lines);

  expect(tryMount(mountPoint, "96m", true)).toBe(true);
  const resumed = await runBin(["index", "--db", db, log, "--json"], env);
  expect(resumed.code).toBe(0);
  expect(JSON.parse(resumed.stdout).records).toBe(lines - committed);
  const total = await runBin(["query", "--db", db, "* | count"], env);
  expect(Number(total.stdout.trim())).toBe(lines);
}, 120_000);
