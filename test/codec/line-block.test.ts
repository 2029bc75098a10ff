// Line blocks (codec/record-block.ts): lines packed as they come into blocks that fill two LMDB
// overflow pages, each line compressed on its own against the segment's dictionary, read back
// byte for byte in any order; damage to a line, the header or the dictionary is a ChecksumError,
// never a wrong line.
import { expect, test } from "vitest";
import { ByteWriter } from "../../src/codec/byte-writer.js";
import { ChecksumError } from "../../src/codec/checksum.js";
import { lineCompressor } from "../../src/codec/lz4-dict-wasm.js";
import {
  chooseDictionary,
  dictionaryValue,
  encodeRecordBlock,
  isLineBlock,
  LINE_BLOCK_BYTES,
  LineBlockPacker,
  RecordBlock,
  RUN_LINES,
  SegmentDictionary,
} from "../../src/codec/record-block.js";
import { generateAuditLines } from "../../src/demo/generate-log.js";
import { mulberry32 } from "../../src/demo/seeded-random.js";

const lines = [...generateAuditLines({ seed: 3, targetBytes: 600 << 10, salt: "s" })];
/** The log as one source, with a long line (of random hex: LZ4 cannot shrink it much) and a
 * device prefix to skip in the middle. */
const hex = mulberry32(11);
const long = `{"type":"request","pad":"${Array.from({ length: 200_000 }, () => Math.floor(hex() * 16).toString(16)).join("")}"}`;
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

test("lines come back byte for byte, in any order, from runs in blocks that fill two overflow pages", () => {
  const { blocks, counts } = pack(dict);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(all.length);
  expect(blocks.length).toBeGreaterThan(10);
  const d = dictionary();
  const order: [number, number, number][] = [];
  let id = 0;
  blocks.forEach((b, k) => {
    expect(isLineBlock(b)).toBe(true);
    // Only a block of one run may pass the limit (the run with the 200 KB line).
    if (counts[k]! > RUN_LINES) expect(b.length).toBeLessThanOrEqual(LINE_BLOCK_BYTES);
    for (let i = 0; i < counts[k]!; i++) order.push([k, i, id++]);
  });
  expect(blocks.some((b, k) => counts[k]! <= RUN_LINES && b.length > LINE_BLOCK_BYTES)).toBe(true);
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
  expect(block.line(4).toString()).toBe(all[counts[0]! + 4]);
  expect(reads).toBe(1);
});

test("lines read in order decode each run once, and stay good while later runs are read", () => {
  const { blocks, counts } = pack(dict);
  let reads = 0;
  const block = new RecordBlock(() => {
    reads++;
    return blocks[3]!;
  }, dictionary);
  reads = 0;
  const first = counts[0]! + counts[1]! + counts[2]!;
  const lines = Array.from({ length: block.count }, (_, i) => block.line(i));
  expect(lines.map((l) => l.toString())).toEqual(all.slice(first, first + block.count));
  // One source read a run: the second line of each run came from the run already decoded.
  expect(reads).toBe(Math.ceil(block.count / RUN_LINES));
  // The two lines of a run are side by side in the one copy of it.
  expect(lines[0]!.buffer).toBe(lines[1]!.buffer);
  expect(lines[1]!.byteOffset).toBe(lines[0]!.byteOffset + lines[0]!.length);
});

test("a dictionary is whole lines from all over the input, at most 64 KiB and an eighth of it", () => {
  const dict = Buffer.from(chooseDictionary(source)).toString("utf8");
  expect(dict.length).toBeLessThanOrEqual(64 << 10);
  expect(dict.length).toBeGreaterThan(60 << 10);
  expect(chooseDictionary(source.subarray(0, 80_000)).length).toBeLessThanOrEqual(10_000);
  const picked = dict.split("\r\n").slice(0, -1); // the last one may be cut short
  const at = picked.map((l) => all.findIndex((a) => l === a || l === `dev: ${a}`));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect(Math.max(...at)).toBeGreaterThan(0.8 * all.length);
  expect(at[0]).toBe(0);
});

test("a line block without its dictionary, or with a damaged one, is a ChecksumError", () => {
  const { blocks } = pack(dict);
  expect(() => new RecordBlock(blocks[0]!)).toThrow(ChecksumError);
  const value = dictionaryValue(dict);
  value[100] = value[100]! ^ 1;
  expect(() => new SegmentDictionary(value)).toThrow(ChecksumError);
  expect(() => new SegmentDictionary(Buffer.alloc(3))).toThrow(ChecksumError);
});

test("a flipped byte in a run fails that run's checksum; the block's other runs still read", () => {
  const { blocks, counts } = pack(dict);
  const d = dictionary();
  const b = Buffer.from(blocks[2]!);
  b[b.length - 3] = b[b.length - 3]! ^ 0x20; // inside the block's last run
  const block = new RecordBlock(b, d);
  const lastRun = Math.ceil(counts[2]! / RUN_LINES) - 1;
  const damaged = (i: number): boolean => Math.floor(i / RUN_LINES) === lastRun;
  for (let i = 0; i < counts[2]!; i++) {
    if (damaged(i)) expect(() => block.line(i)).toThrow(`fails its checksum (part ${lastRun})`);
    else expect(() => block.line(i)).not.toThrow();
  }
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
