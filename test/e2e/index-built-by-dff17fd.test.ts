// An index written by breakglass at commit dff17fd (test/fixtures/index-v3-dff17fd: format 3,
// segments that do not record their catalog), opened by this build: it opens, its segments are
// read as dff17fd's catalog (none stale), and queries on fields whose extraction revision this
// test raises (BREAKGLASS_FIELD_REVISIONS, as a later catalog change would) give the oracle's
// answers (a JSON.parse scan of the logs it was built from) before `index --reindex` (their
// segments scanned, one hint on stderr) and after it (from the rebuilt postings, no hint).
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { localReader } from "../helpers/local-reader.js";

const BUMPED = "kv_path=2,ip=2,time=2,lease=2,request_id=2";
vi.hoisted(() => {
  process.env.BREAKGLASS_FIELD_REVISIONS = "kv_path=2,ip=2,time=2,lease=2,request_id=2";
});

import { FIELDS } from "../../src/audit/field-catalog.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { runQuery } from "../../src/query/run-query.js";
import {
  isFieldCurrent,
  isSegmentStale,
  UNRECORDED_CATALOG_CODES,
} from "../../src/store/segment-catalog.js";
import { ensureBuilt, runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  cmp,
  engineAnswer,
  exists,
  inCidr,
  oracleAnswer,
  oracleEntries,
  quoted,
  type OEntry,
  type OQuery,
} from "../oracle/query-oracle.js";
import { contentLines, readLogContent, scanLogs } from "../oracle/scan-log.js";

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/index-v3-dff17fd");
const LOGS = [1, 2, 3].map((i) => path.join(FIXTURE, `audit-${i}.log.gz`));
const SALT = "fixture-salt";
const tempDir = tempDirs("bg-dff17fd-");

let db: string;
let entries: OEntry[];
let ix: BreakglassIndex;

beforeAll(async () => {
  await ensureBuilt();
  db = path.join(tempDir(), "db");
  mkdirSync(db, { mode: 0o700 });
  copyFileSync(path.join(FIXTURE, "index.mdb"), path.join(db, "index.mdb"));
  chmodSync(path.join(db, "index.mdb"), 0o600);
  entries = oracleEntries(scanLogs(LOGS));
  ix = openIndex(db, { salt: SALT });
}, 120_000);

afterAll(async () => {
  await ix?.close();
});

const ALL = { kind: "all" } as const;
const q = (where: OQuery["where"], stages: OQuery["stages"] = []): OQuery => ({ where, stages });
const CASES: [text: string, oq: OQuery][] = [
  ["kv_path = secret/app1/db", q(cmp("kv_path", "=", "secret/app1/db"))],
  ['kv_path ^= "secret/app1"', q(cmp("kv_path", "^=", quoted("secret/app1")))],
  ["exists kv_path", q(exists("kv_path"))],
  ["ip in 10.100.0.0/16", q(inCidr("ip", "10.100.0.0/16"))],
  ["ip = 10.100.1.10", q(cmp("ip", "=", "10.100.1.10"))],
  ["time >= 2026-11-20T00:00:01Z", q(cmp("time", ">=", "2026-11-20T00:00:01Z"))],
  ["* | count by kv_path", q(ALL, [{ kind: "countBy", field: "kv_path" }])],
  ["* | top 3 ip", q(ALL, [{ kind: "top", n: 3, field: "ip" }])],
  ["* | distinct request_id", q(ALL, [{ kind: "distinct", field: "request_id" }])],
  ["ip in 10.0.0.0/8 | leases", q(inCidr("ip", "10.0.0.0/8"), [{ kind: "leases" }])],
  [
    "* | sort time desc | limit 10",
    q(ALL, [
      { kind: "sort", field: "time", desc: true },
      { kind: "limit", n: 10 },
    ]),
  ],
  [
    'path ^= "secret/data" | count by op',
    q(cmp("path", "^=", quoted("secret/data")), [{ kind: "countBy", field: "op" }]),
  ],
];

async function expectOracleAnswers(index: BreakglassIndex): Promise<void> {
  for (const [text, oq] of CASES) {
    const expected = oracleAnswer(oq, entries, { salt: SALT });
    const actual = await engineAnswer((await runQuery(index.engine, text)).items);
    const diff = answerDifference(expected, actual);
    expect(diff, `${text}\n${diff}`).toBeUndefined();
  }
}

/**
 * `source` and `device` (added after dff17fd) come from the file records, which that index has:
 * each file's records have its path as source, and no record has a device label.
 */
