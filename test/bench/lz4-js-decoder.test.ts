// Lz4Decoder gives back exactly what lz4-napi's uncompressSync gives, for random data and for the
// parts of real record blocks, whether decoded in one go or stopped early and resumed; and any
// input that is not a whole valid block (every truncation of a real part, random damage) throws
// Lz4FormatError (a ChecksumError, so the store reports a damaged index), never another error
// and never more bytes than the block states.
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import { ChecksumError } from "../../src/codec/checksum.js";
import { Lz4Decoder, Lz4FormatError } from "../../bench/lz4-js-decoder.js";
import { encodeRecordBlock } from "../../src/codec/record-block.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";

type Lz4 = { compressSync(data: Buffer): Buffer; uncompressSync(data: Buffer): Buffer };
const lz4 = createRequire(import.meta.url)("lz4-napi") as Lz4;

/** `size` bytes from `random`: from an alphabet of `symbols` letters, in runs of up to `run`. */
function randomBytes(random: () => number, size: number, symbols: number, run: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size;) {
    const byte = Math.floor(random() * symbols);
    const n = 1 + Math.floor(random() * run);
    for (let k = 0; k < n && i < size; k++) out[i++] = byte;
  }
  return out;
}

/** The compressed parts of record blocks made from generated audit lines (about 400 KB). */
function realParts(): Buffer[] {
  const lines = [...generateAuditLines({ seed: 3, targetBytes: 400_000, salt: "s" })];
  const source = Buffer.from(lines.join("\n"), "utf8");
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    at += Buffer.byteLength(l);
    ends.push(at);
    at += 1;
  }
  const parts: Buffer[] = [];
  // Blocks of 60 lines: each has several parts. Layout (codec/record-block.ts): u32 partCount,
  // u32 lineCount, per part (u32 firstLine, u32 compressedEnd, u32 crc), u32 headerCrc, parts.
  for (let from = 0; from < lines.length; from += 60) {
    const to = Math.min(from + 60, lines.length);
    const block = encodeRecordBlock(source, starts.slice(from, to), ends.slice(from, to));
    const partCount = block.readUInt32BE(0);
    const header = 12 + 12 * partCount;
    let start = header;
    for (let p = 0; p < partCount; p++) {
      const end = header + block.readUInt32BE(12 + 12 * p);
      parts.push(block.subarray(start, end));
      start = end;
    }
  }
  return parts;
}

/** The whole block decoded by `decoder`, copied out. */
function decodeAll(decoder: Lz4Decoder, compressed: Uint8Array): Buffer {
  decoder.begin(compressed);
  decoder.decodeTo(compressed, Infinity);
  expect(decoder.produced).toBe(decoder.size);
  return Buffer.from(decoder.out.subarray(0, decoder.produced));
}

const parts = realParts();

