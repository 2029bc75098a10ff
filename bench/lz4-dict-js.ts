// LZ4 blocks with an external dictionary, one line (or run) at a time, in plain JS: the first
// version of the store's line-block codec, kept in bench/ for comparison. The store uses the
// WebAssembly one (src/codec/lz4-dict-wasm.ts): on the 1 GiB bench log, ingest 11.9-12.4 s with
// it against 15.4-17.0 s with this one, and a scattered record read 6.5-7.9 µs against 9.2-10.1
// (interleaved runs). bench/lz4-dict-bench.ts times both.
//
// Format: LZ4's block format (no size prefix, no frame) where the dictionary logically precedes
// the output, so a match may reach back past the line's start into the dictionary's last 64 KiB.
// It is what lz4-napi's compressSync(data, dict) / uncompressSync(data, dict) write and read, minus
// their 4-byte size prefix (the tests check both ways against it).
//
// Why not lz4-napi with its dictionary argument: it hashes the whole dictionary again on every
// call (7-20 µs a 1.1 KB line with a 4-64 KiB dictionary, against ~1.3 µs a line for 16 KiB parts
// without one). Here the dictionary is hashed once per compressor; each line then uses a second
// table stamped with a generation number, so nothing is cleared between lines.
//
// Contract: the decompressor never reads outside its input nor writes past `size` bytes; input
// that does not decode to exactly `size` bytes throws Lz4FormatError (a ChecksumError), so a
// store read reports a damaged index, never a garbled line.
import { ChecksumError } from "../src/codec/checksum.js";

/** LZ4's window: a match offset is a u16. */
export const MAX_DICTIONARY_BYTES = 64 << 10;

/** Compressed bytes that do not decode as an LZ4 block: `what` says why and where. */
export class Lz4FormatError extends ChecksumError {
  constructor(what: string) {
    super(`is not a valid LZ4 block (${what})`);
    this.name = "Lz4FormatError";
  }
}

export interface LineCompressor {
  /** src[from, to) compressed against the dictionary; a view valid until the next call. */
  compress(src: Uint8Array, from: number, to: number): Uint8Array;
}

export interface LineDecompressor {
  /**
   * `block` decoded against the dictionary into exactly `size` bytes; a view valid until the next
   * call. Throws Lz4FormatError when it does not decode to exactly that. With `want` < size it
   * may stop early, once at least the first `want` bytes are out (a run of lines read for its
   * first line): the view then holds them and maybe a few more.
   */
  decompress(block: Uint8Array, size: number, want?: number): Uint8Array;
}

const HASH_LOG = 14;
const HASH_SHIFT = 32 - HASH_LOG;
/** LZ4's end rules: the last 5 bytes are literals, and no match starts in the last 12. */
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
/** After this many misses in a row the search step grows (LZ4's acceleration on random bytes). */
const SKIP_TRIGGER = 5;

function read32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}

function hash32(v: number): number {
  return Math.imul(v, -1640531535) >>> HASH_SHIFT;
}

/** The dictionary's last MAX_DICTIONARY_BYTES: all a match can reach. */
function window(dict: Uint8Array): Uint8Array {
  return dict.length > MAX_DICTIONARY_BYTES
    ? dict.subarray(dict.length - MAX_DICTIONARY_BYTES)
    : dict;
}

class JsLineCompressor implements LineCompressor {
  /** The dictionary, then the line being compressed. */
  private buf: Uint8Array;
  private readonly base: number;
  private readonly dictTable = new Int32Array(1 << HASH_LOG).fill(-1);
  private readonly lineTable = new Int32Array(1 << HASH_LOG);
  private readonly stamps = new Int32Array(1 << HASH_LOG);
  private generation = 0;
  private out = new Uint8Array(4096);

  constructor(dict: Uint8Array) {
    const d = window(dict);
    this.base = d.length;
    this.buf = new Uint8Array(d.length + 4096);
    this.buf.set(d, 0);
    for (let p = 0; p + 4 <= d.length; p++) this.dictTable[hash32(read32(d, p))] = p;
  }

