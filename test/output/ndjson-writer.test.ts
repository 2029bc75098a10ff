// ndjson prints a record's original bytes straight from the store: a query whose stages need no
// field of the records never JSON-parses them (a parse costs about as much again as reading the
// record, bench/record-read-bench.ts), while a stage that reads a field does parse them.
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import type { BreakglassIndex } from "../../src/index-api.js";
import { writeOutput } from "../../src/output/write-output.js";
import { runQuery } from "../../src/query/run-query.js";
import { indexGeneratedLog } from "../helpers/generated-index.js";
import { tempDirs } from "../helpers/temp-dir.js";
import type { OEntry } from "../oracle/query-oracle.js";

const tempDir = tempDirs("bg-ndjson-");

let index: BreakglassIndex;
let entries: OEntry[];
let ip: string;

beforeAll(async () => {
  ({ index, entries } = await indexGeneratedLog(
    tempDir,
    { seed: 4, targetBytes: 300_000, salt: "ndjson-salt" },
    128 << 10,
  ));
  // The remote address with the most entries.
  const counts = new Map<string, number>();
  for (const e of entries) {
    const address = (e.entry as { request?: { remote_address?: string } }).request?.remote_address;
    if (address) counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  ip = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}, 60_000);
afterAll(() => index?.close());

/** The ndjson `query` prints, and every string JSON.parse was given meanwhile. */
async function printed(query: string): Promise<{ lines: string[]; parsed: string[] }> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const parse = vi.spyOn(JSON, "parse");
  try {
    await writeOutput((await runQuery(index.engine, query)).items, "ndjson", out);
    const parsed = parse.mock.calls.map(([text]) => String(text));
    return { lines: Buffer.concat(chunks).toString("utf8").split("\n").slice(0, -1), parsed };
  } finally {
    parse.mockRestore();
  }
}

test("ndjson of `ip = X` prints the log's lines byte for byte and parses none of them", async () => {
  const { lines, parsed } = await printed(`ip = "${ip}"`);
  const logLines = new Set(entries.map((e) => e.line));
  expect(lines.length).toBeGreaterThanOrEqual(5);
  for (const line of lines) expect(logLines.has(line)).toBe(true);
  const printedLines = new Set(lines);
  expect(parsed.filter((text) => printedLines.has(text))).toEqual([]);
});

test("a stage that reads a field (sort path) does parse the records it reads", async () => {
  const { lines, parsed } = await printed(`ip = "${ip}" | sort path`);
  const parsedTexts = new Set(parsed);
  expect(lines.length).toBeGreaterThanOrEqual(5);
  for (const line of lines) expect(parsedTexts.has(line)).toBe(true);
});
