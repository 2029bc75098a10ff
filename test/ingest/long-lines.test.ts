// indexFiles with lines longer than the limit (maxLineBytes, set small so the logs stay small):
// each is a bad line with its line number and length, its neighbours and the other files are
// indexed as the oracle says, and a rerun neither fails nor adds anything. Both ways a long line
// is met: inside a chunk (the worker measures it) and longer than a chunk (the chunker skips it);
// plain and gzip. A long last line with no newline may still be being written: reported, not
// consumed, and counted once when it ends.
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles, type IndexOptions } from "../../src/ingest/index-files.js";
import { scanLogs } from "../oracle/scan-log.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-long-lines-");
const MAX = 1 << 20;
const good = [...generateAuditLines({ seed: 7, targetBytes: 200_000, salt: "s" })];
const half = Math.floor(good.length / 2);

/** A valid audit entry of `bytes` bytes: only its length makes it bad. */
function longEntry(bytes: number): string {
  const head = '{"type":"request","request":{"id":"long","path":"secret/big"},"pad":"';
  return head + "a".repeat(bytes - head.length - 2) + '"}';
}

const text = (lines: readonly string[]): string => lines.map((l) => l + "\n").join("");

/** Records and bad lines of a log with the long line taken out, as the oracle reads it. */
function oracleWithout(lines: readonly string[], dir: string): string[] {
  const file = path.join(dir, "expected.log");
  writeFileSync(file, text(lines));
  return scanLogs([file]).records.map((r) => r.text);
}

async function indexedLines(db: string): Promise<string[]> {
  const ix = openIndex(db);
  try {
    return Array.from({ length: ix.recordCount }, (_, id) => ix.line(id).toString("utf8"));
  } finally {
    await ix.close();
  }
}

describe.each([
  // 3 MiB in 16 MiB chunks: the worker finds it; in 256 KiB chunks: the chunker skips it.
  { where: "inside a chunk", chunkBytes: undefined, gzip: false },
  { where: "inside a chunk", chunkBytes: undefined, gzip: true },
  { where: "longer than a chunk", chunkBytes: 256 << 10, gzip: false },
  { where: "longer than a chunk", chunkBytes: 256 << 10, gzip: true },
])("a line past the limit, $where, gzip: $gzip", ({ chunkBytes, gzip }) => {
  const opts: IndexOptions = { workers: 1, maxLineBytes: MAX, chunkBytes };

  test("is a bad line with its number; every other line of it and of the next file is indexed; a rerun adds nothing", async () => {
    const dir = tempDir();
    const long = longEntry(3 << 20);
    const lines = [...good.slice(0, half), long, ...good.slice(half)];
    const file = path.join(dir, gzip ? "audit.log.1.gz" : "audit.log");
    writeFileSync(file, gzip ? gzipSync(text(lines)) : text(lines));
    const other = path.join(dir, "other.log");
    writeFileSync(other, text(good.slice(0, 5).map((l) => l.replace(/"id":"/, '"id":"other-'))));
    const db = path.join(dir, "db");

    const first = await indexFiles(db, [file, other], opts);
    expect(first.fileErrors).toEqual([]);
    expect(first.firstBadLines).toEqual([
      {
        file,
        line: half + 1,
        reason: `line longer than 1 MiB (${long.length} bytes), skipped`,
      },
    ]);
    const expected = oracleWithout(good, dir);
    expect(first.records).toBe(expected.length + 5);
    const indexed = await indexedLines(db);
    expect(indexed.slice(0, expected.length)).toEqual(expected);
    expect(indexed.slice(expected.length)).toHaveLength(5);

    const again = await indexFiles(db, [file, other], opts);
    expect({ records: again.records, badLines: again.badLines, bytes: again.bytes }).toEqual({
      records: 0,
      badLines: 0,
      bytes: 0,
    });
    const ix = openIndex(db);
    try {
      const s = ix.stats({ badLines: true });
      expect(s.records).toBe(expected.length + 5);
      expect(s.badLineList).toEqual([
        { file, line: half + 1, reason: `line longer than 1 MiB (${long.length} bytes), skipped` },
      ]);
      // The long line is consumed: the file's progress is its whole content.
      expect(s.fileList.find((f) => f.path === file)).toMatchObject({
        lines: lines.length,
        bytes: Buffer.byteLength(text(lines)),
      });
    } finally {
      await ix.close();
    }
  });
});

describe.each([
  { where: "inside a chunk", chunkBytes: undefined },
  { where: "longer than a chunk", chunkBytes: 256 << 10 },
])("a long last line with no newline, $where", ({ chunkBytes }) => {
  test("is reported and left unconsumed; once its newline comes it is one bad line, and what follows is indexed", async () => {
    const dir = tempDir();
    const file = path.join(dir, "audit.log");
    const db = path.join(dir, "db");
    const opts: IndexOptions = { workers: 1, maxLineBytes: MAX, chunkBytes };
    const head = good.slice(0, 10);
    const long = longEntry(2 << 20);
    writeFileSync(file, text(head) + long.slice(0, 1_500_000));

    const first = await indexFiles(db, [file], opts);
    expect(first.records).toBe(10);
    expect(first.firstBadLines).toEqual([
      {
        file,
        line: 11,
        reason: "line longer than 1 MiB (1500000 bytes), skipped (last line, no newline)",
      },
    ]);

    appendFileSync(file, long.slice(1_500_000) + "\n" + text(good.slice(10, 20)));
    const second = await indexFiles(db, [file], opts);
    expect(second.records).toBe(10);
    expect(second.firstBadLines).toEqual([
      { file, line: 11, reason: `line longer than 1 MiB (${long.length} bytes), skipped` },
    ]);
    expect(await indexedLines(db)).toEqual(oracleWithout(good.slice(0, 20), dir));
    const ix = openIndex(db);
    try {
      expect(ix.stats({ badLines: true }).badLineList).toHaveLength(1);
    } finally {
      await ix.close();
    }
  });
});
