// Predicates with no index over many records are scanned in the scan workers (SCAN_IN_WORKERS_MIN
// = 8192 records a segment): the answers equal a plain JSON.parse scan, with and without a
// narrowing indexed sibling, and in id order across several segments.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { openIndex, type BreakglassIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { runQuery } from "../../src/query/run-query.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-scan-");
let index: BreakglassIndex;
let entries: Record<string, any>[];
let lines: string[];

beforeAll(async () => {
  const dir = tempDir();
  lines = [...generateAuditLines({ seed: 11, targetBytes: 24_000_000, salt: "s" })];
  entries = lines.map((l) => JSON.parse(l));
  writeFileSync(path.join(dir, "audit.log"), lines.join("\n") + "\n");
  // 12 MiB chunks: two segments of ~11k records, both above the worker threshold.
  await indexFiles(path.join(dir, "db"), [path.join(dir, "audit.log")], { chunkBytes: 12 << 20 });
  index = openIndex(path.join(dir, "db"));
}, 120_000);
afterAll(async () => {
  await index?.close();
});

async function matchingLines(query: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of (await runQuery(index.engine, query)).items) {
    if (item.kind === "record") out.push(item.record.line.toString("utf8"));
  }
  return out;
}

test.each([
  [
    'response.data.username ~ "^v-"',
    (e: Record<string, any>) => /^v-/.test(String(e.response?.data?.username ?? "\u0000")),
  ],
  [
    "exists response.secret",
    (e: Record<string, any>) => e.response?.secret !== undefined && e.response?.secret !== null,
  ],
  [
    'request.data.ttl = "1h" or response.wrap_info.ttl > 100',
    (e: Record<string, any>) =>
      e.request?.data?.ttl === "1h" ||
      (typeof e.response?.wrap_info?.ttl === "number" && e.response.wrap_info.ttl > 100),
  ],
  [
    "not exists response.data",
    (e: Record<string, any>) => e.response?.data === undefined || e.response?.data === null,
  ],
])("%s over every record equals a plain scan", async (query, oracle) => {
  expect(entries.length).toBeGreaterThan(16_384);
  const want = lines.filter((_, i) => oracle(entries[i]!));
  expect(await matchingLines(query)).toEqual(want);
});
