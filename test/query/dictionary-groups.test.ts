// `count by F` and `top N F` answered from the term dictionaries give exactly the oracle's answer
// (a JSON.parse scan), for every indexed field, on a generated log cut into many segments, on a
// log of awkward values (addresses that do not parse, ports, HMACs in string fields, values longer
// than a term, repeated values), and on the shared corpus. The explain stats show which path each
// segment took, so a test fails if the dictionary is never used, or used where it cannot be exact.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIELDS } from "../../src/audit/field-catalog.js";
import { plantedIncidents, writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { NodeStats } from "../../src/query/execute.js";
import { runQuery } from "../../src/query/run-query.js";
import { HAS_CORPUS, corpusLogs, noticeIfNoCorpus } from "../helpers/shared-corpus.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  cmp,
  engineAnswer,
  oracleAnswer,
  oracleEntries,
  oracleMatches,
  type OEntry,
  type OExpr,
  type OQuery,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";
import { localReader } from "../helpers/local-reader.js";

noticeIfNoCorpus("dictionary-groups");

const SALT = "dictionary-groups-salt";
const tempDir = tempDirs("bg-dict-groups-");
const GROUP_FIELDS = FIELDS.filter((f) => f.kind !== "time").map((f) => f.name);

/** Runs `text` with stats; compares with the oracle's answer to `oq`; returns the path counts. */
async function check(index: BreakglassIndex, entries: readonly OEntry[], oq: OQuery, text: string) {
  const expected = oracleAnswer(oq, entries, { salt: SALT });
  const run = await runQuery(index.engine, text, { collectStats: true });
  const actual = await engineAnswer(run.items);
  const diff = answerDifference(expected, actual);
  expect(diff, `${text}\n${diff}`).toBeUndefined();
  return (run.stats ?? new NodeStats()).groupSegments;
}

const ALL = { kind: "all" } as const;

/** `* | count by F` checked against the oracle; returns the path counts. */
const countBy = (index: BreakglassIndex, entries: readonly OEntry[], f: string) =>
  check(
    index,
    entries,
    { where: ALL, stages: [{ kind: "countBy", field: f }] },
    `* | count by ${f}`,
  );
/** `* | distinct F` checked against the oracle; returns the path counts. */
const distinct = (index: BreakglassIndex, entries: readonly OEntry[], f: string) =>
  check(
    index,
    entries,
    { where: ALL, stages: [{ kind: "distinct", field: f }] },
    `* | distinct ${f}`,
  );
const segmentCount = (index: BreakglassIndex): number => localReader(index).segments.length;

/**
 * `timeline` against an independent count: each matched entry's `time` through Date.parse, bucketed
 * by the interval (the engine also prints the empty buckets between: they must be zero).
 */
async function checkTimeline(
  index: BreakglassIndex,
  entries: readonly OEntry[],
  where: OExpr,
  text: string,
  intervalMs: number,
) {
  const expected = new Map<number, number>();
  for (const e of oracleMatches(where, entries, { salt: SALT })) {
    const time = (e.entry as { time?: unknown }).time;
    const ms = typeof time === "string" ? Date.parse(time) : NaN;
    if (Number.isNaN(ms)) continue;
    const start = Math.floor(ms / intervalMs) * intervalMs;
    expected.set(start, (expected.get(start) ?? 0) + 1);
  }
  const run = await runQuery(index.engine, `${text} | timeline ${intervalMs / 60_000}m`, {
    collectStats: true,
  });
  const actual = new Map<number, number>();
  for await (const item of run.items) {
    if (item.kind !== "bucket") throw new Error(`not a bucket: ${item.kind}`);
    expect(item.intervalMs).toBe(intervalMs);
    if (item.count > 0) actual.set(item.startMs, item.count);
  }
  expect(actual).toEqual(expected);
  return run.stats!.groupSegments;
}

/** An index over `files` and the oracle's entries of the same files. */
async function indexed(files: string[], chunkBytes?: number) {
  const entries = oracleEntries(scanLogs(files));
  const db = tempDir();
  await indexFiles(db, files, { workers: 2, chunkBytes });
  return { index: openIndex(db, { salt: SALT }), entries };
}

const GENERATE = { seed: 7, targetBytes: 3 << 20, salt: SALT };
const planted = plantedIncidents(GENERATE)!;

describe("on a generated log in many segments", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  beforeAll(async () => {
    const log = path.join(tempDir(), "audit.log");
    await writeAuditLog(log, GENERATE);
    // 256 KiB chunks: about a dozen segments, so paths can differ from segment to segment.
    ({ index, entries } = await indexed([log], 256 << 10));
    expect(segmentCount(index)).toBeGreaterThan(8);
  }, 60_000);
  afterAll(() => index?.close());

  test.each(GROUP_FIELDS)("`* | count by %s` and `* | top 3` match the oracle", async (f) => {
    await countBy(index, entries, f);
    await check(
      index,
      entries,
      { where: ALL, stages: [{ kind: "top", n: 3, field: f }] },
      `* | top 3 ${f}`,
    );
  });

  test.each(GROUP_FIELDS)(
    "`* | distinct %s` (order of first appearance) matches the oracle",
    async (f) => {
      await distinct(index, entries, f);
    },
  );

  test("`distinct` of busy fields comes from the dictionary; a limit after it stops early", async () => {
    for (const f of ["ip", "path", "op", "policy"]) {
      const used = await distinct(index, entries, f);
      expect(used, f).toEqual({ dictionary: segmentCount(index), records: 0 });
    }
    const limited = await check(
      index,
      entries,
      {
        where: ALL,
        stages: [
          { kind: "distinct", field: "path" },
          { kind: "limit", n: 2 },
        ],
      },
      "* | distinct path | limit 2",
    );
    expect(limited.dictionary).toBeLessThan(segmentCount(index));
  });

  test("`leases` (with each lease's namespace) comes from the lease dictionary and matches the oracle", async () => {
    const used = await check(
      index,
      entries,
      { where: ALL, stages: [{ kind: "leases" }] },
      "* | leases",
    );
    expect(used).toEqual({ dictionary: segmentCount(index), records: 0 });
    // A narrow match: the planted host's leases, whichever way each segment goes.
    await check(
      index,
      entries,
      { where: cmp("ip", "=", planted.compromisedIp), stages: [{ kind: "leases" }] },
      `ip = ${planted.compromisedIp} | leases`,
    );
    await check(
      index,
      entries,
      { where: ALL, stages: [{ kind: "leases" }, { kind: "limit", n: 3 }] },
      "* | leases | limit 3",
    );
  });

  test("--explain says which way the segments went", async () => {
    const run = await runQuery(index.engine, "* | count by ip", { collectStats: true });
    for await (const _ of run.items); // run it to the end so the stats are complete
    expect(await index.engine.explain(run.prepared, run.stats)).toContain(
      `first stage answered from the term dictionary in ${segmentCount(index)} segments, from the records in 0`,
    );
  });

  test("busy fields are counted from the dictionary in every segment", async () => {
    for (const f of ["ip", "path", "op", "type", "mount_type"]) {
      const used = await countBy(index, entries, f);
      expect(used, f).toEqual({ dictionary: segmentCount(index), records: 0 });
    }
  });

  test("`count by hmac` (a new HMAC in most records) reads the records rather than one per HMAC", async () => {
    const used = await countBy(index, entries, "hmac");
    expect(used).toEqual({ dictionary: 0, records: segmentCount(index) });
  });

  test("`timeline` of every entry comes from the time dictionary and matches Date.parse", async () => {
    const used = await checkTimeline(index, entries, ALL, "*", 10 * 60_000);
    expect(used).toEqual({ dictionary: segmentCount(index), records: 0 });
    await checkTimeline(index, entries, ALL, "*", 60_000);
  });

  test("`timeline` of a narrow match reads its records and matches Date.parse", async () => {
    const where = cmp("ip", "=", planted.compromisedIp);
    const used = await checkTimeline(
      index,
      entries,
      where,
      `ip = ${planted.compromisedIp}`,
      60_000,
    );
    expect(used.records).toBeGreaterThan(0);
  });

  test("a narrow match reads its few records; later stages run on the groups", async () => {
    const oq: OQuery = {
      where: cmp("ip", "=", planted.compromisedIp),
      stages: [
        { kind: "countBy", field: "path" },
        { kind: "limit", n: 2 },
      ],
    };
    const used = await check(
      index,
      entries,
      oq,
      `ip = ${planted.compromisedIp} | count by path | limit 2`,
    );
    expect(used.records).toBeGreaterThan(0);
    const wide: OQuery = {
      where: ALL,
      stages: [
        { kind: "top", n: 5, field: "ip" },
        { kind: "limit", n: 3 },
      ],
    };
    await check(index, entries, wide, "* | top 5 ip | limit 3");
  });
});

