// A damaged index (index.mdb cut short, bytes flipped in a record block, a term page, a metadata
// record, or anywhere at random) is an input error: exit 3, "the index at DIR is damaged: <which
// part>" and a hint to rebuild. Never a signal, never an internal error (70), never a wrong answer
// with exit 0; and `index` / `listen` refuse to write into an index whose damage they can see.
// The built bin on real indexes it built, damaged by editing index.mdb's bytes in place.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { open } from "lmdb";
import { beforeAll, describe, expect, test } from "vitest";
import { fieldByName } from "../../src/audit/field-catalog.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";
import { blockKey, DIRECTORY_PAGE, termPageKey } from "../../src/store/format.js";
import { ensureBuilt, finishBin, runBin, startBin, type BinResult } from "../helpers/run-bin.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tempDir = tempDirs("bg-e2e-damage-");

/** Reads every ip term page (a dictionary scan) and nearly every record block (its output). */
const QUERY = "exists ip";
const IP_CODE = fieldByName("ip")!.code;

let small: { db: string; answer: string; moreLog: string };
let large: { db: string; answer: string };

function writeLog(file: string, lines: readonly string[]): string {
  writeFileSync(file, lines.map((l) => l + "\n").join(""));
  return file;
}

async function bin(args: readonly string[]): Promise<BinResult> {
  return runBin(args, { HOME: tempDir() });
}

beforeAll(async () => {
  await ensureBuilt();
  const dir = tempDir();
  const lines = [...generateAuditLines({ seed: 21, targetBytes: 1_500_000, salt: "s" })];
  const third = Math.floor(lines.length / 3);
  // Three files, so three segments; one bad line, so a bad-line record.
  const a = writeLog(path.join(dir, "a.log"), [
    ...lines.slice(0, 10),
    "not json",
    ...lines.slice(10, third),
  ]);
  const b = writeLog(path.join(dir, "b.log"), lines.slice(third, 2 * third));
  const more = writeLog(path.join(dir, "c.log"), lines.slice(2 * third));
  const db = path.join(dir, "db");
  expect((await bin(["index", "--db", db, a, b])).code).toBe(0);
  const r = await bin(["query", "--db", db, QUERY]);
  expect(r.code).toBe(0);
  small = { db, answer: r.stdout, moreLog: more };

  // One segment of more than 8,192 records: a query with no index scans it in the workers.
  const big = writeLog(path.join(dir, "big.log"), [
    ...generateAuditLines({ seed: 22, targetBytes: 11_000_000, salt: "s" }),
  ]);
  const bigDb = path.join(dir, "big-db");
  expect((await bin(["index", "--db", bigDb, big])).code).toBe(0);
  const scan = await bin(["query", "--db", bigDb, SCAN_QUERY]);
  expect(scan.code).toBe(0);
  large = { db: bigDb, answer: scan.stdout };
}, 300_000);

/** A predicate with no index: answered by the scan workers on a large segment. */
const SCAN_QUERY = "not exists response.data | count";

/** A fresh copy of an index directory (index.mdb only: LMDB makes the lock file). */
function copyOf(db: string): string {
  const to = path.join(tempDir(), "db");
  mkdirSync(to);
  copyFileSync(path.join(db, "index.mdb"), path.join(to, "index.mdb"));
  return to;
}

const mdb = (db: string): string => path.join(db, "index.mdb");
const sha256 = (file: string): string =>
  createHash("sha256").update(readFileSync(file)).digest("hex");

function expectDamaged(r: BinResult, part?: RegExp): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toMatch(/^breakglass: the index at .+ is damaged: /m);
  expect(r.stderr).toMatch(/^hint: rebuild it/m);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  if (part) expect(r.stderr).toMatch(part);
}

/** The value stored under `key` in the named database, read with lmdb itself. */
function storedValue(db: string, name: string, key: Buffer | number | string): Buffer {
  const root = open({ path: mdb(db), readOnly: true });
  try {
    const keyEncoding =
      typeof key === "number" ? "uint32" : typeof key === "string" ? "ordered-binary" : "binary";
    const value = root
      .openDB<Buffer, Buffer | number | string>(name, {
        keyEncoding,
        encoding: "binary",
      })
      .getBinary(key);
    if (!value) throw new Error(`no ${name} value under ${String(key)}`);
    return Buffer.from(value);
  } finally {
    void root.close();
  }
}

/**
 * Flip one byte `at` bytes into every copy of `value` in index.mdb (LMDB leaves stale copies of
 * rewritten pages in free pages; the live one is among them). Returns how many were flipped.
 */
function flipInValue(db: string, value: Buffer, at: number): number {
  const bytes = readFileSync(mdb(db));
  let n = 0;
  for (let i = bytes.indexOf(value); i >= 0; i = bytes.indexOf(value, i + 1)) {
    bytes[i + at]! ^= 0x20;
    n++;
  }
  writeFileSync(mdb(db), bytes);
  return n;
}

