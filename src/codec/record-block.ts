// Record blocks: a run of consecutive records (original lines) packed together and compressed with
// LZ4, so that any record can be read back byte for byte from the index alone. Pure; used by the
// ingest workers (encode) and the store (decode). A block is one LMDB value, in one of two
// layouts (the first u32 tells them apart):
//
// Line blocks (index format 4): lines compressed in runs of RUN_LINES (two) against their
// segment's dictionary (codec/lz4-dict-wasm.ts), so reading one record decodes at most two lines
// (~2.2 KB), not a 16 KiB part; a block holds what fits in LINE_BLOCK_BYTES (two LMDB pages):
//   u32 LINE_BLOCK | lineCount, u32 runLines, per run (u32 compressedEnd, u32 crc), per line
//   u32 size, u32 headerCrc, the compressed runs (each a "part" of the block in damage messages).
// The dictionary (SegmentDictionary) is lines sampled from the segment's input
// (chooseDictionary), stored once a segment (with a CRC-32) beside its blocks. Why: a point lookup
// reads about one record a block; with 16 KiB parts it decompressed ~15 lines to return one
// (~7 µs of ~10 µs a record) and copied a ~28 KiB block out of LMDB, twice. Ratio on the bench
// log: 0.319 (16 KiB parts 0.335).
//
// Part blocks (index format 3, still read and written for small segments, where a dictionary
// would cost more than it saves): about BLOCK_BYTES of text in independently compressed parts of
// about PART_BYTES each:
//   u32 partCount, u32 lineCount, per part (u32 firstLine, u32 compressedEnd, u32 crc),
//   u32 headerCrc, the parts.
// A part, decompressed: u32 count, (u32 start, u32 end) of each line within the text, then the
// text: the source span from the first line's start to the last line's end, verbatim.
//
// Checksums (codec/checksum.ts): headerCrc covers the bytes before it and is checked when a block
// is opened; a part's (or line's) crc covers its compressed bytes and is checked before it is
// decompressed, so a damaged block throws ChecksumError and never hands back a garbled line.
//
// Why parts: measured on the 1 GiB bench index, `ip = X` for IPs with 3–8k records: 22–34 µs a
// record with whole 64 KiB blocks, 9–17 µs with 16 KiB parts; the index grew from 438 to 493 MiB
// (43 → 48 % of the log). Why not smaller blocks instead: LMDB stores values over ~2 KiB on whole
// overflow pages, so 16 KiB blocks grew the index to 57 % of the log. LZ4 (lz4-napi) ratio on
// generated audit lines: 64 KiB 0.29, 16 KiB 0.34, 4 KiB 0.40.
import { createRequire } from "node:module";
import { ByteWriter, readU32 } from "./byte-writer.js";
import { appendChecksum, checksum, ChecksumError, verifyTrailer } from "./checksum.js";
import {
  lineDecompressor,
  MAX_DICT_BYTES,
  type LineCompressor,
  type LineDecompressor,
} from "./lz4-dict-wasm.js";

// Loaded on first use: the native LZ4 binding takes ~12 ms to load, which a query answered from
// posting lists alone (`| count`) never needs.
type Lz4 = { compressSync(data: Buffer): Buffer; uncompressSync(data: Buffer): Buffer };
let lz4: Lz4 | undefined;
function codec(): Lz4 {
  return (lz4 ??= createRequire(import.meta.url)("lz4-napi") as Lz4);
}

/** Target uncompressed bytes a block (one LMDB value). */
export const BLOCK_BYTES = 64 << 10;
/** Target uncompressed bytes a part: what one record read decompresses. */
export const PART_BYTES = 16 << 10;

let partScratch = Buffer.allocUnsafe(PART_BYTES * 2);

