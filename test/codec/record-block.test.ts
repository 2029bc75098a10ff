// Record blocks give back each line byte for byte, whatever lies between the lines in the source
// (newlines, CRs, device prefixes), and a damaged block says so (ChecksumError) rather than give
// back a wrong line.
import { expect, test } from "vitest";
import { ByteWriter } from "../../src/codec/byte-writer.js";
import { ChecksumError } from "../../src/codec/checksum.js";
import {
  appendRecordBlock,
  encodeRecordBlock,
  PART_BYTES,
  RecordBlock,
} from "../../src/codec/record-block.js";

test("every line of a block comes back byte for byte", () => {
  const lines = [
    '{"type":"request"}',
    'prefix:{"type":"response","x":"é"}',
    '{"type":"a","b":[1,2]}',
  ];
  const source = Buffer.from(lines.join("\r\n") + "\n", "utf8");
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const l of lines) {
    const len = Buffer.byteLength(l);
    const skip = l.startsWith("prefix:") ? 7 : 0; // stored without the prefix
    starts.push(at + skip);
    ends.push(at + len);
    at += len + 2;
  }
  const block = new RecordBlock(encodeRecordBlock(source, starts, ends));
  expect(block.count).toBe(3);
  expect(block.line(0).toString()).toBe(lines[0]);
  expect(block.line(1).toString()).toBe('{"type":"response","x":"é"}');
  expect(block.line(2).toString()).toBe(lines[2]);
});

/** `n` lines of varied length, newline-separated in one source buffer, with their spans. */
function manyLines(n: number) {
  const lines = Array.from(
    { length: n },
    (_, i) => `{"type":"request","n":${i},"pad":"${"x".repeat((i * 7919) % 1500)}"}`,
  );
  const source = Buffer.from(lines.join("\n") + "\n", "utf8");
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    ends.push(at + l.length);
    at += l.length + 1;
  }
  return { lines, source, starts, ends };
}

test.each([1, 2, 17, 300])(
  "a block of %i lines (one part or several) gives every line back, read in any order",
  (n) => {
    const { lines, source, starts, ends } = manyLines(n);
    const encoded = encodeRecordBlock(source, starts, ends);
    const partCount = encoded.readUInt32BE(0);
    const textBytes = ends[n - 1]! - starts[0]!;
    // Parts are about PART_BYTES of text each: a 300-line block has several.
    if (n === 300) {
      expect(partCount).toBeGreaterThan(1);
      expect(partCount).toBeLessThanOrEqual(Math.ceil(textBytes / PART_BYTES));
    } else {
      expect(partCount).toBe(1);
    }
    const block = new RecordBlock(encoded);
    expect(block.count).toBe(n);
    const order = Array.from({ length: n }, (_, i) => (i * 37) % n);
    for (const i of order) expect(block.line(i).toString()).toBe(lines[i]);
  },
);

test("a block given a reader reads the bytes again for each part, so a reused buffer is fine", () => {
  const { lines, source, starts, ends } = manyLines(300);
  const encoded = encodeRecordBlock(source, starts, ends);
  const partCount = encoded.readUInt32BE(0);
  // Like LMDB's getBinaryFast: one shared buffer, overwritten by every read (here: with junk
  // first, then the block), so bytes kept from an earlier read would be wrong.
  const shared = Buffer.alloc(encoded.length);
  let reads = 0;
  const block = new RecordBlock(() => {
    reads++;
    shared.fill(0x55);
    encoded.copy(shared);
    return shared;
  });
  expect(block.count).toBe(300);
  expect(reads).toBe(1); // the header, at construction
  shared.fill(0x55);
  expect(block.line(299).toString()).toBe(lines[299]);
  expect(block.line(0).toString()).toBe(lines[0]);
  expect(block.line(1).toString()).toBe(lines[1]); // part 0 again: already decompressed
  expect(reads).toBe(3);
  for (let i = 0; i < 300; i++) expect(block.line(i).toString()).toBe(lines[i]);
  expect(reads).toBe(1 + partCount);
});

test("blocks appended to one buffer after other bytes are the blocks encoded alone", () => {
  const a = manyLines(300);
  const b = manyLines(5);
  const out = new ByteWriter(16);
  out.bytes(Buffer.from("header bytes the block must not touch"));
  const atA = out.length;
  const lengthA = appendRecordBlock(out, a.source, a.starts, a.ends);
  const atB = out.length;
  const lengthB = appendRecordBlock(out, b.source, b.starts, b.ends);
  const all = Buffer.from(out.view());
  expect(all.subarray(0, atA).toString()).toBe("header bytes the block must not touch");
  expect(all.subarray(atA, atA + lengthA)).toEqual(encodeRecordBlock(a.source, a.starts, a.ends));
  expect(all.subarray(atB, atB + lengthB)).toEqual(encodeRecordBlock(b.source, b.starts, b.ends));
  expect(atB + lengthB).toBe(all.length);
  const block = new RecordBlock(all.subarray(atA, atA + lengthA));
  for (let i = 0; i < 300; i++) expect(block.line(i).toString()).toBe(a.lines[i]);
});

test("a flipped byte anywhere in a block is a ChecksumError when read, never another line", () => {
  // Lines of mixed lengths over two or more parts, so part tables and part bytes are both hit.
  const { lines, source, starts, ends } = manyLines(60);
  const encoded = encodeRecordBlock(source, starts, ends);
  expect(encoded.readUInt32BE(0)).toBeGreaterThan(1);
  let failed = 0;
  for (let at = 0; at < encoded.length; at++) {
    const damaged = Buffer.from(encoded);
    damaged[at]! ^= 0x10;
    try {
      const block = new RecordBlock(damaged);
      for (let i = 0; i < lines.length; i++) expect(block.line(i).toString()).toBe(lines[i]);
    } catch (err) {
      expect(err).toBeInstanceOf(ChecksumError);
      failed++;
      continue;
    }
    throw new Error(`a flip at byte ${at} of ${encoded.length} went unnoticed`);
  }
  expect(failed).toBe(encoded.length);
});

test("a block cut short or padded is a ChecksumError", () => {
  const { source, starts, ends } = manyLines(60);
  const encoded = encodeRecordBlock(source, starts, ends);
  for (const bytes of [
    encoded.subarray(0, encoded.length - 1),
    encoded.subarray(0, 11),
    Buffer.concat([encoded, Buffer.from([0])]),
  ]) {
    expect(() => new RecordBlock(bytes)).toThrow(ChecksumError);
  }
});
