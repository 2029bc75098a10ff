// `sort`: the full sort and the bounded heap of `sort F | limit N` give exactly a plain stable
// sort's order (then its first N), ties included, ascending and descending, on data with many
// equal keys; the sort holds keys and record ids, not records, and reads each record back as it
// emits it; above its bound (lowered by BREAKGLASS_SORT_MAX_ITEMS) a full sort is refused with a
// usage error (exit 2 from the bin) while `| limit N` still runs; and on an index the answers are
// the oracle's.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { UsageError } from "../../src/errors.js";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import type { MatchedRecord, StageContext } from "../../src/query/matched-record.js";
import { parseQuery } from "../../src/query/parse-query.js";
import { runQuery } from "../../src/query/run-query.js";
import { runStages } from "../../src/query/run-stages.js";
import { SORT_MAX_ITEMS_ENV } from "../../src/query/stages/sort-stage.js";
import { runBin } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  engineAnswer,
  oracleAnswer,
  oracleEntries,
  queryText,
  type OEntry,
  type OQuery,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";
import { collect, contextOf, matchedRecords, stream } from "./matched-records.js";

const tempDir = tempDirs("bg-sort-");

/** 300 entries whose keys repeat a lot: 7 instants (in several offsets), 5 ttls, 4 paths. */
function tiedLines(): string[] {
  const instants = [
    "2026-01-01T00:00:00Z",
    "2026-01-01T01:00:00+01:00", // the same instant as the line above
    "2026-01-01T00:00:00.000000001Z",
    "2025-12-31T23:59:59.999999999Z",
    "2026-01-01T00:00:01Z",
    "not a time",
    "2026-01-02T00:00:00-05:00",
  ];
  const ttls: unknown[] = [60, "60", 7200, 9, "x", undefined];
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const ttl = ttls[(i * 7) % ttls.length];
    lines.push(
      JSON.stringify({
        time: i % 23 === 0 ? undefined : instants[(i * 5) % instants.length],
        type: "response",
        request: { id: `r${i}`, path: ["b", "a", "c", "a/b"][(i * 3) % 4] },
        response: ttl === undefined ? {} : { data: { ttl } },
      }),
    );
  }
  return lines;
}

type Obj = Record<string, any>;

/** The reference: a plain stable sort (Array.prototype.sort) by the stage's documented rules. */
function referenceOrder(entries: readonly Obj[], pick: (e: Obj) => unknown, desc: boolean) {
  const key = (v: unknown): [number, number | string | bigint] => {
    if (v === undefined || v === null) return [3, 0];
    if (typeof v === "number") return [0, v];
    if (typeof v === "string") {
      const ms = Date.parse(v);
      if (pick === timeOf) {
        // A time that does not parse is no time: such an entry sorts with those that have none.
        if (Number.isNaN(ms)) return [3, 0];
        const frac = /\.(\d+)/.exec(v)?.[1] ?? "";
        return [1, BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(frac.padEnd(9, "0"))];
      }
      if (/^-?\d+(\.\d+)?$/.test(v)) return [0, Number(v)];
      return [2, v];
    }
    return [2, JSON.stringify(v)];
  };
  const keyed = entries.map((e, i) => ({ i, k: key(pick(e)) }));
  keyed.sort((a, b) => {
    if (a.k[0] === 3 || b.k[0] === 3) return a.k[0] - b.k[0];
    let c = a.k[0] - b.k[0];
    if (c === 0) c = a.k[1] < b.k[1] ? -1 : a.k[1] > b.k[1] ? 1 : 0;
    return desc ? -c : c;
  });
  return keyed.map((x) => x.i);
}
const timeOf = (e: Obj): unknown => e.time;
const ttlOf = (e: Obj): unknown => e.response?.data?.ttl;
const pathOf = (e: Obj): unknown => e.request?.path;

