// `sort time` as the first stage is keyed from the time dictionary (no record read to sort) and
// answers exactly what the oracle's sort does: ascending and descending, with and without a limit,
// wide and narrow matches, on clean segments (the dictionary path) and on segments where the
// dictionary cannot tell a record's first time (a record with two instants), which read their
// records; a time that does not parse or a number is no time, as if missing. --explain's stats
// say which way each segment went.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  cmp,
  engineAnswer,
  oracleAnswer,
  oracleEntries,
  queryText,
  type OEntry,
  type OExpr,
  type OQuery,
  type OStage,
} from "../oracle/query-oracle.js";
import { scanLogs } from "../oracle/scan-log.js";
import { localReader } from "../helpers/local-reader.js";

const SALT = "time-sort-salt";
const tempDir = tempDirs("bg-time-sort-");

/** Times that repeat (also as the same instant in other offsets) and nanosecond neighbours. */
const TIMES = [
  "2026-11-20T10:00:00Z",
  "2026-11-20T11:00:00+01:00",
  "2026-11-20T10:00:00.000000001Z",
  "2026-11-20T09:59:59.999999999Z",
  "2026-11-20T04:30:00-05:30",
  "2026-11-19T23:00:00Z",
  "2026-11-20T10:00:00.5Z",
];

function line(i: number, time: unknown): string {
  return JSON.stringify({
    ...(time === undefined ? {} : { time }),
    type: i % 2 ? "response" : "request",
    request: { id: `r${i >> 1}`, path: `secret/p${i % 5}`, operation: "read" },
  });
}

/** Segment k's lines: clean ones (k < 3), or with one awkward time among them. */
function segmentLines(k: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const n = k * 1000 + i;
    lines.push(line(n, i % 17 === 5 ? undefined : TIMES[(n * 5) % TIMES.length]));
  }
  const awkward: Record<number, unknown> = {
    3: "yesterday", // does not parse: no time, like a missing one
    4: [TIMES[3], TIMES[0]], // two instants: the dictionary cannot tell which is first
    5: 1_700_000_000, // a number
  };
  if (k in awkward) lines[60] = line(k * 1000 + 60, awkward[k]);
  return lines;
}

describe("sort time from the time dictionary", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  const SEGMENTS = 6;
  beforeAll(async () => {
    const dir = tempDir();
    const files = Array.from({ length: SEGMENTS }, (_, k) => path.join(dir, `audit-${k}.log`));
    files.forEach((f, k) => writeFileSync(f, segmentLines(k).join("\n") + "\n"));
    entries = oracleEntries(scanLogs(files));
    const db = tempDir();
    await indexFiles(db, files, { workers: 1 });
    index = openIndex(db, { salt: SALT });
    expect(localReader(index).segments.length).toBe(SEGMENTS);
  }, 60_000);
  afterAll(() => index?.close());

  const sort = (desc: boolean): OStage => ({ kind: "sort", field: "time", desc });
  const limit = (n: number): OStage => ({ kind: "limit", n });
  const CASES: OQuery[] = [];
  for (const where of [
    { kind: "all" },
    cmp("path", "=", "secret/p2"),
    cmp("type", "=", "response"),
  ] as OExpr[]) {
    for (const desc of [false, true]) {
      CASES.push({ where, stages: [sort(desc)] });
      for (const n of [0, 1, 5, 100, 1000]) CASES.push({ where, stages: [sort(desc), limit(n)] });
    }
  }
  CASES.push({
    where: { kind: "all" },
    stages: [sort(true), limit(50), { kind: "fields", fields: ["time", "path"] }],
  });

  test.each(CASES.map((q) => [queryText(q), q] as const))(
    "`%s` matches the oracle",
    async (text, q) => {
      const actual = await engineAnswer((await runQuery(index.engine, text)).items);
      const diff = answerDifference(oracleAnswer(q, entries, { salt: SALT }), actual);
      expect(diff, `${text}\n${diff}`).toBeUndefined();
    },
  );

  test("clean segments are keyed from the dictionary, awkward ones from their records", async () => {
    const run = await runQuery(index.engine, "* | sort time desc | limit 3", {
      collectStats: true,
    });
    for await (const _ of run.items); // run it through so the stats are complete
    // A time that does not parse and a number are no times (the entry has none), so their
    // segments' dictionaries are exact; only two instants in one record send a segment to its
    // records.
    expect(run.stats!.groupSegments).toEqual({ dictionary: 5, records: 1 });
    expect(await index.engine.explain(run.prepared, run.stats)).toContain(
      "first stage answered from the term dictionary in 5 segments, from the records in 1",
    );
  });
});
