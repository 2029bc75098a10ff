// A subquery runs its whole pipeline, exactly like the same query run alone: `X in (SUB)` matches
// what `X in [the values SUB prints]` matches, and what the oracle says, for every kind of stage a
// subquery may hold before its final `distinct F` (limit, sort, sort + limit, fields, distinct, and
// chains of them), on a generated log cut into several segments. Until this was fixed, every stage
// before the final `distinct` was dropped: `lease in (exists lease | limit 1 | distinct lease)`
// matched every lease.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { plantedIncidents } from "../../src/demo/generate-log.js";
import { type BreakglassIndex } from "../../src/index-api.js";
import { runQuery } from "../../src/query/run-query.js";
import { indexGeneratedLog } from "../helpers/generated-index.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  cmp,
  engineAnswer,
  exists,
  inSubquery,
  oracleAnswer,
  queryText,
  type OEntry,
  type OExpr,
  type OQuery,
  type OStage,
} from "../oracle/query-oracle.js";
import { localReader } from "../helpers/local-reader.js";

const SALT = "subquery-stages-salt";
const tempDir = tempDirs("bg-subquery-stages-");
const GENERATE = { seed: 11, targetBytes: 1 << 20, salt: SALT };
const planted = plantedIncidents(GENERATE)!;
const ALL: OExpr = { kind: "all" };
const VERSION = "response.data.metadata.version";

const limit = (n: number): OStage => ({ kind: "limit", n });
const sort = (field: string, desc = false): OStage => ({ kind: "sort", field, desc });
const fields = (...fs: string[]): OStage => ({ kind: "fields", fields: fs });
const distinct = (field: string): OStage => ({ kind: "distinct", field });

interface Case {
  /** The outer field. */
  readonly x: string;
  readonly where: OExpr;
  /** The subquery's stages before its final `distinct f`. */
  readonly stages: readonly OStage[];
  readonly f: string;
}

const CASES: readonly Case[] = [
  { x: "lease", where: exists("lease"), stages: [], f: "lease" },
  { x: "lease", where: exists("lease"), stages: [limit(1)], f: "lease" },
  { x: "lease", where: exists("lease"), stages: [limit(7)], f: "lease" },
  { x: "lease", where: exists("lease"), stages: [limit(0)], f: "lease" },
  { x: "lease", where: exists("lease"), stages: [sort("time", true), limit(3)], f: "lease" },
  { x: "ip", where: cmp("path", "^=", "database/creds"), stages: [sort("time", true)], f: "ip" },
  { x: "path", where: ALL, stages: [sort("path")], f: "path" },
  { x: "path", where: ALL, stages: [sort("path", true), limit(4)], f: "path" },
  {
    x: "request_id",
    where: ALL,
    stages: [fields("request_id", "path"), limit(5)],
    f: "request_id",
  },
  {
    x: "token",
    where: ALL,
    stages: [fields("path", "token"), sort("path", true), limit(3)],
    f: "token",
  },
  { x: "path", where: ALL, stages: [distinct("path"), limit(2)], f: "path" },
  { x: "path", where: ALL, stages: [distinct("path"), sort("path", true), limit(3)], f: "path" },
  { x: "ip", where: ALL, stages: [distinct("ip"), limit(3)], f: "ip" },
  { x: "op", where: ALL, stages: [fields("op"), sort("op", true), limit(1)], f: "op" },
  { x: VERSION, where: exists(VERSION), stages: [sort(VERSION, true), limit(2)], f: VERSION },
  {
    x: "lease",
    where: inSubquery("token", cmp("ip", "=", planted.compromisedIp), "token", [limit(2)]),
    stages: [limit(3)],
    f: "lease",
  },
];

function caseName(c: Case): string {
  return queryText({ where: inSubquery(c.x, c.where, c.f, c.stages), stages: [] });
}

describe("subqueries run their whole pipeline", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  beforeAll(async () => {
    // 128 KiB chunks: several segments, so the dictionary and record paths both run.
    ({ index, entries } = await indexGeneratedLog(tempDir, GENERATE, 128 << 10));
    expect(localReader(index).segments.length).toBeGreaterThan(4);
  }, 60_000);
  afterAll(() => index?.close());

  /** What a query prints, in the oracle's shape. */
  const answer = async (text: string) => engineAnswer((await runQuery(index.engine, text)).items);

  test.each(CASES.map((c) => [caseName(c), c] as const))(
    "%s matches the oracle and the subquery run alone",
    async (text, c) => {
      const oq: OQuery = { where: inSubquery(c.x, c.where, c.f, c.stages), stages: [] };
      expect(queryText(oq)).toBe(text);
      const actual = await answer(text);
      const diff = answerDifference(oracleAnswer(oq, entries, { salt: SALT }), actual);
      expect(diff, `${text}\n${diff}`).toBeUndefined();

      // The subquery alone, then its values as a list.
      const sub = queryText({ where: c.where, stages: [...c.stages, distinct(c.f)] });
      const values = (await answer(sub)).map((item) => {
        if (item.kind !== "value") throw new Error(`${sub} gave a ${item.kind} item`);
        return typeof item.value === "string" ? item.value : JSON.stringify(item.value);
      });
      if (values.length === 0) {
        expect(actual).toEqual([]);
        return;
      }
      const list = `${c.x} in [${values.map((v) => JSON.stringify(v)).join(", ")}]`;
      expect(answerDifference(await answer(list), actual)).toBeUndefined();
    },
  );

  test("`lease in (exists lease | limit 1 | distinct lease) | leases` is one lease", async () => {
    const out = await answer("lease in (exists lease | limit 1 | distinct lease) | leases");
    const first = await answer("exists lease | limit 1 | distinct lease");
    expect(first).toHaveLength(1);
    expect(out).toEqual([
      expect.objectContaining({ kind: "lease", lease: (first[0] as { value: unknown }).value }),
    ]);
    // The generated log has many more leases than that.
    expect((await answer("* | leases")).length).toBeGreaterThan(20);
  });
});