describe("decodes what lz4-napi decodes", () => {
  test.each([
    // [size, alphabet, longest run]: incompressible, text-like, long runs (overlapping matches,
    // length bytes of 255), and sizes around the 15-literal and 4-byte-match boundaries.
    [0, 256, 1],
    [1, 256, 1],
    [15, 4, 1],
    [16, 4, 30],
    [19, 2, 300],
    [1000, 256, 1],
    [4096, 16, 3],
    [70_000, 8, 2],
    [100_000, 3, 5000],
  ])("random data: %i bytes from %i symbols in runs of up to %i", (size, symbols, run) => {
    const random = mulberry32(size + symbols);
    const decoder = new Lz4Decoder(16); // starts small: begin must grow its buffer
    for (let round = 0; round < 5; round++) {
      const data = randomBytes(random, size, symbols, run);
      const compressed = lz4.compressSync(data);
      expect(decodeAll(decoder, compressed).equals(lz4.uncompressSync(compressed))).toBe(true);
      expect(decodeAll(decoder, compressed).equals(data)).toBe(true);
    }
  });

  test("every part of real record blocks, in one go and stopped early then resumed", () => {
    expect(parts.length).toBeGreaterThan(20);
    const decoder = new Lz4Decoder();
    const random = mulberry32(5);
    let steps = 0;
    for (const part of parts) {
      const want = lz4.uncompressSync(part);
      expect(decodeAll(decoder, part).equals(want)).toBe(true);
      // Resumed in random steps from a copy of the bytes (as the store re-reads them from LMDB).
      decoder.begin(part);
      while (decoder.produced < decoder.size) {
        const target = decoder.produced + 1 + Math.floor(random() * 3000);
        decoder.decodeTo(Buffer.from(part), target);
        expect(decoder.produced).toBeGreaterThanOrEqual(Math.min(target, decoder.size));
        expect(
          decoder.out.subarray(0, decoder.produced).equals(want.subarray(0, decoder.produced)),
        ).toBe(true);
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(2 * parts.length);
  });

  test("stops soon after the wanted byte instead of decoding the whole part", () => {
    const decoder = new Lz4Decoder();
    const part = parts[0]!;
    decoder.begin(part);
    decoder.decodeTo(part, 100);
    expect(decoder.size).toBeGreaterThan(8000);
    expect(decoder.produced).toBeGreaterThanOrEqual(100);
    expect(decoder.produced).toBeLessThan(decoder.size / 2);
  });
});

describe("bad input throws Lz4FormatError, never another error", () => {
  /** Decode `bytes` fully; the error it threw, or undefined. */
  function failure(decoder: Lz4Decoder, bytes: Uint8Array): unknown {
    try {
      decoder.begin(bytes);
      decoder.decodeTo(bytes, Infinity);
      expect(decoder.produced).toBe(decoder.size);
      expect(decoder.produced).toBeLessThanOrEqual(decoder.out.length);
      return undefined;
    } catch (err) {
      return err;
    }
  }

  test("every truncation of real parts", () => {
    const decoder = new Lz4Decoder();
    for (const part of parts.slice(0, 8)) {
      for (let length = 0; length < part.length; length++) {
        const err = failure(decoder, part.subarray(0, length));
        expect(err, `truncated to ${length} of ${part.length}`).toBeInstanceOf(Lz4FormatError);
      }
    }
  });

  test("a ChecksumError, so a damaged index is reported as one", () => {
    const err = failure(new Lz4Decoder(), parts[0]!.subarray(0, 100));
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as Error).message).toMatch(/^is not a valid LZ4 block \(.+\)$/);
  });

  // Each case is a valid block but for the one fault named, so the check for it is what throws.
  const [b, c, d, e, f] = [98, 99, 100, 101, 102];
  test.each([
    ["a match offset of 0", [9, 0, 0, 0, 0x10, 97, 0, 0, 0x40, b, c, d, e], /offset 0 /],
    [
      "a match before the output's start",
      [10, 0, 0, 0, 0x10, 97, 2, 0, 0x50, b, c, d, e, f],
      /offset 2 /,
    ],
    ["more literals than bytes", [3, 0, 0, 0, 0x40, 97, b], /4 literals/],
    ["more literals than the stated size", [1, 0, 0, 0, 0x20, 97, b], /2 literals/],
    ["a match past the stated size", [4, 0, 0, 0, 0x10, 97, 1, 0, 0x00], /match of 4 bytes/],
    ["a block ending in a match", [5, 0, 0, 0, 0x10, 97, 1, 0], /not an empty last sequence/],
    ["bytes left after the stated size", [5, 0, 0, 0, 0x10, 97, 1, 0, 0x10, 99], /2 bytes, not/],
    ["a size no block of its length can hold", [0, 0, 0, 1, 0x10, 97], /more than 6/],
    ["a size prefix alone", [0, 0, 0, 0], /4 bytes, too short/],
  ])("%s", (_what, bytes, message) => {
    const err = failure(new Lz4Decoder(), Uint8Array.from(bytes as number[]));
    expect(err).toBeInstanceOf(Lz4FormatError);
    expect((err as Error).message).toMatch(message as RegExp);
  });

  test("random damage to real parts: a whole block of the stated size, or Lz4FormatError", () => {
    const random = mulberry32(9);
    const decoder = new Lz4Decoder();
    let failed = 0;
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(parts[round % parts.length]!);
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const err = failure(decoder, bytes);
      if (err !== undefined) {
        expect(err).toBeInstanceOf(Lz4FormatError);
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(0);
  });
});
