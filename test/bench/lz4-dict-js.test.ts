// The plain-JS per-line LZ4 codec with a dictionary (bench/lz4-dict-js.ts, kept for comparison) against the oracle lz4-napi,
// both ways: what we compress, lz4-napi decompresses with the same dictionary, and what lz4-napi
// compresses, we decompress. Lines from the generator and the shared corpus, and odd ones (empty,
// 1-12 bytes, random bytes, long runs, > 64 KiB). Damaged input throws Lz4FormatError (a
// ChecksumError) or decodes to exactly the stated size; nothing else.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { ChecksumError } from "../../src/codec/checksum.js";
import {
  lineCompressor,
  lineDecompressor,
  Lz4FormatError,
  MAX_DICTIONARY_BYTES,
} from "../../bench/lz4-dict-js.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";
import { corpusLogs, noticeIfNoCorpus } from "../helpers/shared-corpus.js";

type Napi = {
  compressSync(data: Buffer, dict?: Buffer): Buffer;
  uncompressSync(data: Buffer, dict?: Buffer): Buffer;
};
const napi = createRequire(import.meta.url)("lz4-napi") as Napi;

noticeIfNoCorpus("lz4-dict");

const generated = [...generateAuditLines({ seed: 7, targetBytes: 600 << 10, salt: "s" })].map((l) =>
  Buffer.from(l, "utf8"),
);
const corpus = corpusLogs().flatMap((f) =>
  readFileSync(f, "latin1")
    .split("\n")
    .filter((l) => l.length > 0)
    .slice(0, 400)
    .map((l) => Buffer.from(l, "latin1")),
);

const random = mulberry32(99);
function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

const odd: Buffer[] = [
  Buffer.alloc(0),
  ...Array.from({ length: 13 }, (_, n) => Buffer.from("abcdefghijklm".slice(0, n))),
  Buffer.alloc(5000, 0x61),
  randomBytes(3000),
  Buffer.from('{"a":"' + "xy".repeat(40_000) + '"}'),
  Buffer.concat(generated.slice(0, 80)), // > 64 KiB of lines: matches only within the window
];

/** Dictionaries: none, one byte, the first lines of the log, and a full 64 KiB window (and more). */
const dictionaries: Record<string, Buffer> = Object.fromEntries([
  ["no", Buffer.alloc(0)],
  ["a 1-byte", Buffer.from("{")],
  ["a 4 KiB", Buffer.concat(generated.slice(0, 10)).subarray(0, 4096)],
  ["a 64 KiB", Buffer.concat(generated.slice(0, 100)).subarray(0, MAX_DICTIONARY_BYTES)],
  ["a 100 KiB (its last 64 KiB used)", Buffer.concat(generated.slice(0, 150)).subarray(0, 100_000)],
]);

const samples = [...generated.slice(100, 400), ...corpus, ...odd];

/** lz4-napi's layout: a u32 little-endian size, then the block. */
function withSize(block: Uint8Array, size: number): Buffer {
  const out = Buffer.alloc(4 + block.length);
  out.writeUInt32LE(size, 0);
  out.set(block, 4);
  return out;
}

// By name: vitest formats test.each's arguments, and formatting a 100 KiB buffer takes seconds.
test.each(Object.keys(dictionaries))(
  "with %s dictionary, lines round-trip and lz4-napi agrees both ways",
  (name) => {
    const dict = dictionaries[name]!;
    const window = dict.subarray(Math.max(0, dict.length - MAX_DICTIONARY_BYTES));
    const compressor = lineCompressor(dict);
    const decompressor = lineDecompressor(dict);
    let packed = 0;
    let raw = 0;
    const napiDict = window.length > 0 ? Buffer.from(window) : undefined;
    // Which lines fail which way, in one expect at the end: vitest's toEqual compares buffers
    // element by element, and per line it cost seconds.
    const failed: string[] = [];
    samples.forEach((line, n) => {
      const block = Buffer.from(compressor.compress(line, 0, line.length));
      packed += block.length;
      raw += line.length;
      if (!line.equals(decompressor.decompress(block, line.length))) failed.push(`${n} round trip`);
      // The oracle reads ours with the same dictionary...
      if (!line.equals(napi.uncompressSync(withSize(block, line.length), napiDict)))
        failed.push(`${n} lz4-napi reading ours`);
      // ... and we read the oracle's.
      if (line.length > 0) {
        const theirs = napiDict ? napi.compressSync(line, napiDict) : napi.compressSync(line);
        if (!line.equals(decompressor.decompress(theirs.subarray(4), line.length)))
          failed.push(`${n} ours reading lz4-napi's`);
      }
    });
    expect(failed).toEqual([]);
    // A line inside a larger source compresses the same as on its own.
    const source = Buffer.concat([Buffer.from("xx\n"), samples[0]!, Buffer.from("\nyy")]);
    const inside = Buffer.from(compressor.compress(source, 3, 3 + samples[0]!.length));
    expect(inside.equals(compressor.compress(samples[0]!, 0, samples[0]!.length))).toBe(true);
    expect(packed).toBeLessThan(raw);
  },
);

