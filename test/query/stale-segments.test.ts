// Segments indexed before a field existed (an index built by an older breakglass) answer queries on
// that field right: every operator and every stage that reads postings (count by, top, distinct,
// leases, timeline, sort, pair) gives the oracle's answer (a JSON.parse scan), or, where the
// oracle has no such stage, the answer of the same index before it was aged. `--explain` names the
// segments scanned and why, the hint counts them, and fields every segment indexed are still
// answered from postings. Then `index --reindex` rebuilds exactly the postings ingest would have
// built: byte for byte the term pages of the never-aged index.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fieldByName } from "../../src/audit/field-catalog.js";
import { writeAuditLog, type PlantedIncidents } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { reindexIndex } from "../../src/ingest/reindex-index.js";
import { runQuery } from "../../src/query/run-query.js";
import { staleFieldsNote } from "../../src/query/stale-fields.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import { readSegmentMetas } from "../../src/store/meta-records.js";
import { isSegmentStale } from "../../src/store/segment-catalog.js";
import { dropFields } from "../helpers/age-index.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { localReader } from "../helpers/local-reader.js";
import {
  and,
  answerDifference,
  cmp,
  engineAnswer,
  exists,
  hashOf,
  inCidr,
  inList,
  inSubquery,
  not,
  oracleAnswer,
  oracleEntries,
  quoted,
  type OEntry,
  type OQuery,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";

const SALT = "stale-segments-salt";
const tempDir = tempDirs("bg-stale-segments-");
/** Fields the aged segments were "indexed before": each kind, derived values, stage fields. */
const AGED = ["kv_path", "ip", "time", "lease", "request_id", "hmac", "port"] as const;
const AGED_CODES = AGED.map((f) => fieldByName(f)!.code);

let pristine: BreakglassIndex;
let aged: BreakglassIndex;
let agedDb: string;
let pristineDb: string;
let agedIds: number[];
let entries: OEntry[];
let planted: PlantedIncidents;
let midTime: string;

beforeAll(async () => {
  const log = path.join(tempDir(), "audit.log");
  planted = (await writeAuditLog(log, { seed: 41, targetBytes: 400_000, salt: SALT })).planted!;
  entries = oracleEntries(scanLogs([log]));
  pristineDb = tempDir();
  agedDb = tempDir();
  for (const db of [pristineDb, agedDb]) {
    await indexFiles(db, [log], { workers: 2, chunkBytes: 48 << 10 });
  }
  // Every other segment, as if indexed by a breakglass whose catalog lacked those fields.
  agedIds = await dropFields(agedDb, AGED_CODES, (_s, i) => i % 2 === 0);
  pristine = openIndex(pristineDb, { salt: SALT });
  aged = openIndex(agedDb, { salt: SALT });
  const times = entries
    .map((e) => (e.entry as { time?: unknown }).time)
    .filter((t): t is string => typeof t === "string")
    .sort();
  midTime = times[Math.floor(times.length / 2)]!;
}, 120_000);

afterAll(async () => {
  await pristine?.close();
  await aged?.close();
});

/** Queries on the aged fields, as the oracle's tree and as text. */
function cases(): [text: string, oq: OQuery][] {
  const ip = planted.compromisedIp;
  const q = (where: OQuery["where"], stages: OQuery["stages"] = []): OQuery => ({ where, stages });
  return [
    ["kv_path = secret/app1/db", q(cmp("kv_path", "=", "secret/app1/db"))],
    ['kv_path ^= "secret/app1"', q(cmp("kv_path", "^=", quoted("secret/app1")))],
    ['kv_path ~ "db$"', q(cmp("kv_path", "~", quoted("db$")))],
    ["kv_path != secret/app1/db", q(cmp("kv_path", "!=", "secret/app1/db"))],
    ["exists kv_path", q(exists("kv_path"))],
    ["not exists kv_path", q(not(exists("kv_path")))],
    [
      "kv_path in [secret/app1/db, secret/app1/tls]",
      q(inList("kv_path", ["secret/app1/db", "secret/app1/tls"])),
    ],
    [`ip = ${ip}`, q(cmp("ip", "=", ip))],
    ["ip in 10.0.0.0/8", q(inCidr("ip", "10.0.0.0/8"))],
    [`ip in [${ip}, 10.100.1.10]`, q(inList("ip", [ip, "10.100.1.10"]))],
    [`ip != ${ip}`, q(cmp("ip", "!=", ip))],
    [`time >= ${midTime}`, q(cmp("time", ">=", midTime))],
    [`time < ${midTime}`, q(cmp("time", "<", midTime))],
    [`time = ${midTime}`, q(cmp("time", "=", midTime))],
    ["exists port", q(exists("port"))],
    ["port > 30000", q(cmp("port", ">", "30000"))],
    [
      `hmac = "${planted.leakedPasswordHmac}"`,
      q(cmp("hmac", "=", quoted(planted.leakedPasswordHmac))),
    ],
    [
      `hmac = hash("${planted.leakedPassword}") | leases`,
      q(cmp("hmac", "=", hashOf(planted.leakedPassword)), [{ kind: "leases" }]),
    ],
    [
      'path ^= "secret/data" and kv_path ^= "secret/app1"',
      q(and(cmp("path", "^=", quoted("secret/data")), cmp("kv_path", "^=", quoted("secret/app1")))),
    ],
    ["lease ^= database", q(cmp("lease", "^=", "database"))],
    ["* | count by kv_path", q({ kind: "all" }, [{ kind: "countBy", field: "kv_path" }])],
    ["* | top 3 ip", q({ kind: "all" }, [{ kind: "top", n: 3, field: "ip" }])],
    ["* | distinct kv_path", q({ kind: "all" }, [{ kind: "distinct", field: "kv_path" }])],
    ["* | distinct request_id", q({ kind: "all" }, [{ kind: "distinct", field: "request_id" }])],
    ["ip in 10.0.0.0/8 | leases", q(inCidr("ip", "10.0.0.0/8"), [{ kind: "leases" }])],
    ["kv_path ^= secret | count", q(cmp("kv_path", "^=", "secret"), [{ kind: "count" }])],
    [
      "* | sort time desc | limit 25",
      q({ kind: "all" }, [
        { kind: "sort", field: "time", desc: true },
        { kind: "limit", n: 25 },
      ]),
    ],
    [
      `token in (ip = ${ip} | distinct token) | leases`,
      q(inSubquery("token", cmp("ip", "=", ip), "token"), [{ kind: "leases" }]),
    ],
  ];
}

describe("an index whose older segments lack some fields", () => {
  test("the aged segments are stale, the others are not", () => {
    const segments = localReader(aged).segments;
    expect(agedIds.length).toBeGreaterThan(1);
    expect(segments.length).toBeGreaterThan(agedIds.length);
    expect(segments.filter(isSegmentStale).map((s) => s.id)).toEqual(agedIds);
  });

  test("queries on those fields match the oracle, on every operator and stage", async () => {
    for (const [text, oq] of cases()) {
      const expected = oracleAnswer(oq, entries, { salt: SALT });
      const actual = await engineAnswer((await runQuery(aged.engine, text)).items);
      const diff = answerDifference(expected, actual);
      expect(diff, `${text}\n${diff}`).toBeUndefined();
    }
  });

  test.each([
    "* | timeline 1s",
    `ip = ${"10.100.1.10"} | timeline`,
    "type = response | pair",
    "kv_path ^= secret/app1 | pair",
    "* | sort time | limit 40",
  ])("`%s` answers as the index did before it was aged", async (text) => {
    const show = async (ix: BreakglassIndex): Promise<string[]> => {
      const out: string[] = [];
      for await (const item of (await runQuery(ix.engine, text)).items) {
        out.push(
          JSON.stringify(item, (key, v: unknown) =>
            key === "request" || key === "response" || key === "record"
              ? v && Buffer.from((v as { line: Buffer }).line).toString("utf8")
              : v,
          ),
        );
      }
      return out;
    };
    const expected = await show(pristine);
    expect(expected.length).toBeGreaterThan(0);
    expect(await show(aged)).toEqual(expected);
  });

  test("the library's postings lookups find the aged segments' records too", () => {
    const lookups: [string, (ix: BreakglassIndex) => number[]][] = [
      ["ip", (ix) => ix.postings("ip", planted.compromisedIp)],
      ["kv_path", (ix) => ix.postings("kv_path", "secret/app1/db")],
      ["hmac", (ix) => ix.postings("hmac", planted.leakedPasswordHmac)],
      ["cidr", (ix) => ix.postingsInCidr("10.0.0.0/8")],
    ];
    for (const [name, lookup] of lookups) {
      const expected = lookup(pristine);
      expect(expected.length, name).toBeGreaterThan(0);
      expect(lookup(aged), name).toEqual(expected);
    }
  });

  test("--explain names the segments scanned and why; the hint counts them", async () => {
    const run = await runQuery(aged.engine, "kv_path = secret/app1/db | count by kv_path", {
      collectStats: true,
    });
    for await (const _ of run.items) {
      // run to the end for the stats
    }
    const explain = await aged.engine.explain(run.prepared, run.stats);
    expect(explain).toContain(
      `records scanned for kv_path in segments ${agedIds.join(", ")}: indexed before the field existed`,
    );
    expect(staleFieldsNote(localReader(aged), run.prepared.plan, run.stages)).toBe(
      `note: ${agedIds.length} of ${localReader(aged).segments.length} segments were indexed ` +
        "before field `kv_path` existed and were scanned; `breakglass index --reindex` rebuilds them",
    );
  });

  test("a query on fields every segment indexed reads postings only, and has no hint", async () => {
    const run = await runQuery(aged.engine, "path = sys/wrapping/unwrap | count by op", {
      collectStats: true,
    });
    for await (const _ of run.items) {
      // run to the end for the stats
    }
    expect(run.stats!.staleScans.size).toBe(0);
    expect([...run.stats!.parsed.values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(await aged.engine.explain(run.prepared, run.stats)).not.toContain("scanned");
    expect(staleFieldsNote(localReader(aged), run.prepared.plan, run.stages)).toBeUndefined();
  });
});

describe("index --reindex on that index", () => {
  /** Every term page and segment record, by key. */
  async function postings(db: string): Promise<{ terms: Map<string, string>; segments: unknown }> {
    const env = openIndexEnv(db, { create: false, readOnly: true });
    try {
      const terms = new Map<string, string>();
      for (const { key, value } of env.terms.getRange()) {
        terms.set(Buffer.from(key).toString("hex"), Buffer.from(value).toString("base64"));
      }
      return { terms, segments: readSegmentMetas(env) };
    } finally {
      await env.close();
    }
  }

  let summary: Awaited<ReturnType<typeof reindexIndex>>;
  beforeAll(async () => {
    await aged.close();
    summary = await reindexIndex(agedDb);
    aged = openIndex(agedDb, { salt: SALT });
  }, 120_000);

  test("rebuilds the stale segments into the postings ingest builds", async () => {
    expect(summary).toMatchObject({ stale: agedIds.length, rebuilt: agedIds.length });
    expect(localReader(aged).segments.filter(isSegmentStale)).toEqual([]);
    const rebuilt = await postings(agedDb);
    const built = await postings(pristineDb);
    expect(rebuilt.segments).toEqual(built.segments);
    expect(rebuilt.terms.size).toBe(built.terms.size);
    expect(rebuilt.terms).toEqual(built.terms);
  });

  test("queries still match the oracle, from postings, with no hint", async () => {
    for (const [text, oq] of cases()) {
      const expected = oracleAnswer(oq, entries, { salt: SALT });
      const run = await runQuery(aged.engine, text, { collectStats: true });
      const actual = await engineAnswer(run.items);
      const diff = answerDifference(expected, actual);
      expect(diff, `${text}\n${diff}`).toBeUndefined();
      expect(run.stats!.staleScans.size, text).toBe(0);
      expect(staleFieldsNote(localReader(aged), run.prepared.plan, run.stages)).toBeUndefined();
    }
  });

  test("a second run has nothing to do", async () => {
    await aged.close();
    const again = await reindexIndex(agedDb);
    aged = openIndex(agedDb, { salt: SALT });
    expect(again).toMatchObject({ stale: 0, rebuilt: 0, interrupted: false });
  });
});