describe("a truncated index.mdb", () => {
  const size = (db: string): number => readFileSync(mdb(db)).length;

  test.each([
    ["to half its size", (n: number) => Math.floor(n / 2)],
    ["by one page", (n: number) => n - 4096],
    ["to one page", () => 4096],
    ["to nothing", () => 0],
  ])("cut %s: query and stats exit 3 with the damaged message, not a signal", async (_n, cut) => {
    const db = copyOf(small.db);
    truncateSync(mdb(db), cut(size(db)));
    expectDamaged(await bin(["query", "--db", db, QUERY]));
    expectDamaged(await bin(["stats", "--db", db]));
  });

  test("index refuses to write into it: exit 3 and index.mdb unchanged", async () => {
    const db = copyOf(small.db);
    truncateSync(mdb(db), Math.floor(size(db) / 2));
    const before = sha256(mdb(db));
    expectDamaged(await bin(["index", "--db", db, small.moreLog]), /truncated/);
    expect(sha256(mdb(db))).toBe(before);
  });

  test("listen refuses to open it: exit 3 and index.mdb unchanged", async () => {
    const db = copyOf(small.db);
    truncateSync(mdb(db), Math.floor(size(db) / 2));
    const before = sha256(mdb(db));
    const child = startBin(["listen", "--db", db, "--tcp", "127.0.0.1:0"], { HOME: tempDir() });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const r = await finishBin(child);
    clearTimeout(timer);
    expectDamaged(r, /truncated/);
    expect(sha256(mdb(db))).toBe(before);
  });
});

describe("a flipped byte", () => {
  test("in a record block: the query that reads it exits 3 naming the block", async () => {
    const db = copyOf(small.db);
    const value = storedValue(db, "blocks", blockKey(0, 0));
    expect(flipInValue(db, value, Math.floor(value.length / 2))).toBeGreaterThan(0);
    expectDamaged(
      await bin(["query", "--db", db, QUERY]),
      /segment 0's record block 0 fails its checksum/,
    );
  });

  test("in a term page: the lookup that reads it exits 3 naming the page and field", async () => {
    const db = copyOf(small.db);
    const value = storedValue(db, "terms", termPageKey(IP_CODE, 0, 0));
    expect(flipInValue(db, value, Math.floor(value.length / 2))).toBeGreaterThan(0);
    expectDamaged(
      await bin(["query", "--db", db, QUERY]),
      /segment 0's term page 0 for ip fails its checksum/,
    );
  });

  test("in a term directory: exits 3 naming it", async () => {
    const db = copyOf(small.db);
    const value = storedValue(db, "terms", termPageKey(IP_CODE, 1, DIRECTORY_PAGE));
    expect(flipInValue(db, value, 2)).toBeGreaterThan(0);
    expectDamaged(
      await bin(["query", "--db", db, "ip = 10.103.9.43 | count"]),
      /segment \d+'s term directory for ip fails its checksum/,
    );
  });

  test("in a segment's record: query, stats and index exit 3; index writes nothing", async () => {
    const db = copyOf(small.db);
    const value = storedValue(db, "segments", 1);
    expect(flipInValue(db, value, value.indexOf('"base"') + 8)).toBeGreaterThan(0);
    const part = /segment 1's record fails its checksum/;
    expectDamaged(await bin(["query", "--db", db, QUERY]), part);
    expectDamaged(await bin(["stats", "--db", db]), part);
    const before = sha256(mdb(db));
    expectDamaged(await bin(["index", "--db", db, small.moreLog]), part);
    expect(sha256(mdb(db))).toBe(before);
  });

  test("in a file's record: stats and index exit 3 naming it", async () => {
    const db = copyOf(small.db);
    const value = storedValue(db, "files", 0);
    expect(flipInValue(db, value, value.indexOf('"doneLines"') + 12)).toBeGreaterThan(0);
    const part = /file 0's record fails its checksum/;
    expectDamaged(await bin(["stats", "--db", db]), part);
    const before = sha256(mdb(db));
    expectDamaged(await bin(["index", "--db", db, small.moreLog]), part);
    expect(sha256(mdb(db))).toBe(before);
  });

  test("in the id counters: index exits 3 and writes nothing", async () => {
    const db = copyOf(small.db);
    const value = storedValue(db, "meta", "next");
    expect(flipInValue(db, value, value.length - 3)).toBeGreaterThan(0);
    const before = sha256(mdb(db));
    expectDamaged(
      await bin(["index", "--db", db, small.moreLog]),
      /the id counters record fails its checksum/,
    );
    expect(sha256(mdb(db))).toBe(before);
  });

  test("in a bad line's record: stats --bad-lines exits 3 naming it", async () => {
    const db = copyOf(small.db);
    const key = Buffer.alloc(8);
    key.writeUInt32BE(11, 4); // file 0, line 11: the "not json" line
    const value = storedValue(db, "bad", key);
    expect(flipInValue(db, value, value.length - 2)).toBeGreaterThan(0);
    expectDamaged(
      await bin(["stats", "--db", db, "--bad-lines"]),
      /the bad-line record of file 0 line 11 fails its checksum/,
    );
  });

  test("in LMDB's meta page: every command exits 3 before LMDB maps the file", async () => {
    const db = copyOf(small.db);
    const bytes = readFileSync(mdb(db));
    bytes[4096 + 24]! ^= 0xff; // meta page 1's magic number
    writeFileSync(mdb(db), bytes);
    const part = /meta page 1 lacks LMDB's magic number/;
    expectDamaged(await bin(["query", "--db", db, QUERY]), part);
    expectDamaged(await bin(["index", "--db", db, small.moreLog]), part);
  });

  test("in a block read by the scan workers: exit 3 naming the block, not a worker crash", async () => {
    const db = copyOf(large.db);
    const value = storedValue(db, "blocks", blockKey(0, 3));
    expect(flipInValue(db, value, value.length - 100)).toBeGreaterThan(0);
    expectDamaged(
      await bin(["query", "--db", db, SCAN_QUERY]),
      /segment 0's record block 3 fails its checksum \(part \d+\)/,
    );
  });
});

