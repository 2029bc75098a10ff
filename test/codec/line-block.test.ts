// Line blocks (codec/record-block.ts): lines packed as they come into blocks that fill two LMDB
// overflow pages, each line compressed on its own against the segment's dictionary, read back
// byte for byte in any order; damage to a line, the header or the dictionary is a ChecksumError,
// never a wrong line.
import { expect, test } from "vitest";
import { ByteWriter } from "../../src/codec/byte-writer.js";
import { ChecksumError } from "../../src/codec/checksum.js";
import { lineCompressor } from "../../src/codec/lz4-dict.js";
import {
  chooseDictionary,
  dictionaryValue,
  encodeRecordBlock,
  isLineBlock,
  LINE_BLOCK_BYTES,
  LineBlockPacker,
  RecordBlock,
  SegmentDictionary,
} from "../../src/codec/record-block.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";

const lines = [...generateAuditLines({ seed: 3, targetBytes: 600 << 10, salt: "s" })];
/** The log as one source, with a long line (of random hex: LZ4 cannot shrink it much) and a
 * device prefix to skip in the middle. */
const hex = mulberry32(11);
const long = `{"type":"request","pad":"${Array.from({ length: 20_000 }, () => Math.floor(hex() * 16).toString(16)).join("")}"}`;
const all = [...lines.slice(0, 150), long, ...lines.slice(150)];
const source = Buffer.from(all.map((l, i) => (i === 7 ? `dev: ${l}` : l)).join("\r\n") + "\n");
const starts: number[] = [];
const ends: number[] = [];
{
  let at = 0;
  all.forEach((l, i) => {
    const skip = i === 7 ? 5 : 0;
    starts.push(at + skip);
    ends.push(at + skip + Buffer.byteLength(l));
    at += skip + Buffer.byteLength(l) + 2;
  });
}

/** The source packed: the stored blocks (bytes) and how many lines each holds. */
function pack(dict: Uint8Array): { blocks: Buffer[]; counts: number[] } {
  const out = new ByteWriter();
  const spans: [number, number, number][] = [];
  const packer = new LineBlockPacker(lineCompressor(dict), out, (o, l, n) => spans.push([o, l, n]));
  for (let i = 0; i < starts.length; i++) packer.add(source, starts[i]!, ends[i]!);
  packer.flush();
  const bytes = out.view();
  return {
    blocks: spans.map(([o, l]) => Buffer.from(bytes.subarray(o, o + l))),
    counts: spans.map(([, , n]) => n),
  };
}

const dict = chooseDictionary(source);
const dictionary = (): SegmentDictionary => new SegmentDictionary(dictionaryValue(dict));

test("lines come back byte for byte, in any order, from blocks that fill two overflow pages", () => {
  const { blocks, counts } = pack(dict);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(all.length);
  expect(blocks.length).toBeGreaterThan(10);
  const d = dictionary();
  const order: [number, number, number][] = [];
  let id = 0;
  blocks.forEach((b, k) => {
    expect(isLineBlock(b)).toBe(true);
    // Only a block of one line may pass the limit (the 20 KB line).
    if (counts[k]! > 1) expect(b.length).toBeLessThanOrEqual(LINE_BLOCK_BYTES);
    for (let i = 0; i < counts[k]!; i++) order.push([k, i, id++]);
  });
  expect(blocks.some((b, k) => counts[k] === 1 && b.length > LINE_BLOCK_BYTES)).toBe(true);
  const random = mulberry32(5);
  order.sort(() => random() - 0.5);
  const wrong: number[] = [];
  for (const [k, i, n] of order) {
    const block = new RecordBlock(blocks[k]!, d);
    expect(block.count).toBe(counts[k]);
    if (block.line(i).toString() !== all[n]) wrong.push(n);
  }
  expect(wrong).toEqual([]);
});

test("a block read through a function source decodes from the bytes the caller just read", () => {
  const { blocks, counts } = pack(dict);
  let reads = 0;
  const source = (): Buffer => {
    reads++;
    return blocks[1]!;
  };
  const block = new RecordBlock(source, dictionary, blocks[1]!);
  expect(block.line(2, blocks[1]!).toString()).toBe(all[counts[0]! + 2]);
  expect(reads).toBe(0);
  expect(block.line(3).toString()).toBe(all[counts[0]! + 3]);
  expect(reads).toBe(1);
});

test("a dictionary is the input's first bytes, at most 64 KiB and at most an eighth of it", () => {
  expect(chooseDictionary(source).length).toBe(64 << 10);
  expect(chooseDictionary(source.subarray(0, 80_000)).length).toBe(10_000);
  expect(Buffer.from(chooseDictionary(source)).equals(source.subarray(0, 64 << 10))).toBe(true);
});

test("a line block without its dictionary, or with a damaged one, is a ChecksumError", () => {
  const { blocks } = pack(dict);
  expect(() => new RecordBlock(blocks[0]!)).toThrow(ChecksumError);
  const value = dictionaryValue(dict);
  value[100] = value[100]! ^ 1;
  expect(() => new SegmentDictionary(value)).toThrow(ChecksumError);
  expect(() => new SegmentDictionary(Buffer.alloc(3))).toThrow(ChecksumError);
});

test("a flipped byte in a line fails that line's checksum; the block's other lines still read", () => {
  const { blocks, counts } = pack(dict);
  const d = dictionary();
  const b = Buffer.from(blocks[2]!);
  b[b.length - 3] = b[b.length - 3]! ^ 0x20; // inside the block's last line
  const block = new RecordBlock(b, d);
  const last = counts[2]! - 1;
  expect(() => block.line(last)).toThrow(/fails its checksum \(line \d+\)/);
  for (let i = 0; i < last; i++) expect(() => block.line(i)).not.toThrow();
  // A flip in the header (the line table) is caught when the block is opened.
  const h = Buffer.from(blocks[2]!);
  h[9] = h[9]! ^ 1;
  expect(() => new RecordBlock(h, d)).toThrow(/fails its checksum \(header\)/);
  // A block cut short says so.
  expect(() => new RecordBlock(blocks[2]!.subarray(0, blocks[2]!.length - 1), d)).toThrow(
    ChecksumError,
  );
});

test("part blocks are not line blocks and need no dictionary", () => {
  const block = encodeRecordBlock(source, starts.slice(0, 20), ends.slice(0, 20));
  expect(isLineBlock(block)).toBe(false);
  const read = new RecordBlock(block);
  expect(read.line(3).toString()).toBe(all[3]);
});
