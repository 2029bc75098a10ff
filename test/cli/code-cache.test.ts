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
function version(launcher: string, nodeFlags: string[] = []) {
  const run = spawnSync(process.execPath, [...nodeFlags, launcher, "--version"], {
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
  if (cache !== "none") {
    const built = readFileSync(path.join(BUNDLE_DIR, "breakglass.cjs.codecache"));
    const data = Buffer.from(built);
    // Past the header line: V8's own bytes, which V8 checksums.
    if (cache === "damaged") data.fill(0x55, data.indexOf(0x0a) + 64, data.indexOf(0x0a) + 4096);
    writeFileSync(`${bundle}.codecache`, data);
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

  test("an installed copy is used whatever its mtime (npm installs every file as of 1985)", () => {
    const { launcher, bundle } = copyOfBin("same");
    const npmEpoch = new Date("1985-10-26T08:15:00Z");
    utimesSync(bundle, npmEpoch, npmEpoch);
    expect(version(launcher)).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "accepted" });
  });

  test("a cache made for another build of the bundle is not used", () => {
    const { launcher, bundle } = copyOfBin("same");
    expect(version(launcher).status).toBe("accepted");
    // Another build: a new id on the first line (same length, so only the id tells them apart).
    const source = readFileSync(bundle, "utf8");
    const other = source.replace(
      /^\/\/ breakglass-build [0-9a-f]{32}/,
      `// breakglass-build ${"0".repeat(32)}`,
    );
    expect(other).not.toBe(source);
    writeFileSync(bundle, other);
    expect(version(launcher)).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "stale" });
  });

  test("a damaged cache fails its CRC and is not given to V8 (which would crash on it)", () => {
    const { launcher } = copyOfBin("damaged");
    expect(version(launcher)).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "damaged" });
  });

  test("a cache V8 refuses (made with other V8 flags) is rejected and the bin still works", () => {
    const run = version(BIN, ["--no-lazy"]);
    expect(run).toMatchObject({ code: 0, stdout: "0.1.0\n", status: "rejected" });
  });
});

describe("what the bundle loads lazily", () => {
  test("the CLI bundle has no import() left: Node 20 cannot run one from a code-cached vm.Script", () => {
    const bundle = readFileSync(path.join(BUNDLE_DIR, "breakglass.cjs"), "utf8");
    // `{import('../fastify').FastifyInstance}` in a bundled JSDoc comment is a type, not a call.
    expect(bundle.match(/(?<!\{)\bimport\(\s*["'`]/g) ?? []).toEqual([]);
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
