// kill -9 (or Ctrl-C) in the middle of `breakglass index` on a large log, then `index` again:
// the index ends exactly as an uninterrupted run's (same records in the same order, same
// postings, no duplicate), and what was committed before the stop was queryable on its own.
// The built bin, real LMDB, two worker threads, a generated ~150 MB log.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { beforeAll, describe, expect, test } from "vitest";
import { writeAuditLog, type PlantedIncidents } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { tempDirs } from "../helpers/temp-dir.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "dist/src/cli/main.js");
const LOG_BYTES = 150_000_000;
const tempDir = tempDirs("bg-e2e-kill-");

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Records committed so far, as a reader sees them (0 while the index does not exist yet). */
async function committedRecords(db: string): Promise<number> {
  let ix: BreakglassIndex;
  try {
    ix = openIndex(db);
  } catch {
    return 0;
  }
  try {
    return ix.recordCount;
  } finally {
    await ix.close();
  }
}

async function withIndex<T>(db: string, use: (ix: BreakglassIndex) => T): Promise<T> {
  const ix = openIndex(db);
  try {
    return use(ix);
  } finally {
    await ix.close();
  }
}

/** SHA-256 over the records' lines in id order, and their count: equal digests = same records. */
function digestOfRecords(ix: BreakglassIndex): { records: number; sha256: string } {
  const hash = createHash("sha256");
  for (let id = 0; id < ix.recordCount; id++) hash.update(ix.line(id)).update("\n");
  return { records: ix.recordCount, sha256: hash.digest("hex") };
}

/** The same digest over the log file's lines, read with plain readline (every line is good). */
async function digestOfFile(
  file: string,
  maxLines = Infinity,
): Promise<{ records: number; sha256: string }> {
  const hash = createHash("sha256");
  let records = 0;
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (records === maxLines) break;
    hash.update(line).update("\n");
    records++;
  }
  lines.close();
  return { records, sha256: hash.digest("hex") };
}

/** The planted facts, plus common values, looked up in both indexes. */
function postingSamples(planted: PlantedIncidents): [field: string, value: string][] {
  return [
    ["ip", planted.compromisedIp],
    ["ip", planted.failedUnwrapIp],
    ["hmac", planted.leakedPasswordHmac],
    ["hmac", planted.stolenWrappingTokenHmac],
    ["lease", planted.leakedPasswordLease],
    ...planted.compromisedIpLeases.map((l): [string, string] => ["lease", l]),
    ["role", planted.approleRole],
    ["path", "sys/wrapping/unwrap"],
    ["path", "auth/approle/login"],
    ["type", "request"],
    ["type", "response"],
    ["op", "read"],
    ["error", "wrapping token is not valid or does not exist"],
  ];
}

let file: string;
let planted: PlantedIncidents;
let expected: { records: number; sha256: string };
let uninterruptedDb: string;
let uninterrupted: Run;

beforeAll(async () => {
  const dir = tempDir();
  file = path.join(dir, "audit.log");
  const log = await writeAuditLog(file, { seed: 17, targetBytes: LOG_BYTES, salt: "kill" });
  planted = log.planted!;
  expected = await digestOfFile(file);
  uninterruptedDb = path.join(dir, "uninterrupted");
  uninterrupted = await start(["index", "--db", uninterruptedDb, "--workers", "2", file]).done;
}, 120_000);

describe.each([
  ["killed with SIGKILL (kill -9)", "SIGKILL"],
  ["stopped with SIGINT (Ctrl-C)", "SIGINT"],
] as const)("an index run %s, then run again", (_name, signal) => {
  let resumedDb: string;
  let interrupted: Run;
  let atStop: { records: number; sha256: string };
  let prefixOfLog: string;
  let resumed: Run;
  let thirdRun: Run;

  beforeAll(async () => {
    resumedDb = path.join(tempDir(), "interrupted");
    const run = start(["index", "--db", resumedDb, "--workers", "2", file]);
    // Stop it as soon as a reader sees the first commit: the run is then well short of the end.
    for (let waited = 0; waited < 60_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      if ((await committedRecords(resumedDb)) > 0) break;
    }
    run.child.kill(signal);
    interrupted = await run.done;
    atStop = await withIndex(resumedDb, (ix) => digestOfRecords(ix));
    prefixOfLog = await digestOfFile(file, atStop.records).then((d) => d.sha256);

    resumed = await start(["index", "--db", resumedDb, "--workers", "2", "--json", file]).done;
    thirdRun = await start(["index", "--db", resumedDb, "--workers", "2", "--json", file]).done;
  }, 120_000);

  test("stops having committed only part of the log", () => {
    expect(uninterrupted.code).toBe(0);
    if (signal === "SIGKILL") {
      expect(interrupted.signal).toBe("SIGKILL");
    } else {
      expect(interrupted.code).toBe(3);
      expect(interrupted.stderr).toMatch(/breakglass: interrupted.*\nhint: run the same/);
    }
    expect(atStop.records).toBeGreaterThan(0);
    expect(atStop.records).toBeLessThan(expected.records);
  });

  test("what it committed is queryable, and is exactly the log's first lines", () => {
    expect(atStop.sha256).toBe(prefixOfLog);
  });

  test("the next run adds exactly the rest, and one more adds nothing", () => {
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      files: 1,
      records: expected.records - atStop.records,
      badLines: 0,
    });
    expect(thirdRun.code).toBe(0);
    expect(JSON.parse(thirdRun.stdout)).toMatchObject({ records: 0, badLines: 0, bytes: 0 });
  });

  test("the resumed index holds every line of the log once, in order, as the uninterrupted one", async () => {
    expect(await withIndex(uninterruptedDb, (ix) => digestOfRecords(ix))).toEqual(expected);
    expect(await withIndex(resumedDb, (ix) => digestOfRecords(ix))).toEqual(expected);
  });

  test("its postings equal the uninterrupted run's", async () => {
    const samples = postingSamples(planted);
    const answers = (db: string) =>
      withIndex(db, (ix) =>
        samples.map(([f, v]) => ({ field: f, value: v, ids: ix.postings(f, v) })),
      );
    const reference = await answers(uninterruptedDb);
    expect(reference.filter((a) => a.ids.length === 0)).toEqual([]);
    expect(await answers(resumedDb)).toEqual(reference);
  });

  test("its stats count the whole log once", async () => {
    const stats = await withIndex(resumedDb, (ix) => ix.stats());
    const reference = await withIndex(uninterruptedDb, (ix) => ix.stats());
    expect(stats).toMatchObject({
      files: 1,
      records: expected.records,
      badLines: 0,
      bytes: reference.bytes,
    });
    expect(stats.fileList[0]?.lines).toBe(expected.records);
    expect([stats.firstTime, stats.lastTime]).toEqual([reference.firstTime, reference.lastTime]);
  });
});
