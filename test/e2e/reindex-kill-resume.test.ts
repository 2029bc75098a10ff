// kill -9 in the middle of `breakglass index --reindex`, then `--reindex` again: the index ends
// exactly as an uninterrupted run leaves it (the same segment records, the same term pages byte
// for byte, the same stats and answers), and what the killed run had rebuilt was kept. The built
// bin, real LMDB; an index of ~50 segments aged to lack `kv_path` and `ip` (as if built before
// those fields existed), so every segment is stale.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { fieldByName } from "../../src/audit/field-catalog.js";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import { readSegmentMetas } from "../../src/store/meta-records.js";
import { isSegmentStale } from "../../src/store/segment-catalog.js";
import { dropFields } from "../helpers/age-index.js";
import { ensureBuilt, finishBin, runBin, startBin, type BinResult } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { localReader } from "../helpers/local-reader.js";

const tempDir = tempDirs("bg-reindex-kill-");
const AGED = [fieldByName("kv_path")!.code, fieldByName("ip")!.code];
const QUERIES = [
  "kv_path ^= secret/app1 | count by kv_path",
  "ip in 10.0.0.0/8 | leases",
  "* | top 5 ip",
  "ip = 10.103.9.43",
];

/** Stale and rebuilt segments, as a reader sees them now. */
async function staleCount(db: string): Promise<{ stale: number; total: number }> {
  const ix = openIndex(db);
  try {
    const segments = localReader(ix).segments;
    return { stale: segments.filter(isSegmentStale).length, total: segments.length };
  } finally {
    await ix.close();
  }
}

/** Every segment record and term page, and what stats and some queries print. */
async function snapshot(db: string) {
  const env = openIndexEnv(db, { create: false, readOnly: true });
  const terms = new Map<string, string>();
  let segments;
  try {
    for (const { key, value } of env.terms.getRange()) {
      terms.set(Buffer.from(key).toString("hex"), Buffer.from(value).toString("base64"));
    }
    segments = readSegmentMetas(env);
  } finally {
    await env.close();
  }
  const stats = JSON.parse((await runBin(["stats", "--db", db, "--json"], {})).stdout) as Record<
    string,
    unknown
  >;
  delete stats.indexBytes; // the file's size: free pages differ after a kill
  const answers: string[] = [];
  for (const q of QUERIES) {
    const r = await runBin(["query", "--db", db, q], {});
    answers.push(`${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return { terms, segments, stats, answers };
}

let whole: string;
let killed: string;
let segmentCount: number;

beforeAll(async () => {
  await ensureBuilt();
  const dir = tempDir();
  const log = path.join(dir, "audit.log");
  await writeAuditLog(log, { seed: 5, targetBytes: 6_000_000, salt: "kill" });
  const base = path.join(dir, "base");
  await indexFiles(base, [log], { workers: 2, chunkBytes: 128 << 10 });
  segmentCount = (await dropFields(base, AGED)).length;
  whole = path.join(dir, "whole");
  killed = path.join(dir, "killed");
  for (const db of [whole, killed]) {
    mkdirSync(db, { mode: 0o700 });
    copyFileSync(path.join(base, "index.mdb"), path.join(db, "index.mdb"));
  }
}, 180_000);

describe("index --reindex killed with SIGKILL (kill -9), then run again", () => {
  let uninterrupted: BinResult;
  let atKill: { stale: number; total: number };
  let interrupted: BinResult;
  let resumed: BinResult;

  beforeAll(async () => {
    uninterrupted = await runBin(["index", "--reindex", "--db", whole, "--json"], {});
    const child = startBin(["index", "--reindex", "--db", killed, "--json"], {});
    const done = finishBin(child);
    // Kill it as soon as a reader sees the first segment rebuilt: well short of the last.
    for (let waited = 0; waited < 60_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
      if ((await staleCount(killed)).stale < segmentCount) break;
    }
    child.kill("SIGKILL");
    interrupted = await done;
    atKill = await staleCount(killed);
    resumed = await runBin(["index", "--reindex", "--db", killed, "--json"], {});
  }, 180_000);

  test("the kill came in the middle: some segments rebuilt, some still stale", () => {
    expect(segmentCount).toBeGreaterThan(20);
    expect(interrupted.signal).toBe("SIGKILL");
    expect(atKill.total).toBe(segmentCount);
    expect(atKill.stale).toBeGreaterThan(0);
    expect(atKill.stale).toBeLessThan(segmentCount);
  });

  test("the rerun rebuilds only what was left", () => {
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    expect(JSON.parse(uninterrupted.stdout)).toMatchObject({
      stale: segmentCount,
      rebuilt: segmentCount,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      segments: segmentCount,
      stale: atKill.stale,
      rebuilt: atKill.stale,
    });
  });

  test("the index is the uninterrupted run's: segments, term pages, stats, answers", async () => {
    const a = await snapshot(whole);
    const b = await snapshot(killed);
    expect(b.segments).toEqual(a.segments);
    expect(b.terms.size).toBe(a.terms.size);
    expect(b.terms).toEqual(a.terms);
    expect(b.stats).toEqual(a.stats);
    expect(b.answers).toEqual(a.answers);
    expect(a.answers.join("")).not.toContain("reindex");
    expect(a.segments.filter(isSegmentStale)).toEqual([]);
  });
});
