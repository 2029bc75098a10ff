// Writers of one index side by side, through the built bin: two `index` runs started together,
// `index` beside `listen`, `index --no-wait` beside `index --follow`, and kill -9 of a holder.
// Whatever the interleaving, the index ends with every record once: `stats` (file metadata),
// `* | count` (segments) and the oracle (the files themselves) agree. Readers never wait.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { openIndex } from "../../src/index-api.js";
import { scanLogs } from "../oracle/scan-log.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  entryLine,
  runBin,
  sendLines,
  startListen,
  waitFor,
  type Running,
} from "../live/live-helpers.js";

const tempDir = tempDirs("bg-e2e-writers-");

function writeLog(dir: string, name: string, seed: number, bytes: number): string {
  const file = path.join(dir, name);
  const lines = [...generateAuditLines({ seed, targetBytes: bytes, salt: "s" })];
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

async function finished(r: Running): Promise<Running & { code: number | string }> {
  const code = await r.exited;
  return Object.assign(r, { code });
}

/** Records as `stats --json` counts them and as `* | count` counts them. */
async function counts(db: string): Promise<{ stats: number; count: number }> {
  const stats = await finished(runBin(["stats", "--db", db, "--json"]));
  expect(stats.code).toBe(0);
  const count = await finished(runBin(["query", "--db", db, "* | count"]));
  expect(count.code).toBe(0);
  return {
    stats: (JSON.parse(stats.stdout) as { records: number }).records,
    count: Number(count.stdout.trim()),
  };
}

describe("writers of one index", () => {
  test("two index runs of different files started together keep every record of both", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    // Big enough that each run parses for a while, so the two overlap.
    const a = writeLog(dir, "a.log", 1, 2_000_000);
    const b = writeLog(dir, "b.log", 2, 2_000_000);
    const ra = runBin(["index", "--db", db, "--workers", "1", a]);
    const rb = runBin(["index", "--db", db, "--workers", "1", b]);
    const codes = [await ra.exited, await rb.exited];
    expect(codes, ra.stderr + rb.stderr).toEqual([0, 0]);
    const oracle = scanLogs([a, b]).records.length;
    expect(await counts(db)).toEqual({ stats: oracle, count: oracle });
  });

  test("--no-wait exits 3 naming the holder; readers work meanwhile; kill -9 of the holder frees the index", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const followed = writeLog(dir, "live.log", 3, 30_000);
    const other = writeLog(dir, "other.log", 4, 30_000);
    const follow = runBin(["index", "--follow", "--db", db, followed]);
    await waitFor("follow to start", () => follow.stderr.includes("following"));

    const refused = await finished(runBin(["index", "--no-wait", "--db", db, other]));
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      new RegExp(`being written by pid ${follow.proc.pid} \\(breakglass index --follow\\) since `),
    );
    // Readers never take the writer lock: stats and query answer while the follower holds it.
    const followedRecords = scanLogs([followed]).records.length;
    await waitFor("the followed file indexed", async () => {
      const ix = openIndex(db);
      const n = ix.recordCount;
      await ix.close();
      return n === followedRecords;
    });
    expect(await counts(db)).toEqual({ stats: followedRecords, count: followedRecords });

    follow.proc.kill("SIGKILL");
    await follow.exited;
    const next = await finished(runBin(["index", "--no-wait", "--db", db, other]));
    expect(next.code).toBe(0);
    const oracle = scanLogs([followed, other]).records.length;
    expect(await counts(db)).toEqual({ stats: oracle, count: oracle });
  });

  test("index beside listen waits for it, saying so, and then indexes: nothing lost", async () => {
    const dir = tempDir();
    const db = path.join(dir, "db");
    const file = writeLog(dir, "old.log", 5, 200_000);
    const listen = await startListen(db, ["--tcp", "127.0.0.1:0"]);
    const live = Array.from({ length: 500 }, (_, i) => entryLine(`live-${i}`, { pad: 100 }));
    await sendLines({ port: listen.tcpPort! }, live);

    const index = runBin(["index", "--db", db, "--workers", "1", file]);
    const waiting = new RegExp(`waiting for pid ${listen.proc.pid} \\(breakglass listen\\) since `);
    await waitFor("index to say it waits", () => waiting.test(index.stderr));
    // The listener goes on indexing while the index run waits.
    const more = Array.from({ length: 500 }, (_, i) => entryLine(`more-${i}`, { pad: 100 }));
    await sendLines({ port: listen.tcpPort! }, more);
    await waitFor("the listener to index them", async () => {
      const ix = openIndex(db);
      const n = ix.recordCount;
      await ix.close();
      return n === live.length + more.length;
    });
    expect(index.proc.exitCode).toBe(null);
    listen.proc.kill("SIGTERM");
    expect(await listen.exited).toBe(0);
    expect((await finished(index)).code).toBe(0);
    const oracle = live.length + more.length + scanLogs([file]).records.length;
    expect(await counts(db)).toEqual({ stats: oracle, count: oracle });
  });
});