async function expectOriginAnswers(index: BreakglassIndex): Promise<void> {
  const expected = localReader(index)
    .files()
    .filter((f) => f.records > 0)
    .map((f) => ({ value: f.path, count: f.records }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  const rows: { value: string; count: number }[] = [];
  for await (const item of (await runQuery(index.engine, "* | count by source")).items) {
    if (item.kind !== "group") throw new Error(`a ${item.kind} item`);
    rows.push({ value: String(item.value), count: item.count });
  }
  rows.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  expect(rows).toEqual(expected);
  const count = async (text: string): Promise<number> => {
    for await (const item of (await runQuery(index.engine, text)).items) {
      if (item.kind === "count") return item.count;
    }
    throw new Error(`no count from ${text}`);
  };
  for (const { value, count: n } of expected) {
    expect(await count(`source = ${JSON.stringify(value)} | count`)).toBe(n);
  }
  expect(await count("exists device | count")).toBe(0);
}

const HINT = "index --reindex";

describe("the index built by dff17fd, opened by this build", () => {
  test("holds the logs' lines as records, in three segments that record no catalog", () => {
    const lines = LOGS.flatMap((f) =>
      [...contentLines(readLogContent(f))].map((l) => l.bytes.toString("utf8")),
    );
    expect(ix.recordCount).toBe(lines.length);
    for (let id = 0; id < ix.recordCount; id++)
      expect(ix.line(id).toString("utf8")).toBe(lines[id]);
    const segments = localReader(ix).segments;
    expect(segments).toHaveLength(3);
    expect(segments.every((s) => s.fieldRevisions === undefined)).toBe(true);
  });

  test("without a catalog change nothing is stale: no scan, no hint", async () => {
    const r = await runBin(["query", "--db", db, "--explain", "* | count by kv_path"], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("secret/app1/db\t");
    expect(r.stderr).toContain("from the term dictionary in 3 segments");
    expect(r.stderr).not.toContain("scanned");
  });

  test("with the bumped fields, those segments are stale and answers match the oracle", async () => {
    expect(FIELDS.find((f) => f.name === "kv_path")!.revision).toBe(2);
    // Stale for exactly the bumped fields and the fields added since: the others are read as
    // dff17fd's catalog.
    const added = FIELDS.filter((f) => !UNRECORDED_CATALOG_CODES.includes(f.code)).map(
      (f) => f.name,
    );
    expect(added).toEqual(["source", "device"]);
    for (const segment of localReader(ix).segments) {
      const stale = FIELDS.filter((f) => !isFieldCurrent(segment, f)).map((f) => f.name);
      expect(stale.sort()).toEqual(
        ["ip", "kv_path", "lease", "request_id", "time", ...added].sort(),
      );
    }
    await expectOracleAnswers(ix);
  });

  test("source and device, which that catalog lacks, answer from the file records", async () => {
    await expectOriginAnswers(ix);
  });

  test("the bin says so once on stderr", async () => {
    const env = { BREAKGLASS_FIELD_REVISIONS: BUMPED };
    const r = await runBin(["query", "--db", db, "kv_path ^= secret/app1 | count"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.stdout.trim())).toBeGreaterThan(0);
    expect(r.stderr.trim()).toBe(
      "note: 3 of 3 segments were indexed with another revision of field `kv_path` and were " +
        "scanned; `breakglass index --reindex` rebuilds them",
    );
  });
});

describe("after `breakglass index --reindex`", () => {
  let reindex: Awaited<ReturnType<typeof runBin>>;
  beforeAll(async () => {
    await ix.close();
    const env = { BREAKGLASS_FIELD_REVISIONS: BUMPED };
    reindex = await runBin(["index", "--reindex", "--db", db, "--json"], env);
    ix = openIndex(db, { salt: SALT });
  }, 120_000);

  test("every segment was rebuilt and records this catalog", () => {
    expect(reindex.code, reindex.stderr).toBe(0);
    expect(JSON.parse(reindex.stdout)).toMatchObject({
      segments: 3,
      stale: 3,
      rebuilt: 3,
      records: 309,
    });
    expect(localReader(ix).segments.filter(isSegmentStale)).toEqual([]);
    expect(ix.recordCount).toBe(309);
  });

  test("answers still match the oracle, from postings", async () => {
    await expectOracleAnswers(ix);
    await expectOriginAnswers(ix);
  });

  test("the bin gives no hint any more", async () => {
    const env = { BREAKGLASS_FIELD_REVISIONS: BUMPED };
    const r = await runBin(["query", "--db", db, "kv_path ^= secret/app1 | count"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(HINT);
  });
});
