// `breakglass index --reindex` as an operator runs it: argv mistakes exit 2 with a message, a
// missing index exits 3, the writer lock is honoured (--no-wait: exit 3 naming the holder), and
// an index with nothing stale is left as it is.
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { acquireWriterLock } from "../../src/store/writer-lock.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-reindex-");
let db: string;
let log: string;

beforeAll(async () => {
  await ensureBuilt();
  log = path.join(tempDir(), "audit.log");
  await writeAuditLog(log, { seed: 7, targetBytes: 30_000, salt: "reindex" });
  db = path.join(tempDir(), "db");
  const r = await runBin(["index", "--db", db, log], {});
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe("breakglass index --reindex", () => {
  test.each([
    [["index"], 2, "missing PATH"],
    [["index", "--reindex", "LOG"], 2, "--reindex takes no PATH"],
    [["index", "--reindex", "--follow"], 2, "--reindex and --follow do not go together"],
    [["index", "--reindex", "--db", "MISSING"], 3, "no index at"],
  ])("%j exits %i: %s", async (args, code, message) => {
    const argv = args.map((a) =>
      a === "LOG" ? log : a === "MISSING" ? path.join(tempDir(), "none") : a,
    );
    const r = await runBin(argv.includes("--db") ? argv : [...argv, "--db", db], {});
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test("an index indexed with this catalog has nothing to rebuild", async () => {
    const r = await runBin(["index", "--reindex", "--db", db, "--json"], {});
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ segments: 1, stale: 0, rebuilt: 0, records: 0 });
    expect(r.stderr).toContain("reindexed nothing: all 1 segments are indexed with this catalog");
  });

  test("with --no-wait, another writer holding the index makes it exit 3, naming it", async () => {
    const lock = await acquireWriterLock(db, { command: "breakglass listen" });
    try {
      const r = await runBin(["index", "--reindex", "--no-wait", "--db", db], {});
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain("breakglass listen");
    } finally {
      await lock.release();
    }
  });
});
