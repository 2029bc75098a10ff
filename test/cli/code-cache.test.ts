import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { BIN, ensureBuilt, ROOT, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const BUNDLE_DIR = path.join(ROOT, "dist", "bundle");
const tempDir = tempDirs("bg-code-cache-test-");

beforeAll(ensureBuilt, 120_000);

/** Runs `launcher --version` with the cache status reported on stderr. */
function version(launcher: string) {
  const run = spawnSync(process.execPath, [launcher, "--version"], {
    env: { PATH: process.env.PATH ?? "", BREAKGLASS_CODE_CACHE: "report" },
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, status: /code cache (\w+)/.exec(run.stderr)?.[1] };
}

/** A copy of the bin and its bundle in a temp dir; `cache` decides what sits next to them. */
function copyOfBin(cache: "none" | "same" | "damaged"): { launcher: string; bundle: string } {
  const dir = tempDir();
  const launcher = path.join(dir, "main.mjs");
  const bundle = path.join(dir, "breakglass.cjs");
  copyFileSync(BIN, launcher);
  copyFileSync(path.join(BUNDLE_DIR, "breakglass.cjs"), bundle);
  const stamp = new Date("2026-01-02T03:04:05Z");
  utimesSync(bundle, stamp, stamp);
  if (cache !== "none") {
    // The header ties the cache to the bundle's size and mtime: write one for this copy.
    const built = readFileSync(path.join(BUNDLE_DIR, "breakglass.cjs.codecache"));
    const headerEnd = built.indexOf(0x0a) + 1;
    const fields = built.toString("latin1", 0, headerEnd).trim().split(" ");
    const size = readFileSync(bundle).length;
    const header = `${fields[0]} ${fields[1]} ${size} ${stamp.getTime()} ${fields[4]}\n`;
    const data = Buffer.from(built.subarray(headerEnd));
    if (cache === "damaged") data.fill(0x55, 16, 4096);
    writeFileSync(`${bundle}.codecache`, Buffer.concat([Buffer.from(header), data]));
  }
  return { launcher, bundle };
}

describe("the bin's code cache", () => {
  test("the build makes a cache that V8 accepts", () => {
    const run = version(BIN);
    expect(run).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "accepted" });
  });

  test("a bin without a cache compiles from source and works", () => {
    const { launcher } = copyOfBin("none");
    expect(version(launcher)).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "absent" });
  });

  test("a cache made for another build of the bundle is not used", () => {
    const { launcher, bundle } = copyOfBin("same");
    expect(version(launcher).status).toBe("accepted");
    const later = new Date("2026-01-02T03:04:06Z");
    utimesSync(bundle, later, later);
    expect(version(launcher)).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "stale" });
  });

  test("a damaged cache is rejected by V8 and the bin still works", () => {
    const { launcher } = copyOfBin("damaged");
    expect(version(launcher)).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "rejected" });
  });
});

describe("what the bundle loads lazily", () => {
  test("the CLI bundle has no import() left: Node 20 cannot run one from a code-cached vm.Script", () => {
    const bundle = readFileSync(path.join(BUNDLE_DIR, "breakglass.cjs"), "utf8");
    expect(bundle.match(/\bimport\(\s*["'`]/g) ?? []).toEqual([]);
  });

  test("the bin filters a large segment in its scan worker threads (piscina, loaded on demand)", async () => {
    const dir = tempDir();
    const log = path.join(dir, "audit.log");
    // ~9,000 entries in one segment: over the 8,192 candidates that send a filter to the workers.
    await writeAuditLog(log, { seed: 3, targetBytes: 10_000_000, salt: "s" });
    const updates = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .filter(
        (l) =>
          (JSON.parse(l) as { request?: { operation?: unknown } }).request?.operation === "update",
      ).length;
    const db = path.join(dir, "db");
    expect((await runBin(["index", "--db", db, log], {})).code).toBe(0);
    const run = await runBin(
      ["query", "--explain", "--db", db, 'request.operation = "update" | count'],
      {},
    );
    expect(run.stderr).toMatch(/entry scan request\.operation = "update".*parsed [0-9]{4}/);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${updates}\n` });
  }, 60_000);
});
