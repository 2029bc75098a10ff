// The planner's choices, asserted through explain(): which predicates use an index, which scan
// entries, in what order `and` runs them, and that the sizes it reports are the real ones.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-plan-");
let index: BreakglassIndex;
let lines: string[];

beforeAll(async () => {
  const dir = tempDir();
  lines = [...generateAuditLines({ seed: 3, targetBytes: 2_000_000, salt: "s" })];
  writeFileSync(path.join(dir, "audit.log"), lines.join("\n") + "\n");
  await indexFiles(path.join(dir, "db"), [path.join(dir, "audit.log")], {
    workers: 2,
    chunkBytes: 256 << 10,
  });
  index = openIndex(path.join(dir, "db"), { salt: "s" });
});
afterAll(async () => {
  await index?.close();
});

async function explain(query: string): Promise<{ text: string; results: number }> {
  const run = await runQuery(index.engine, query, { collectStats: true });
  let results = 0;
  for await (const item of run.items) results += item.kind === "count" ? item.count : 1;
  return { text: await index.engine.explain(run.prepared, run.stats), results };
}

const count = (pred: (e: Record<string, any>) => boolean) =>
  lines.filter((l) => pred(JSON.parse(l))).length;

describe("plans", () => {
  test("an exact ip is one index lookup whose estimate is the answer", async () => {
    const ip = "10.103.9.43";
    const want = count(
      (e) =>
        e.request?.remote_address === ip ||
        String(e.request?.headers?.["x-forwarded-for"]?.at(-1) ?? "")
          .split(",")
          .at(-1)
          ?.trim() === ip,
    );
    const { text, results } = await explain(`ip = ${ip}`);
    expect(results).toBe(want);
    expect(text).toMatch(
      new RegExp(`index lookup ip = "${ip}"  \\[est ${want}, actual ${want}\\]`),
    );
    expect(text).toMatch(/\d+ segments, \d+ records/);
  });

  test("a CIDR is one index range", async () => {
    const { text } = await explain("ip in 10.100.0.0/16 | count");
    expect(text).toMatch(/^index range ip in 10\.100\.0\.0\/16/m);
  });

  test("and runs the exact lookup first and the regex only on its survivors", async () => {
    const { text } = await explain('path = "sys/wrapping/unwrap" and error ~ "not valid"');
    const rows = text.split("\n");
    expect(rows[1]).toMatch(/^and /);
    expect(rows[2]).toMatch(/^  index lookup path = "sys\/wrapping\/unwrap"/);
    expect(rows[3]).toMatch(/^  dictionary scan error ~ "not valid"/);
  });

  test("a dotted path is an entry scan, pre-filtered on the raw bytes, after the indexed part", async () => {
    const { text, results } = await explain(
      'type = response and response.data.username ^= "v-approle"',
    );
    expect(text).toMatch(
      /entry scan response\.data\.username \^= "v-approle" \(pre-filtered on "v-approle"\)/,
    );
    expect(text.indexOf("index lookup type")).toBeLessThan(text.indexOf("entry scan"));
    expect(results).toBe(
      count(
        (e) =>
          e.type === "response" && String(e.response?.data?.username ?? "").startsWith("v-approle"),
      ),
    );
  });

  test("hash() becomes the audit HMAC before planning", async () => {
    const { text } = await explain('hmac = hash("x") | count');
    expect(text).toMatch(/index lookup hmac = "hmac-sha256:[0-9a-f]{64}"/);
  });

  test("a time range holds every entry with a time, and says how many have none", async () => {
    const { text, results } = await explain("time >= 2000-01-01T00:00:00Z | count");
    const noTime = count((e) => e.time === undefined);
    expect(noTime).toBeGreaterThan(0); // the generator writes a few omit_time entries
    expect(results).toBe(lines.length - noTime);
    expect(text).toContain(`note: ${noTime} entries have no time`);
    const none = await explain("not exists time | count");
    expect(none.results).toBe(noTime);
  });

  test("a query that does not test time says nothing about entries without one", async () => {
    const { text } = await explain("path = sys/wrapping/unwrap | count");
    expect(text).not.toContain("no time");
  });
});
