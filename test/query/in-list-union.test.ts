// `X in [thousands of values]` (what a subquery becomes) is one plan node whose sorted terms are
// merged against each segment's sorted dictionary in one pass (IndexReader.scanSortedTerms), not a
// lookup and a plan per value. Checked three ways on a generated log in many segments: the merged
// pass finds exactly what a lookup per term finds (sparse, dense and absent terms), the plan is
// one terms node, and the answers equal the oracle's.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fieldByName } from "../../src/audit/field-catalog.js";
import { type BreakglassIndex } from "../../src/index-api.js";
import { newBitset } from "../../src/codec/term-pages.js";
import { runQuery } from "../../src/query/run-query.js";
import { indexGeneratedLog } from "../helpers/generated-index.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  answerDifference,
  engineAnswer,
  inList,
  inSubquery,
  oracleAnswer,
  queryText,
  valueTexts,
  type OEntry,
  type OQuery,
} from "../oracle/query-oracle.js";
import { localReader } from "../helpers/local-reader.js";

const SALT = "in-list-union-salt";
const tempDir = tempDirs("bg-in-union-");
const GENERATE = { seed: 5, targetBytes: 3 << 20, salt: SALT };
const ALL = { kind: "all" } as const;

/** A seeded PRNG (mulberry32): the same subsets every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("in-lists as one merged pass", () => {
  let index: BreakglassIndex;
  let entries: OEntry[];
  beforeAll(async () => {
    ({ index, entries } = await indexGeneratedLog(tempDir, GENERATE, 256 << 10));
    expect(localReader(index).segments.length).toBeGreaterThan(8);
  }, 60_000);
  afterAll(() => index?.close());

  test.each(["request_id", "path", "ip", "token", "lease"])(
    "scanSortedTerms on %s finds what a lookup per term finds",
    (name) => {
      const reader = localReader(index);
      const code = fieldByName(name)!.code;
      const next = random(code);
      // Every term of the field anywhere, so each segment is asked for terms it lacks too.
      const known = new Set<string>();
      for (const segment of reader.segments) {
        reader.scanTerms(code, segment, undefined, undefined, (term) => {
          known.add(term.toString("latin1"));
        });
      }
      const everything = [...known].sort();
      expect(everything.length).toBeGreaterThan(5);
      // Made-up terms: before all, between two, after all.
      const madeUp = ["", everything[0]! + "\x00", "\xff\xff"];
      for (const share of [0.01, 0.3, 1]) {
        const wanted = [...new Set([...everything.filter(() => next() < share), ...madeUp])].sort();
        const terms = wanted.map((t) => Buffer.from(t, "latin1"));
        for (const segment of reader.segments) {
          const merged = terms.map(() => newBitset(segment.records));
          const visited: number[] = [];
          reader.scanSortedTerms(code, segment, terms, (i, postings) => {
            visited.push(i);
            postings.add(merged[i]!);
          });
          expect(visited).toEqual([...visited].sort((a, b) => a - b));
          terms.forEach((term, i) => {
            const one = newBitset(segment.records);
            const found = reader.addTerm(code, segment, term, one);
            expect(visited.includes(i), `${name} term #${i}`).toBe(found);
            expect(merged[i]).toEqual(one);
          });
        }
      }
    },
  );

  test("a long in-list is one index lookup in the plan, with the real size", async () => {
    const ids = [...new Set(entries.flatMap((e) => valueTexts(e.entry, "request_id")))];
    expect(ids.length).toBeGreaterThan(1000);
    const oq: OQuery = { where: inList("request_id", ids), stages: [{ kind: "count" }] };
    const text = queryText(oq);
    const run = await runQuery(index.engine, text, { collectStats: true });
    const actual = await engineAnswer(run.items);
    expect(answerDifference(oracleAnswer(oq, entries, { salt: SALT }), actual)).toBeUndefined();
    expect(await index.engine.explain(run.prepared, run.stats)).toMatch(
      new RegExp(
        `^index lookup request_id in \\[${ids.length} values\\]  \\[est (\\d+), actual \\1\\]$`,
        "m",
      ),
    );
  });

  test("a long in-list reads each term page of its field at most once a segment", async () => {
    const reader = localReader(index);
    const code = fieldByName("request_id")!.code;
    const ids = [...new Set(entries.flatMap((e) => valueTexts(e.entry, "request_id")))];
    const pages = reader.segments.reduce((n, s) => n + (s.fieldPages[code] ?? 0), 0);
    // Count the term database's reads (LMDB itself, not the code under test, is wrapped).
    const terms = reader.env.terms;
    const getBinary = terms.getBinary;
    let reads = 0;
    terms.getBinary = function (this: typeof terms, ...args: Parameters<typeof getBinary>) {
      reads++;
      return getBinary.apply(this, args);
    };
    try {
      const run = await runQuery(index.engine, `request_id in ${JSON.stringify(ids)} | count`);
      expect(await engineAnswer(run.items)).toEqual([{ kind: "count", count: expect.any(Number) }]);
    } finally {
      terms.getBinary = getBinary;
    }
    // Pages plus one directory a segment; a lookup per value would be ids × segments.
    expect(reads).toBeLessThanOrEqual(pages + reader.segments.length);
    expect(ids.length * reader.segments.length).toBeGreaterThan(10 * pages);
  });

  test.each([
    ["request_id", "request_id"],
    ["token", "token"],
    ["ip", "ip"],
    ["path", "path"],
    ["lease", "lease"],
  ])("`%s in (* | distinct %s)` (every value) matches the oracle", async (x, f) => {
    const oq: OQuery = { where: inSubquery(x, ALL, f), stages: [] };
    const text = queryText(oq);
    const actual = await engineAnswer((await runQuery(index.engine, text)).items);
    const diff = answerDifference(oracleAnswer(oq, entries, { salt: SALT }), actual);
    expect(diff, `${text}\n${diff}`).toBeUndefined();
  });

  test("a list of addresses written many ways still answers right", async () => {
    const oq: OQuery = {
      where: inList("ip", ["10.103.9.43", "10.0.0.2:8200", "[2001:db8::1]:443", "10.100.5.154"]),
      stages: [{ kind: "count" }],
    };
    const actual = await engineAnswer((await runQuery(index.engine, queryText(oq))).items);
    expect(answerDifference(oracleAnswer(oq, entries, { salt: SALT }), actual)).toBeUndefined();
  });
});
