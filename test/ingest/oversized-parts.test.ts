// A Docker or CRI record split into parts whose parts together pass --max-line-bytes is one bad
// line, at its first part, whose reason says so; it is skipped as it streams by (also when it is
// longer than a chunk, so the chunker meets it first) and costs no other record: the lines after
// it are indexed and numbered as in the file.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { recordEntry } from "../../src/audit/framing/record-json.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-oversized-parts-");
const PART_CHARS = 16 << 10;
const MAX_LINE_BYTES = 100 << 10;

function entry(id: string, padBytes: number): string {
  return JSON.stringify({
    time: "2026-11-29T10:00:00Z",
    type: "request",
    request: { id, operation: "update", path: "secret/x", data: { pad: "p".repeat(padBytes) } },
  });
}

function parts(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += PART_CHARS) out.push(text.slice(i, i + PART_CHARS));
  return out;
}

const FRAME: Record<string, (line: string) => string[]> = {
  docker: (line) =>
    parts(line + "\n").map((log) => JSON.stringify({ log, stream: "stdout", time: "t" })),
  cri: (line) => {
    const ps = parts(line);
    return ps.map((p, j) => `2026-11-29T10:00:00.1Z stdout ${j < ps.length - 1 ? "P" : "F"} ${p}`);
  },
};

async function requestIds(db: string): Promise<string[]> {
  const ix = openIndex(db);
  try {
    return Array.from(
      { length: ix.recordCount },
      (_, i) => recordEntry<{ request: { id: string } }>(ix.line(i)).request.id,
    );
  } finally {
    await ix.close();
  }
}

describe.each(Object.keys(FRAME))("%s: a record whose parts pass the limit", (name) => {
  const frame = FRAME[name]!;
  test.each([
    ["inside one chunk (the parse worker meets it)", 16 << 20, 180 << 10],
    ["longer than a chunk (the chunker meets it)", 64 << 10, 300 << 10],
  ])("%s is one bad line, and nothing else is lost", async (_what, chunkBytes, bigBytes) => {
    const dir = tempDir();
    const log = path.join(dir, "container.log");
    const db = path.join(dir, "db");
    const big = frame(entry("big", bigBytes));
    const near = frame(entry("near", MAX_LINE_BYTES - 8_000)); // under the limit: a record
    const lines = [
      ...frame(entry("a", 100)),
      ...near,
      ...big,
      ...frame(entry("b", 100)),
      "{not json",
      ...frame(entry("c", 100)),
    ];
    fs.writeFileSync(log, lines.join("\n") + "\n");
    const s = await indexFiles(db, [log], { workers: 1, chunkBytes, maxLineBytes: MAX_LINE_BYTES });
    const bigAt = 1 + near.length + 1;
    const bigBytesFramed = big.join("\n").length;
    expect(s.firstBadLines.map((b) => [b.line, b.reason])).toEqual([
      [
        bigAt,
        `a line split into ${big.length} parts (Docker or CRI) longer than 100 KiB (${bigBytesFramed} bytes), skipped`,
      ],
      [bigAt + big.length + 1, expect.stringMatching(/^not JSON/)],
    ]);
    expect(s).toMatchObject({ records: 4, badLines: 2 });
    expect(await requestIds(db)).toEqual(["a", "near", "b", "c"]);
  });
});
