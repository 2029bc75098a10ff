// Record blocks: a run of consecutive records (original lines) packed together and compressed with
// LZ4, so that any record can be read back byte for byte from the index alone. Pure; used by the
// ingest workers (encode) and the store (decode).
//
// A block (one LMDB value, about BLOCK_BYTES of text) is a group of independently compressed
// parts of about PART_BYTES each, so reading one record decompresses one part, not the block:
//   u32 partCount, u32 lineCount, per part (u32 firstLine, u32 compressedEnd, u32 crc),
//   u32 headerCrc, the parts.
// A part, decompressed: u32 count, (u32 start, u32 end) of each line within the text, then the
// text: the source span from the first line's start to the last line's end, verbatim.
// Checksums (codec/checksum.ts): headerCrc covers the bytes before it and is checked when a block
// is opened; a part's crc covers its compressed bytes and is checked before it is decompressed,
// so a damaged block throws ChecksumError and never hands back a garbled line. Checking per part
// keeps the cost with the work: a record read checks ~5 KiB (~1.6 µs), not the whole block.
//
// Why parts: a point lookup reads about one record a block, and decompressing the whole 64 KiB
// (and allocating its buffer, which GC then pays for) was most of a lookup's time. Measured on the
// 1 GiB bench index, `ip = X` for IPs with 3–8k records: 22–34 µs a record with whole blocks,
// 9–17 µs with 16 KiB parts; the index grew from 438 to 493 MiB (43 → 48 % of the log). Why not
// smaller blocks instead: LMDB stores values over ~2 KiB on whole overflow pages, so 16 KiB
// blocks grew the index to 57 % of the log. LZ4 (lz4-napi) ratio on generated audit lines:
// 64 KiB 0.29, 16 KiB 0.34, 4 KiB 0.40.
import { createRequire } from "node:module";
import { ByteWriter, readU32 } from "./byte-writer.js";
import { appendChecksum, checksum, ChecksumError } from "./checksum.js";

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

/** A decompressed part. */
interface Part {
  readonly raw: Buffer;
  readonly textStart: number;
}

/**
 * A block: `line(i)` is a view into the decompressed part that holds line i. Parts are
 * decompressed on first use, from `source`: the block's bytes when they stay put, or a function
 * that returns them each time it is called (LMDB's read buffer is reused by the next read, and
 * copying a whole block to keep it cost as much as decompressing it).
 */
export class RecordBlock {
  readonly count: number;
  private readonly partCount: number;
  private readonly firstLines: number[];
  private readonly parts: (Part | undefined)[];
  private readonly bytes: () => Uint8Array;

  /** Throws ChecksumError when the header is damaged. */
  constructor(source: Uint8Array | (() => Uint8Array)) {
    const bytes = typeof source === "function" ? source() : source;
    this.bytes = typeof source === "function" ? source : () => source;
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
    this.partCount = partCount;
    this.count = readU32(bytes, 4);
    this.firstLines = [];
    for (let p = 0; p < partCount; p++) this.firstLines.push(readU32(bytes, 8 + 12 * p));
    this.parts = new Array<Part | undefined>(partCount);
  }

  /** Part p, decompressed on first use; throws ChecksumError when its bytes are damaged. */
  private part(p: number): Part {
    let part = this.parts[p];
    if (part === undefined) {
      const bytes = this.bytes();
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

  line(i: number): Buffer {
    let p = this.partCount - 1;
    while (p > 0 && this.firstLines[p]! > i) p--;
    const { raw, textStart } = this.part(p);
    const at = i - this.firstLines[p]!;
    const start = readU32(raw, 4 + 8 * at);
    const end = readU32(raw, 8 + 8 * at);
    return raw.subarray(textStart + start, textStart + end);
  }
}