  compress(src: Uint8Array, from: number, to: number): Uint8Array {
    const n = to - from;
    const base = this.base;
    const end = base + n;
    if (this.buf.length < end) {
      const grown = new Uint8Array(Math.max(end, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, base), 0);
      this.buf = grown;
    }
    // Worst case: every byte a literal, one length byte per 255 of them, token and end.
    const bound = n + ((n / 255) | 0) + 16;
    if (this.out.length < bound) this.out = new Uint8Array(Math.max(bound, 2 * this.out.length));
    const b = this.buf;
    b.set(src.subarray(from, to), base);
    const out = this.out;
    if (++this.generation === 0x7fffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
    const gen = this.generation;
    const dictTable = this.dictTable;
    const lineTable = this.lineTable;
    const stamps = this.stamps;
    let o = 0;
    let anchor = base;
    if (n > MF_LIMIT) {
      const mfLimit = end - MF_LIMIT;
      const matchLimit = end - LAST_LITERALS;
      let ip = base;
      let misses = 0;
      while (ip < mfLimit) {
        const v = read32(b, ip);
        const h = hash32(v);
        const cand = stamps[h] === gen ? lineTable[h]! : dictTable[h]!;
        lineTable[h] = ip;
        stamps[h] = gen;
        if (cand < 0 || ip - cand > MAX_OFFSET || read32(b, cand) !== v) {
          ip += 1 + (misses++ >> SKIP_TRIGGER);
          continue;
        }
        misses = 0;
        let s = ip;
        let c = cand;
        while (s > anchor && c > 0 && b[s - 1] === b[c - 1]) {
          s--;
          c--;
        }
        let e = ip + 4;
        let ce = cand + 4;
        while (e < matchLimit && b[e] === b[ce]) {
          e++;
          ce++;
        }
        o = this.sequence(o, anchor, s - anchor, s - c, e - s);
        ip = e;
        anchor = e;
        if (ip - 2 < mfLimit) {
          const h2 = hash32(read32(b, ip - 2));
          lineTable[h2] = ip - 2;
          stamps[h2] = gen;
        }
      }
    }
    o = this.sequence(o, anchor, end - anchor, 0, 0);
    return out.subarray(0, o);
  }

  /** One sequence at `o`: literals b[from, from + literals), then a match (none when length 0). */
  private sequence(o: number, from: number, literals: number, offset: number, length: number) {
    const out = this.out;
    const b = this.buf;
    const token = o++;
    if (literals >= 15) {
      let l = literals - 15;
      for (; l >= 255; l -= 255) out[o++] = 255;
      out[o++] = l;
    }
    if (literals < 16) for (let k = from; k < from + literals; k++) out[o++] = b[k]!;
    else {
      out.set(b.subarray(from, from + literals), o);
      o += literals;
    }
    let tokenValue = (literals >= 15 ? 15 : literals) << 4;
    if (length > 0) {
      out[o++] = offset & 255;
      out[o++] = offset >>> 8;
      let m = length - 4;
      tokenValue |= m >= 15 ? 15 : m;
      if (m >= 15) {
        for (m -= 15; m >= 255; m -= 255) out[o++] = 255;
        out[o++] = m;
      }
    }
    out[token] = tokenValue;
    return o;
  }
}

class JsLineDecompressor implements LineDecompressor {
  /** The dictionary, then the line being decoded (matches into the dictionary are plain copies). */
  private out: Uint8Array;
  private readonly base: number;

  constructor(dict: Uint8Array) {
    const d = window(dict);
    this.base = d.length;
    this.out = new Uint8Array(d.length + 4096);
    this.out.set(d, 0);
  }

  decompress(src: Uint8Array, size: number, want = size): Uint8Array {
    const base = this.base;
    const stop = base + size;
    const enough = base + Math.min(want, size);
    if (size > src.length * 255) {
      throw new Lz4FormatError(
        `states ${size} bytes decompressed, more than ${src.length} can hold`,
      );
    }
    if (this.out.length < stop) {
      const grown = new Uint8Array(Math.max(stop, 2 * this.out.length));
      grown.set(this.out.subarray(0, base), 0);
      this.out = grown;
    }
    const out = this.out;
    const end = src.length;
    let ip = 0;
    let op = base;
    for (;;) {
      if (op >= enough && op < stop) return out.subarray(base, op);
      if (ip >= end) throw new Lz4FormatError(`ends at byte ${ip} with ${stop - op} bytes to go`);
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
      if (literals > end - ip || literals > stop - op) {
        throw new Lz4FormatError(`${literals} literals at byte ${ip} run past the end`);
      }
      if (literals < 16) for (const last = ip + literals; ip < last;) out[op++] = src[ip++]!;
      else {
        out.set(src.subarray(ip, ip + literals), op);
        ip += literals;
        op += literals;
      }
      if (ip === end) break; // a block ends with a sequence of literals only
      if (end - ip < 2) throw new Lz4FormatError(`ends inside a match offset at byte ${ip}`);
      const offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      if (offset === 0 || offset > op) {
        throw new Lz4FormatError(`match offset ${offset} at byte ${ip - 2} is before the start`);
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
      if (length > stop - op) {
        throw new Lz4FormatError(`match of ${length} bytes at byte ${ip} runs past the end`);
      }
      let from = op - offset;
      if (length >= 16 && offset >= length) {
        out.copyWithin(op, from, from + length);
        op += length;
      } else {
        // Overlapping copies (offset < length) repeat the last `offset` bytes: byte by byte.
        for (const last = op + length; op < last;) out[op++] = out[from++]!;
      }
    }
    if (op !== stop) throw new Lz4FormatError(`decodes to ${op - base} bytes, not ${size}`);
    return out.subarray(base, stop);
  }
}

export function lineCompressor(dict: Uint8Array): LineCompressor {
  return new JsLineCompressor(dict);
}

export function lineDecompressor(dict: Uint8Array): LineDecompressor {
  return new JsLineDecompressor(dict);
}