describe("on awkward values", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  const hmac = (c: string) => `hmac-sha256:${c.repeat(64)}`;
  const entry = (i: number, request: object, extra: object = {}) =>
    JSON.stringify({
      time: `2026-11-20T00:00:${String(i % 60).padStart(2, "0")}Z`,
      type: i % 2 ? "response" : "request",
      request: { id: `req-${i}`, operation: "read", ...request },
      ...extra,
    });
  beforeAll(async () => {
    const dir = tempDir();
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const addr = ["10.0.0.1", "10.0.0.1:8200", "[2001:db8::1]:443", "2001:db8::1", "10.0.0.2"][
        i % 5
      ]!;
      lines.push(
        entry(
          i,
          {
            remote_address: i === 77 ? "unknown" : addr,
            path: i % 50 === 0 ? `secret/${"x".repeat(600)}/${i % 100}` : `secret/app${i % 3}`,
            client_token: i % 4 === 0 ? hmac("a") : i % 4 === 1 ? "s.plaintoken" : hmac("b"),
            headers:
              i % 7 === 0 ? { "x-forwarded-for": ["10.9.9.9, 10.0.0.1", "10.8.8.8"] } : undefined,
          },
          {
            auth: {
              policies: ["default", "default", i % 2 ? "admin" : "ops"],
              metadata: { role_name: i % 9 === 0 ? 42 : "web" },
            },
          },
        ),
      );
    }
    // Four files: four segments at least; the address that does not parse is in one of them.
    for (let k = 0; k < 4; k++) {
      writeFileSync(
        path.join(dir, `audit-${k}.log`),
        lines.slice(k * 100, (k + 1) * 100).join("\n") + "\n",
      );
    }
    ({ index, entries } = await indexed([0, 1, 2, 3].map((k) => path.join(dir, `audit-${k}.log`))));
  }, 60_000);
  afterAll(() => index?.close());

  test.each(["ip", "xff", "port", "path", "token", "policy", "role"])(
    "`* | count by %s` matches the oracle",
    async (f) => {
      await countBy(index, entries, f);
    },
  );

  test.each(["ip", "xff", "port", "path", "token", "policy", "role"])(
    "`* | distinct %s` matches the oracle",
    async (f) => {
      await distinct(index, entries, f);
    },
  );

  test("`timeline` matches Date.parse here too", async () => {
    await checkTimeline(index, entries, ALL, "*", 60_000);
  });

  test("HMAC'd tokens (8 digest bytes in the index) are printed in full, read from one record each", async () => {
    const used = await countBy(index, entries, "token");
    expect(used).toEqual({ dictionary: segmentCount(index), records: 0 });
  });

  test("an address that does not parse is no `ip` value, so every segment uses its dictionary", async () => {
    const used = await countBy(index, entries, "ip");
    expect(used).toEqual({ dictionary: segmentCount(index), records: 0 });
  });

  test("segments with a path longer than a term read their records", async () => {
    const used = await countBy(index, entries, "path");
    expect(used.records).toBe(segmentCount(index));
  });
});

describe.skipIf(!HAS_CORPUS)("on the shared corpus", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  beforeAll(async () => {
    ({ index, entries } = await indexed(corpusLogs()));
  }, 60_000);
  afterAll(() => index?.close());

  test("`leases` matches the oracle", async () => {
    await check(index, entries, { where: ALL, stages: [{ kind: "leases" }] }, "* | leases");
  });

  test.each(GROUP_FIELDS)("`count by` and `distinct` of %s match the oracle", async (f) => {
    await countBy(index, entries, f);
    await distinct(index, entries, f);
  });
});
