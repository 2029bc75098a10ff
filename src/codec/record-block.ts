// Record blocks: a run of consecutive records (original lines) packed together and compressed with
// LZ4, so that any record can be read back byte for byte from the index alone. Pure; used by the
// ingest workers (encode) and the store (decode).
// Raw layout: u32 count, (u32 start, u32 end) of each line within the text, then the text: the
// source span from the first line's start to the last line's end, verbatim.
// LZ4 (lz4-napi): ~340 MB/s to compress and ~1.1 GB/s to decompress on this machine, against
// deflate level 1's ~120 MB/s, measured on generated audit lines; the index is larger (~0.5 vs 0.3
// of the text) but ingest stays ahead of the JSON parser.
import { createRequire } from "node:module";
import { readU32 } from "./byte-writer.js";

// Loaded on first use: the native LZ4 binding takes ~12 ms to load, which a query answered from
// posting lists alone (`| count`) never needs.
type Lz4 = { compressSync(data: Buffer): Buffer; uncompressSync(data: Buffer): Buffer };
let lz4: Lz4 | undefined;
function codec(): Lz4 {
  return (lz4 ??= createRequire(import.meta.url)("lz4-napi") as Lz4);
}

/** Target uncompressed bytes a block: 64 KiB keeps a point lookup's decompression near 60 µs. */
export const BLOCK_BYTES = 64 << 10;

export function encodeRecordBlock(source: Uint8Array, starts: number[], ends: number[]): Buffer {
  // The lines are one contiguous span of the source (with newlines and prefixes between them):
  // copy the span once and keep each line's start and end within it.
  const count = starts.length;
  const spanStart = starts[0]!;
  const spanEnd = ends[count - 1]!;
  const header = 4 + 8 * count;
  const raw = Buffer.allocUnsafe(header + spanEnd - spanStart);
  raw.writeUInt32BE(count, 0);
  for (let i = 0; i < count; i++) {
    raw.writeUInt32BE(starts[i]! - spanStart, 4 + 8 * i);
    raw.writeUInt32BE(ends[i]! - spanStart, 8 + 8 * i);
  }
  raw.set(source.subarray(spanStart, spanEnd), header);
  return codec().compressSync(raw);
}

/** A decoded block: `line(i)` is a view into the block's buffer. */
export class RecordBlock {
  readonly count: number;
  private readonly raw: Buffer;
  private readonly textStart: number;

  constructor(compressed: Uint8Array) {
    this.raw = codec().uncompressSync(
      Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength),
    );
    this.count = readU32(this.raw, 0);
    this.textStart = 4 + 8 * this.count;
  }

  line(i: number): Buffer {
    const start = readU32(this.raw, 4 + 8 * i);
    const end = readU32(this.raw, 8 + 8 * i);
    return this.raw.subarray(this.textStart + start, this.textStart + end);
  }
}