/**
 * The byte ranges of index.mdb that hold stored values rather than LMDB's own structure: the
 * bodies of overflow pages (values over ~2 KiB: record blocks, most term pages) and the data of
 * leaf nodes (smaller values: metadata records, small term pages). Page layout from liblmdb's
 * mdb.c (64-bit, little-endian): a 24-byte header (u16 flags at 18; u16 lower at 20, or u32
 * overflow page count); a leaf's node offsets follow it, each node (+24) is u16 size lo, u16 size
 * hi, u16 flags (1: on overflow pages, 2: a database record), u16 key size, key, data.
 */
function valueRanges(bytes: Buffer): [number, number][] {
  const PAGE = 4096;
  const ranges: [number, number][] = [];
  for (let page = 2; page * PAGE < bytes.length;) {
    const at = page * PAGE;
    const flags = bytes.readUInt16LE(at + 18);
    if (flags & 0x04) {
      const pages = bytes.readUInt32LE(at + 20);
      ranges.push([at + 24, Math.min(bytes.length, (page + pages) * PAGE)]);
      page += Math.max(1, pages);
      continue;
    }
    if (flags === 0x02) {
      const keys = bytes.readUInt16LE(at + 20) >> 1;
      for (let i = 0; i < keys; i++) {
        const node = at + 24 + bytes.readUInt16LE(at + 24 + 2 * i);
        const size = bytes.readUInt16LE(node) | (bytes.readUInt16LE(node + 2) << 16);
        const nodeFlags = bytes.readUInt16LE(node + 4);
        const data = node + 8 + bytes.readUInt16LE(node + 6);
        if ((nodeFlags & 0x03) === 0 && size > 0) ranges.push([data, data + size]);
      }
    }
    page++;
  }
  return ranges;
}

describe("random flips in the stored values", () => {
  // Bounded: each trial is one run of the bin on a fresh copy of the small index. Flips land in
  // values only: a flip in LMDB's own b-tree structure can still crash LMDB (a known limit).
  const TRIALS = 30;

  test(`${TRIALS} damaged copies each answer correctly or exit 3 with the damaged message`, async () => {
    const original = readFileSync(mdb(small.db));
    const ranges = valueRanges(original);
    const valueBytes = ranges.reduce((n, [a, b]) => n + b - a, 0);
    expect(valueBytes).toBeGreaterThan(original.length / 2);
    /** The valueBytes-th byte of the values, as a file offset. */
    const offsetOf = (n: number): number => {
      for (const [a, b] of ranges) {
        if (n < b - a) return a + n;
        n -= b - a;
      }
      throw new RangeError(String(n));
    };
    const random = mulberry32(2024);
    const outcomes = { correct: 0, damaged: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const db = copyOf(small.db);
      const bytes = Buffer.from(original);
      const flips: number[] = [];
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        const at = offsetOf(Math.floor(random() * valueBytes));
        bytes[at]! ^= 1 + Math.floor(random() * 255);
        flips.push(at);
      }
      writeFileSync(mdb(db), bytes);
      const r = await bin(["query", "--db", db, QUERY]);
      const where = `trial ${trial}, bytes flipped at ${flips.join(", ")}: exit ${r.code} ${r.signal ?? ""} ${r.stderr}`;
      expect(r.signal, where).toBeNull();
      if (r.code === 0) {
        expect(r.stdout === small.answer, where).toBe(true);
        outcomes.correct++;
      } else {
        expect(r.code, where).toBe(3);
        expect(r.stderr, where).toMatch(/the index at .+ is damaged: /);
        outcomes.damaged++;
      }
    }
    // Most flips land in a value the query reads (the record blocks and ip pages are most of it).
    expect(outcomes.damaged).toBeGreaterThan(TRIALS / 4);
  }, 600_000);
});
