// Decoding an LZ4 block as lz4-napi's compressSync writes it (a u32 little-endian decompressed
// size, then one LZ4 block) into one reused buffer, only as far as the caller needs. Pure; safe in
// workers.
//
// LZ4's block format is a run of sequences (literals, then a copy from earlier output), each
// depending only on output already written, so decoding can stop after the sequence that writes
// a wanted byte and resume there later: a record read needs its part only up to the line's end.
// Lives in bench/, not on the store's read path: measured in bench/record-read-bench.ts (3,000 scattered records
// of a 100 MB generated log's index, interleaved rounds), this decoder is 1.6-2x slower than
// lz4-napi over a whole 16 KiB part (the fastest pure-JS decoder tried: lz4js and the npm `lz4`
// package's are 20-30 % slower still), so stopping at the line's end only draws level (-11 to
// +26 % a record), and using it just for lines in the first third of their part saves 7-14 %:
// under the 20 % that would pay for a second decompressor. Kept, tested, for the bench and for a
// layout that would make it pay (lines near the start of what is decoded).
//
// Contract: never reads outside `src` nor writes outside `out`; input that is not a valid block
// (truncated, an offset before the output's start, lengths past either end, a size that does not
// match) throws Lz4FormatError, a ChecksumError, so a store read would report a damaged index.
import { ChecksumError } from "../src/codec/checksum.js";

/** Compressed bytes that do not decode as an LZ4 block: `what` says why and where. */
export class Lz4FormatError extends ChecksumError {
  constructor(what: string) {
    super(`is not a valid LZ4 block (${what})`);
    this.name = "Lz4FormatError";
  }
}

/** Bytes in front of the block: its decompressed size, u32 little-endian (lz4-napi's layout). */
const SIZE_BYTES = 4;
/** LZ4 cannot expand a byte to more than 255 (one length byte of 255 per 255 output bytes). */
const MAX_RATIO = 255;
/** Runs at least this long are copied natively (set, copyWithin); shorter ones byte by byte. */
const LONG_COPY = 32;

/**
 * One block at a time decoded into `out`, a buffer reused from block to block: `begin` a block,
 * then `decodeTo(src, n)` until `produced` covers what is wanted. The bytes `out[0, produced)`
 * stay valid until the next `begin`.
 */
export class Lz4Decoder {
  out: Buffer;
  /** The current block's decompressed size. */
  size = 0;
  /** Bytes of `out` decoded so far. */
  produced = 0;
  /** Offset in the block's bytes of the next sequence. */
  private next = 0;

  constructor(initialBytes = 32 << 10) {
    this.out = Buffer.allocUnsafe(initialBytes);
  }

  /** Start on the block `src`; nothing of it is decoded yet. */
  begin(src: Uint8Array): void {
    if (src.length < SIZE_BYTES + 1) throw new Lz4FormatError(`${src.length} bytes, too short`);
    const size = (src[0]! | (src[1]! << 8) | (src[2]! << 16) | (src[3]! << 24)) >>> 0;
    if (size > (src.length - SIZE_BYTES) * MAX_RATIO) {
      throw new Lz4FormatError(
        `states ${size} bytes decompressed, more than ${src.length} can hold`,
      );
    }
    if (this.out.length < size) this.out = Buffer.allocUnsafe(Math.max(size, 2 * this.out.length));
    this.size = size;
    this.produced = 0;
    this.next = SIZE_BYTES;
  }

  /**
   * Decode on from where the last call stopped until at least `want` bytes (or the whole block)
   * are out. `src` holds the bytes given to `begin` (the same bytes, maybe another copy).
   */
  decodeTo(src: Uint8Array, want: number): void {
    const out = this.out;
    const size = this.size;
    const end = src.length;
    const stop = Math.min(want, size);
    let ip = this.next;
    let op = this.produced;
    const startOp = op;
    let lastSequence = false;
    while (op < stop) {
      if (ip >= end) throw new Lz4FormatError(`ends at byte ${ip} with ${size - op} bytes to go`);
      const token = src[ip++]!;
      let literals = token >>> 4;
      if (literals === 15) {
        let b: number;
        do {
          if (ip >= end) throw new Lz4FormatError(`ends inside a literal length at byte ${ip}`);
          b = src[ip++]!;
          literals += b;
        } while (b === 255);
      }
      if (literals > end - ip || literals > size - op) {
        throw new Lz4FormatError(`${literals} literals at byte ${ip} run past the end`);
      }
      if (literals < LONG_COPY) {
        for (const last = ip + literals; ip < last;) out[op++] = src[ip++]!;
      } else {
        out.set(src.subarray(ip, ip + literals), op);
        ip += literals;
        op += literals;
      }
      if (ip === end) {
        lastSequence = true; // a block ends with a sequence of literals only
        break;
      }
      if (end - ip < 2) throw new Lz4FormatError(`ends inside a match offset at byte ${ip}`);
      const offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      if (offset === 0 || offset > op) {
        throw new Lz4FormatError(`match offset ${offset} at byte ${ip - 2} is outside the output`);
      }
      let length = token & 15;
      if (length === 15) {
        let b: number;
        do {
          if (ip >= end) throw new Lz4FormatError(`ends inside a match length at byte ${ip}`);
          b = src[ip++]!;
          length += b;
        } while (b === 255);
      }
      length += 4;
      if (length > size - op) {
        throw new Lz4FormatError(`match of ${length} bytes at byte ${ip} runs past the end`);
      }
      let from = op - offset;
      if (length >= LONG_COPY && offset >= length) {
        out.copyWithin(op, from, from + length);
        op += length;
      } else {
        // Overlapping copies (offset < length) repeat the last `offset` bytes: byte by byte.
        for (const last = op + length; op < last;) out[op++] = out[from++]!;
      }
    }
    if (lastSequence && op < size) {
      throw new Lz4FormatError(`ends with ${size - op} of ${size} bytes not decoded`);
    }
    if (!lastSequence && op === size && (ip < end || op > startOp)) {
      // All out after a match: what is left must be the last sequence, with no literals.
      if (ip === end - 1 && src[ip] === 0) ip++;
      else
        throw new Lz4FormatError(
          `has ${end - ip} bytes, not an empty last sequence, after its end`,
        );
    }
    this.next = ip;
    this.produced = op;
  }
}