test("a dictionary of the log's own lines compresses its lines better than none", () => {
  const dict = Buffer.concat(generated.slice(0, 100)).subarray(0, MAX_DICTIONARY_BYTES);
  const size = (c: ReturnType<typeof lineCompressor>): number =>
    generated.slice(100, 400).reduce((n, l) => n + c.compress(l, 0, l.length).length, 0);
  expect(size(lineCompressor(dict))).toBeLessThan(0.75 * size(lineCompressor(Buffer.alloc(0))));
});

/** Decompress, and say what happened: the bytes, or the error's class. */
function attempt(dict: Uint8Array, block: Uint8Array, size: number): Buffer | string {
  try {
    return Buffer.from(lineDecompressor(dict).decompress(block, size));
  } catch (err) {
    if (err instanceof Lz4FormatError) return "Lz4FormatError";
    throw err;
  }
}

test("damaged blocks throw Lz4FormatError or decode to exactly the size asked, never more", () => {
  const dict = Buffer.concat(generated.slice(0, 60)).subarray(0, 32 << 10);
  const compressor = lineCompressor(dict);
  let errors = 0;
  for (const line of generated.slice(200, 230)) {
    const block = Buffer.from(compressor.compress(line, 0, line.length));
    // Every truncation.
    for (let cut = 0; cut < block.length; cut++) {
      const r = attempt(dict, block.subarray(0, cut), line.length);
      if (typeof r === "string") errors++;
      else expect(r.length).toBe(line.length);
    }
    // Random flips.
    for (let k = 0; k < 40; k++) {
      const bad = Buffer.from(block);
      const at = Math.floor(random() * bad.length);
      bad[at] = bad[at]! ^ (1 + Math.floor(random() * 255));
      const r = attempt(dict, bad, line.length);
      if (typeof r === "string") errors++;
      else expect(r.length).toBe(line.length);
    }
    // A wrong size either way.
    expect(attempt(dict, block, line.length + 1)).toBe("Lz4FormatError");
    expect(attempt(dict, block, line.length - 1)).toBe("Lz4FormatError");
    // Trailing bytes after the last sequence.
    expect(attempt(dict, Buffer.concat([block, Buffer.from([0])]), line.length)).toBe(
      "Lz4FormatError",
    );
  }
  expect(errors).toBeGreaterThan(30 * 30);
  expect(new Lz4FormatError("x")).toBeInstanceOf(ChecksumError);
});

test("a match reaching before the dictionary's start is an error, not a read outside", () => {
  // One literal, then a match 1,000 bytes back, with a 10-byte dictionary.
  const block = Buffer.from([0x10, 0x61, 0xe8, 0x03, 0x50, 0x61, 0x61, 0x61, 0x61, 0x61]);
  expect(attempt(Buffer.from("0123456789"), block, 1 + 4 + 5)).toBe("Lz4FormatError");
  // The same offset is fine once the dictionary reaches that far.
  const dict = Buffer.alloc(2000, 0x7a);
  expect(attempt(dict, block, 1 + 4 + 5)).toEqual(Buffer.from("azzzzaaaaa"));
  // A size no block of this length can produce.
  expect(attempt(dict, Buffer.from([0x00]), 1 << 20)).toBe("Lz4FormatError");
});

test("decoding may stop once the bytes wanted are out, and they are the right ones", () => {
  const dict = Buffer.concat(generated.slice(0, 60)).subarray(0, 32 << 10);
  const compressor = lineCompressor(dict);
  const decompressor = lineDecompressor(dict);
  const run = Buffer.concat(generated.slice(300, 302));
  const block = Buffer.from(compressor.compress(run, 0, run.length));
  let stoppedEarly = 0;
  for (const want of [0, 1, 100, generated[300]!.length, run.length - 1, run.length]) {
    const out = Buffer.from(decompressor.decompress(block, run.length, want));
    expect(out.length).toBeGreaterThanOrEqual(want);
    expect(out.length).toBeLessThanOrEqual(run.length);
    expect(out.equals(run.subarray(0, out.length))).toBe(true);
    if (out.length < run.length) stoppedEarly++;
  }
  expect(stoppedEarly).toBeGreaterThan(0);
});
