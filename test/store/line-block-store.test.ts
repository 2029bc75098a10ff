// Line blocks in the store (format 4): a large chunk's segment stores a dictionary beside its
// line blocks, a small one keeps part blocks; an index of format 3 (test/fixtures/index-v3-dff17fd)
// is read as it is, and indexing more into it restamps it 4 and adds line-block segments beside
// its part-block ones; every record reads back byte for byte. A damaged, missing or swapped
// dictionary is reported (damage, or the segment's custody digest), never answered from.
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { afterEach, expect, test } from "vitest";
import { writeAuditLog } from "../../src/demo/generate-log.js";
import { openIndex } from "../../src/index-api.js";
import { indexFiles } from "../../src/ingest/index-files.js";
import { checkCustody } from "../../src/evidence/custody-report.js";
import { blockKey, DICTIONARY_BLOCK, FORMAT_VERSION, INDEX_FILE } from "../../src/store/format.js";
import { IndexReader } from "../../src/store/index-reader.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import { isLineBlock, LINE_BLOCKS_FROM_BYTES } from "../../src/codec/record-block.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-line-store-");
const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/index-v3-dff17fd");
const closing: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
});

/** Every stored line, by id, as text. */
async function storedLines(db: string): Promise<string[]> {
  const ix = openIndex(db);
  try {
    return Array.from({ length: ix.recordCount }, (_, i) => ix.line(i).toString("utf8"));
  } finally {
    await ix.close();
  }
}

/** The index's LMDB databases (to look at keys, or to damage values as a disk would). */
function rawEnv(db: string) {
  const env = openIndexEnv(db, { create: false });
  closing.push(env);
  return env;
}

async function segmentKinds(
  db: string,
): Promise<{ id: number; lines: boolean; dictionary: boolean }[]> {
  const env = openIndexEnv(db, { create: false, readOnly: true });
  try {
    const reader = new IndexReader(env);
    return reader.segments.map((s) => ({
      id: s.id,
      lines: isLineBlock(env.blocks.getBinary(blockKey(s.id, 0))!),
      dictionary: env.blocks.getBinary(blockKey(s.id, DICTIONARY_BLOCK)) !== undefined,
    }));
  } finally {
    await env.close();
  }
}

async function generated(bytes: number, seed: number): Promise<{ log: string; lines: string[] }> {
  const log = path.join(tempDir(), `audit-${seed}.log`);
  await writeAuditLog(log, { seed, targetBytes: bytes, salt: "s" });
  return { log, lines: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

test("a large chunk's segment has line blocks and a dictionary; a small chunk's keeps parts", async () => {
  const big = await generated(3 << 20, 1);
  const small = await generated(100 << 10, 2);
  const db = path.join(tempDir(), "db");
  await indexFiles(db, [big.log, small.log], { workers: 2, chunkBytes: 1 << 20 });
  const kinds = await segmentKinds(db);
  // 1 MiB chunks of the big log (the last one maybe shorter), then the small log.
  expect(
    kinds.slice(0, 3).every((k) => k.lines && k.dictionary),
    JSON.stringify(kinds),
  ).toBe(true);
  expect(kinds.at(-1)).toMatchObject({ lines: false, dictionary: false });
  expect(await storedLines(db)).toEqual([...big.lines, ...small.lines]);
  expect(rawEnv(db).meta.get("format")).toBe(FORMAT_VERSION);
  expect(FORMAT_VERSION).toBe(4);
  expect(100 << 10).toBeLessThan(LINE_BLOCKS_FROM_BYTES);
});

test("a format 3 index is read as it is; indexing more restamps it 4, beside its part blocks", async () => {
  const db = path.join(tempDir(), "db");
  mkdirSync(db, { mode: 0o700 });
  copyFileSync(path.join(FIXTURE, INDEX_FILE), path.join(db, INDEX_FILE));
  chmodSync(path.join(db, INDEX_FILE), 0o600);
  const fixtureLines = [1, 2, 3].flatMap((i) =>
    gunzipSync(readFileSync(path.join(FIXTURE, `audit-${i}.log.gz`)))
      .toString("utf8")
      .split("\n")
      .filter(Boolean),
  );
  {
    const env = openIndexEnv(db, { create: false, readOnly: true });
    expect(env.meta.get("format")).toBe(3);
    await env.close();
  }
  expect(await storedLines(db)).toEqual(fixtureLines);

  const more = await generated(1 << 20, 3);
  await indexFiles(db, [more.log], { workers: 2 });
  const kinds = await segmentKinds(db);
  expect(kinds.slice(0, 3).every((k) => !k.lines && !k.dictionary)).toBe(true);
  expect(kinds.slice(3).every((k) => k.lines && k.dictionary)).toBe(true);
  expect(kinds.length).toBeGreaterThan(3);
  expect(await storedLines(db)).toEqual([...fixtureLines, ...more.lines]);
  expect(rawEnv(db).meta.get("format")).toBe(4);
});

test("a damaged or missing dictionary is damage that names it; a swapped one fails custody", async () => {
  const a = await generated(1 << 20, 4);
  const db = path.join(tempDir(), "db");
  await indexFiles(db, [a.log], { workers: 1, chunkBytes: 400 << 10 });
  const kinds = await segmentKinds(db);
  expect(
    kinds.slice(0, 2).every((k) => k.lines && k.dictionary),
    JSON.stringify(kinds),
  ).toBe(true);
  const [first, second] = kinds;
  const { blocks } = rawEnv(db);
  const dict0 = Buffer.from(blocks.getBinary(blockKey(first!.id, DICTIONARY_BLOCK))!);
  const dict1 = Buffer.from(blocks.getBinary(blockKey(second!.id, DICTIONARY_BLOCK))!);

  const readAll = async (): Promise<string> => {
    const env = openIndexEnv(db, { create: false, readOnly: true });
    try {
      const reader = new IndexReader(env);
      for (let i = 0; i < reader.recordCount; i++) reader.line(i);
      return "read";
    } catch (err) {
      return (err as Error).message;
    } finally {
      await env.close();
    }
  };
  const custody = async (): Promise<number[]> => {
    const env = openIndexEnv(db, { create: false, readOnly: true });
    try {
      return checkCustody(new IndexReader(env)).changedSegments.map((s) => s.id);
    } finally {
      await env.close();
    }
  };
  expect(await readAll()).toBe("read");
  expect(await custody()).toEqual([]);

  // A flipped byte: its CRC fails.
  const flipped = Buffer.from(dict0);
  flipped[1000] = flipped[1000]! ^ 4;
  blocks.putSync(blockKey(first!.id, DICTIONARY_BLOCK), flipped);
  expect(await readAll()).toMatch(new RegExp(`segment ${first!.id}'s dictionary .*checksum`));

  // Gone.
  blocks.removeSync(blockKey(first!.id, DICTIONARY_BLOCK));
  expect(await readAll()).toMatch(new RegExp(`segment ${first!.id}'s dictionary is missing`));

  // Another segment's (whole, checksummed) dictionary in its place: the segment's digest says so.
  blocks.putSync(blockKey(first!.id, DICTIONARY_BLOCK), dict1);
  expect(await custody()).toEqual([first!.id]);

  // Put back: all is well again.
  blocks.putSync(blockKey(first!.id, DICTIONARY_BLOCK), dict0);
  expect(await readAll()).toBe("read");
  expect(await custody()).toEqual([]);
});