describe("sort and sort | limit over records with many equal keys", () => {
  const lines = tiedLines();
  const parsed = lines.map((l) => JSON.parse(l) as Obj);
  const records = matchedRecords(lines);

  /** The context, counting the records it is asked to read back. */
  function countingContext() {
    const base = contextOf(records);
    const read: number[] = [];
    const ctx: StageContext = {
      recordIdsByRequestIds: (ids) => base.recordIdsByRequestIds(ids),
      record(id) {
        read.push(id);
        return base.record(id);
      },
    };
    return { ctx, read };
  }

  const ids = async (pipeline: string, ctx: StageContext): Promise<number[]> => {
    const out = await collect(
      runStages(stream(records), parseQuery(`* | ${pipeline}`).stages, ctx),
    );
    return out.map((o) => (o as { record: MatchedRecord }).record.id);
  };

  const CASES = [
    ["time", timeOf],
    ["response.data.ttl", ttlOf],
    ["path", pathOf],
  ] as const;

  test.each(CASES.flatMap(([f, pick]) => [false, true].map((desc) => [f, desc, pick] as const)))(
    "sort %s (desc: %s) is the stable sort; with limit N its first N",
    async (field, desc, pick) => {
      const expected = referenceOrder(parsed, pick, desc);
      const sort = `sort ${field}${desc ? " desc" : ""}`;
      const full = countingContext();
      expect(await ids(sort, full.ctx)).toEqual(expected);
      // Every record was read back by id, in the output's order.
      expect(full.read).toEqual(expected);
      for (const n of [0, 1, 2, 7, 50, 299, 300, 305]) {
        const top = countingContext();
        expect(await ids(`${sort} | limit ${n}`, top.ctx), `limit ${n}`).toEqual(
          expected.slice(0, n),
        );
        expect(top.read).toEqual(expected.slice(0, n));
      }
    },
  );

  test("rows, values and groups sort by their column the same way", async () => {
    const values = async (pipeline: string) =>
      (
        await collect(
          runStages(stream(records), parseQuery(`* | ${pipeline}`).stages, contextOf(records)),
        )
      ).map((o) => JSON.stringify(o));
    expect(await values("fields path, time | sort path desc | limit 9")).toEqual(
      (await values("fields path, time | sort path desc")).slice(0, 9),
    );
    expect(await values("distinct response.data.ttl | sort response.data.ttl | limit 3")).toEqual(
      (await values("distinct response.data.ttl | sort response.data.ttl")).slice(0, 3),
    );
  });

  describe(`above the bound (${SORT_MAX_ITEMS_ENV}=100)`, () => {
    beforeAll(() => {
      process.env[SORT_MAX_ITEMS_ENV] = "100";
    });
    afterAll(() => {
      delete process.env[SORT_MAX_ITEMS_ENV];
    });

    test("a full sort of 300 records is refused with a usage error that says what to do", async () => {
      const err = await ids("sort time", contextOf(records)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(/`sort` stopped at 100 records/);
      expect((err as UsageError).hint).toMatch(/\| limit N/);
    });

    test("`sort | limit 100` still runs: its heap never holds more than 100", async () => {
      expect(await ids("sort time | limit 100", contextOf(records))).toEqual(
        referenceOrder(parsed, timeOf, false).slice(0, 100),
      );
      await expect(ids("sort time | limit 101", contextOf(records))).rejects.toThrow(UsageError);
    });
  });
});

describe("on an index", () => {
  const SALT = "sort-salt";
  let index: BreakglassIndex;
  let entries: OEntry[];
  let db: string;
  beforeAll(async () => {
    const log = path.join(tempDir(), "audit.log");
    await writeAuditLog(log, { seed: 3, targetBytes: 1 << 20, salt: SALT });
    entries = oracleEntries(scanLogs([log]));
    db = tempDir();
    await indexFiles(db, [log], { workers: 2, chunkBytes: 256 << 10 });
    index = openIndex(db, { salt: SALT });
  }, 60_000);
  afterAll(() => index?.close());

  const QUERIES: OQuery[] = [
    ["time", false, 7],
    ["time", true, 7],
    ["path", false, 40],
    ["path", true, 40],
    ["op", true, 100],
    ["response.data.metadata.version", true, 25],
    ["auth.token_ttl", false, 30],
  ].flatMap(
    ([field, desc, n]) =>
      [
        { where: { kind: "all" }, stages: [{ kind: "sort", field, desc } as const] },
        {
          where: { kind: "all" },
          stages: [{ kind: "sort", field, desc } as const, { kind: "limit", n } as const],
        },
      ] as OQuery[],
  );

  test.each(QUERIES.map((q) => [queryText(q), q] as const))(
    "`%s` matches the oracle",
    async (text, q) => {
      const actual = await engineAnswer((await runQuery(index.engine, text)).items);
      const diff = answerDifference(oracleAnswer(q, entries, { salt: SALT }), actual);
      expect(diff, `${text}\n${diff}`).toBeUndefined();
    },
  );

  test("the bin refuses a sort above the bound with exit 2 and a hint, and runs it with a limit", async () => {
    const env = { [SORT_MAX_ITEMS_ENV]: "50", HOME: tempDir() };
    const refused = await runBin(["query", "--db", db, "* | sort time"], env);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^breakglass: `sort` stopped at 50 records/);
    expect(refused.stderr).toMatch(/hint: add `\| limit N` after `sort`/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const limited = await runBin(["query", "--db", db, "* | sort time desc | limit 3"], env);
    expect(limited.code).toBe(0);
    expect(limited.stdout.trim().split("\n")).toHaveLength(3);
  });
});