/** One part: the lines starts[from..to) of `source`, compressed. */
function encodePart(
  source: Uint8Array,
  starts: number[],
  ends: number[],
  from: number,
  to: number,
) {
  // The lines are one contiguous span of the source (with newlines and prefixes between them):
  // copy the span once and keep each line's start and end within it.
  const count = to - from;
  const spanStart = starts[from]!;
  const spanEnd = ends[to - 1]!;
  const header = 4 + 8 * count;
  const size = header + spanEnd - spanStart;
  // One scratch buffer, reused: a fresh 16 KiB buffer a part was an external allocation each,
  // which the workers' garbage collector then had to sweep.
  if (partScratch.length < size)
    partScratch = Buffer.allocUnsafe(Math.max(size, 2 * partScratch.length));
  const raw = partScratch.subarray(0, size);
  raw.writeUInt32BE(count, 0);
  for (let i = 0; i < count; i++) {
    raw.writeUInt32BE(starts[from + i]! - spanStart, 4 + 8 * i);
    raw.writeUInt32BE(ends[from + i]! - spanStart, 8 + 8 * i);
  }
  raw.set(source.subarray(spanStart, spanEnd), header);
  return codec().compressSync(raw);
}

/** Bytes before the first part: counts, the part table and the header's checksum. */
function partsHeaderBytes(partCount: number): number {
  return 12 + 12 * partCount;
}

/** The lines (starts[i], ends[i]) of `source`, in order, as one block. */
export function encodeRecordBlock(source: Uint8Array, starts: number[], ends: number[]): Buffer {
  const out = new ByteWriter(BLOCK_BYTES >>> 1);
  appendRecordBlock(out, source, starts, ends);
  const view = out.view();
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * encodeRecordBlock written at the end of `out` (the ingest workers' result buffer), without a
 * buffer of its own; returns its length.
 */
export function appendRecordBlock(
  out: ByteWriter,
  source: Uint8Array,
  starts: number[],
  ends: number[],
): number {
  const parts: Buffer[] = [];
  const firstLines: number[] = [];
  let from = 0;
  let partBytes = 0;
  for (let i = 0; i < starts.length; i++) {
    partBytes += ends[i]! - starts[i]! + 8;
    if (partBytes >= PART_BYTES || i === starts.length - 1) {
      firstLines.push(from);
      parts.push(encodePart(source, starts, ends, from, i + 1));
      from = i + 1;
      partBytes = 0;
    }
  }
  const begin = out.length;
  out.u32(parts.length);
  out.u32(starts.length);
  let compressedEnd = 0;
  for (let p = 0; p < parts.length; p++) {
    compressedEnd += parts[p]!.length;
    out.u32(firstLines[p]!);
    out.u32(compressedEnd);
    out.u32(checksum(parts[p]!));
  }
  appendChecksum(out, begin);
  for (const part of parts) out.bytes(part);
  return out.length - begin;
}

const NEWLINE = 10;

/** Marks a line block: the high bit of its first u32 (a part block's part count never has it). */
const LINE_BLOCK = 0x80000000;
/** A segment's dictionary: at most this much of its input (LZ4's window). */
export const DICTIONARY_BYTES = MAX_DICT_BYTES;
/**
 * A segment whose input is smaller than this keeps part blocks: a dictionary is stored once a
 * segment, and on a few lines it would cost more than it saves (`listen` writes such segments
 * every half second; compaction merges them into large ones).
 */
export const LINE_BLOCKS_FROM_BYTES = 256 << 10;

/**
 * A segment's dictionary chosen from its input: whole lines (as they came, newlines and all: a
 * dictionary is only bytes that lines are likely to repeat) taken from evenly spaced places, up
 * to DICTIONARY_BYTES or an eighth of the input, whichever is less, so a small segment does not
 * store more dictionary than lines. Spread rather than the first lines: values that recur over
 * the whole input (a busy token's HMAC, policies, paths) make it in. Ratio on the bench log,
 * 16 MiB: 0.409 with the first 64 KiB, 0.378 spread; on a corpus log 0.32 against 0.16.
 */
export function chooseDictionary(input: Uint8Array): Uint8Array {
  const size = Math.min(input.length >>> 3, DICTIONARY_BYTES);
  const out = new Uint8Array(size);
  if (size === 0) return out;
  // How far apart the samples are: the lines' average length, from the first ones.
  const head = input.subarray(0, Math.min(input.length, 64 << 10));
  let newlines = 0;
  for (const c of head) if (c === NEWLINE) newlines++;
  const lineBytes = Math.max(256, head.length / Math.max(1, newlines));
  const samples = Math.max(1, Math.ceil(size / lineBytes));
  const stride = input.length / samples;
  let at = 0;
  for (let k = 0; k < samples && at < size; k++) {
    const from = Math.floor(k * stride);
    const newline = k === 0 ? -1 : input.indexOf(NEWLINE, from);
    if (k > 0 && (newline < 0 || newline + 1 >= input.length)) break;
    const start = newline + 1;
    let end = input.indexOf(NEWLINE, start);
    end = end < 0 ? input.length : end + 1;
    // An unusually long line would crowd out the samples after it.
    if (end - start > 4 * lineBytes) continue;
    const n = Math.min(end - start, size - at);
    out.set(input.subarray(start, start + n), at);
    at += n;
  }
  return out.subarray(0, at);
}

/** The stored value of a dictionary: its bytes, then their CRC-32. */
export function dictionaryValue(dict: Uint8Array): Buffer {
  const out = new ByteWriter(dict.length + 4);
  out.bytes(dict);
  appendChecksum(out, 0);
  const view = out.view();
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** A segment's dictionary, as read back: what its line blocks decode against. */
export class SegmentDictionary {
  private decoder: LineDecompressor | undefined;
  private readonly bytes: Uint8Array;

  /** `value` as dictionaryValue wrote it; throws ChecksumError when it is damaged. */
  constructor(value: Uint8Array) {
    verifyTrailer(value);
    this.bytes = value.subarray(0, value.length - 4);
  }

  decompressor(): LineDecompressor {
    return (this.decoder ??= lineDecompressor(this.bytes));
  }
}

/**
 * Lines compressed together: a run of two (a request and its response, often side by side,
 * share HMACs, paths and ids that a dictionary cannot hold); a read decodes its line's run.
 * Bench log ratio: 0.387 a line alone, 0.319 in runs of two (0.304 of three, 0.290 of four, each
 * costing a read more decoding); 16 KiB parts 0.335.
 */
export const RUN_LINES = 2;

function runCount(lines: number, runLines: number): number {
  return Math.ceil(lines / runLines);
}

/** u32 marked count, u32 runLines, per run (u32 end, u32 crc), per line u32 size, u32 crc. */
function lineHeaderBytes(lines: number, runLines: number): number {
  return 12 + 8 * runCount(lines, runLines) + 4 * lines;
}

/**
 * A line block's size limit, header included: two of LMDB's 4 KiB overflow pages less their
 * header. A value over ~2 KiB takes whole pages of its own, and a record read copies the whole
 * value out of the map (lmdb-js copies values under 16 MiB), so a block fills its pages and no
 * more: ~17 lines of 1.1 KB, an 8 KiB copy a read (a 64 KiB part block copied ~28 KiB, twice).
 * A block of one longer line is larger.
 */
export const LINE_BLOCK_BYTES = 2 * 4096 - 16;

/**
 * Packs lines into line blocks as they come: runs of RUN_LINES lines, each run compressed against
 * the compressor's dictionary, a block written to `out` (and reported to onBlock with its span and
 * line count) once the next run would take it past LINE_BLOCK_BYTES, and by flush().
 */
export class LineBlockPacker {
  /** The open run's lines, back to back. */
  private run = new Uint8Array(4096);
  private runBytes = 0;
  private runSizes: number[] = [];
  /** The open block: its compressed runs, (end, crc) of each, and its lines' sizes. */
  private readonly data = new ByteWriter(LINE_BLOCK_BYTES * 2);
  private runEntries: number[] = [];
  private sizes: number[] = [];

  constructor(
    private readonly compressor: LineCompressor,
    private readonly out: ByteWriter,
    private readonly onBlock: (offset: number, length: number, lines: number) => void,
  ) {}

  /** Line source[start, end). */
  add(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.run.length < this.runBytes + n) {
      const grown = new Uint8Array(Math.max(this.runBytes + n, 2 * this.run.length));
      grown.set(this.run.subarray(0, this.runBytes));
      this.run = grown;
    }
    this.run.set(source.subarray(start, end), this.runBytes);
    this.runBytes += n;
    this.runSizes.push(n);
    if (this.runSizes.length === RUN_LINES) this.closeRun();
  }

  /** Write the lines added since the last block as a block (nothing when there are none). */
  flush(): void {
    this.closeRun();
    const lines = this.sizes.length;
    if (lines === 0) return;
    const out = this.out;
    const begin = out.length;
    out.u32((LINE_BLOCK | lines) >>> 0);
    out.u32(RUN_LINES);
    for (const v of this.runEntries) out.u32(v);
    for (const v of this.sizes) out.u32(v);
    appendChecksum(out, begin);
    out.bytes(this.data.view());
    this.onBlock(begin, out.length - begin, lines);
    this.runEntries = [];
    this.sizes = [];
    this.data.length = 0;
  }

  private closeRun(): void {
    if (this.runSizes.length === 0) return;
    const packed = this.compressor.compress(this.run, 0, this.runBytes);
    const lines = this.sizes.length + this.runSizes.length;
    if (
      this.sizes.length > 0 &&
      lineHeaderBytes(lines, RUN_LINES) + this.data.length + packed.length > LINE_BLOCK_BYTES
    ) {
      // The run goes into the next block; it stays whole (RUN_LINES is the block's alignment).
      const sizes = this.runSizes;
      this.runSizes = [];
      this.flush();
      this.runSizes = sizes;
    }
    this.data.bytes(packed);
    this.runEntries.push(this.data.length, checksum(packed));
    this.sizes.push(...this.runSizes);
    this.runSizes = [];
    this.runBytes = 0;
  }
}

/** Does this stored block need its segment's dictionary? */
export function isLineBlock(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (readU32(bytes, 0) & LINE_BLOCK) !== 0;
}

/** A decompressed part. */
interface Part {
  readonly raw: Buffer;
  readonly textStart: number;
}

/**
 * A block: `line(i)` is record i's original bytes. Decoded on first use, from `source`: the
 * block's bytes when they stay put, or a function that returns them each time it is called
 * (LMDB's read buffer is reused by the next read, and copying a whole block to keep it cost as
 * much as decompressing it). A line block needs its segment's dictionary.
 *
 * A line is a view into its decompressed part (parts stay with the block) or its decoded run (a
 * copy the block keeps until it decodes another); neither is ever overwritten, so a line stays
 * good.
 */
export class RecordBlock {
  readonly count: number;
  private readonly partCount: number;
  private readonly firstLines: number[];
  private readonly parts: (Part | undefined)[];
  private readonly bytes: () => Uint8Array;
  private readonly lines: boolean;
  private readonly dictionary: SegmentDictionary | undefined;
  /** A line block's run length (lines compressed together). */
  private readonly runLines: number = 0;
  /** The last run decoded (a copy), which of the block's runs it is, where its lines start. */
  private run: Buffer | undefined;
  private runIndex = -1;
  private runStarts: number[] = [];

  /**
   * Throws ChecksumError when the header is damaged, or a line block has no dictionary.
   * `dictionary`: the segment's, or a function that gets it (called only for a line block).
   * `opened`: what a function source returns now, when the caller has just read it.
   */
  constructor(
    source: Uint8Array | (() => Uint8Array),
    dictionary?: SegmentDictionary | (() => SegmentDictionary),
    opened?: Uint8Array,
  ) {
    const bytes = opened ?? (typeof source === "function" ? source() : source);
    this.bytes = typeof source === "function" ? source : () => source;
    this.lines = isLineBlock(bytes);
    if (this.lines) {
      const count = (readU32(bytes, 0) & ~LINE_BLOCK) >>> 0;
      const runLines = bytes.length >= 8 ? readU32(bytes, 4) : 0;
      const header = runLines === 0 ? bytes.length + 1 : lineHeaderBytes(count, runLines);
      if (
        header > bytes.length ||
        readU32(bytes, header - 4) !== checksum(bytes.subarray(0, header - 4))
      ) {
        throw new ChecksumError("fails its checksum (header)");
      }
      const runs = runCount(count, runLines);
      const dataEnd = runs === 0 ? 0 : readU32(bytes, 8 + 8 * (runs - 1));
      if (header + dataEnd !== bytes.length) {
        throw new ChecksumError(`is ${bytes.length} bytes, not the ${header} + runs it lists`);
      }
      this.runLines = runLines;
      if (dictionary === undefined) throw new ChecksumError("has no dictionary to decode with");
      this.dictionary = typeof dictionary === "function" ? dictionary() : dictionary;
      this.count = count;
      this.partCount = 0;
      this.firstLines = [];
      this.parts = [];
      return;
    }
    const partCount = bytes.length >= 12 ? readU32(bytes, 0) : 0;
    const header = partsHeaderBytes(partCount);
    if (
      header > bytes.length ||
      readU32(bytes, header - 4) !== checksum(bytes.subarray(0, header - 4))
    ) {
      throw new ChecksumError("fails its checksum (header)");
    }
    const partsEnd = partCount === 0 ? 0 : readU32(bytes, header - 12);
    if (header + partsEnd !== bytes.length) {
      throw new ChecksumError(`is ${bytes.length} bytes, not the ${header} + parts it lists`);
    }
    this.dictionary = undefined;
    this.partCount = partCount;
    this.count = readU32(bytes, 4);
    this.firstLines = [];
    for (let p = 0; p < partCount; p++) this.firstLines.push(readU32(bytes, 8 + 12 * p));
    this.parts = new Array<Part | undefined>(partCount);
  }

  /**
   * Line i of a line block: its run's compressed bytes checked, then decoded and copied (the
   * decoder's output is overwritten by its next use); the line is a view of that copy. The last
   * run decoded is kept, so reading a block's lines in order decodes each run once.
   */
  private decodeLine(i: number, current: Uint8Array | undefined): Buffer {
    if (i < 0 || i >= this.count) throw new RangeError(`no line ${i} in a block of ${this.count}`);
    const runLines = this.runLines;
    const r = Math.floor(i / runLines);
    if (r !== this.runIndex) this.decodeRun(r, current ?? this.bytes());
    const k = i - r * runLines;
    return this.run!.subarray(this.runStarts[k]!, this.runStarts[k + 1]!);
  }

  private decodeRun(r: number, bytes: Uint8Array): void {
    const runLines = this.runLines;
    const header = lineHeaderBytes(this.count, runLines);
    const entry = 8 + 8 * r;
    const start = header + (r === 0 ? 0 : readU32(bytes, entry - 8));
    const end = header + readU32(bytes, entry);
    const compressed = bytes.subarray(start, end);
    if (start > end || checksum(compressed) !== readU32(bytes, entry + 4)) {
      throw new ChecksumError(`fails its checksum (part ${r})`);
    }
    const sizes = 8 + 8 * runCount(this.count, runLines);
    const first = r * runLines;
    const last = Math.min(this.count, first + runLines);
    const starts = [0];
    for (let k = first; k < last; k++) starts.push(starts.at(-1)! + readU32(bytes, sizes + 4 * k));
    const run = this.dictionary!.decompressor().decompress(compressed, starts.at(-1)!);
    this.run = Buffer.from(run);
    this.runStarts = starts;
    this.runIndex = r;
  }

  /** Part p, decompressed on first use; throws ChecksumError when its bytes are damaged. */
  private part(p: number, current: Uint8Array | undefined): Part {
    let part = this.parts[p];
    if (part === undefined) {
      const bytes = current ?? this.bytes();
      const header = partsHeaderBytes(this.partCount);
      const start = header + (p === 0 ? 0 : readU32(bytes, 12 + 12 * (p - 1)));
      const end = header + readU32(bytes, 12 + 12 * p);
      const compressed = bytes.subarray(start, end);
      if (checksum(compressed) !== readU32(bytes, 16 + 12 * p)) {
        throw new ChecksumError(`fails its checksum (part ${p})`);
      }
      const raw = codec().uncompressSync(
        Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength),
      );
      part = { raw, textStart: 4 + 8 * readU32(raw, 0) };
      this.parts[p] = part;
    }
    return part;
  }

  /** Record i's line; `current`: the block's bytes as a function source returns them now. */
  line(i: number, current?: Uint8Array): Buffer {
    if (this.lines) return this.decodeLine(i, current);
    let p = this.partCount - 1;
    while (p > 0 && this.firstLines[p]! > i) p--;
    const { raw, textStart } = this.part(p, current);
    const at = i - this.firstLines[p]!;
    const start = readU32(raw, 4 + 8 * at);
    const end = readU32(raw, 8 + 8 * at);
    return raw.subarray(textStart + start, textStart + end);
  }
}
