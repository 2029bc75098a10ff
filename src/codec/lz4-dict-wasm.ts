// How is one line compressed on its own, against a segment's dictionary, and read back? LZ4 block
// compression with an external dictionary, run in WebAssembly (wasm/lz4-dict.as.ts, compiled into
// lz4-dict-wasm-bytes.ts by `npm run build:wasm`). Pure; safe in workers.
//
// Format: a raw LZ4 block (no size prefix, no frame) where the dictionary logically precedes the
// line: a match offset (<= 65535) may reach back past the line's start into the dictionary's last
// bytes. It is lz4-napi's compressSync(data, dict) / uncompressSync(data, dict) without their
// 4-byte little-endian size prefix, so either side can be swapped for the other.
//
// Cost: the module compiles once per process on first use (~1 ms, synchronously: `new
// WebAssembly.Module`); each compressor or decompressor is its own instance with its own memory
// (~200 KiB plus the longest line and its block), so it must not be shared across threads. The
// compressor hashes the dictionary once, at lineCompressor; per line it copies the line into the
// instance's memory and hands back a view of the block in it (see bench/lz4-dict-bench.ts).
//
// Contract: decompress never reads or writes outside the instance's memory regions for the
// dictionary, the line and the block, and throws ChecksumError for a block that does not decode
// to exactly `size` bytes (truncated, an offset before the dictionary's start, lengths past either
// end, trailing bytes).
import { ChecksumError } from "./checksum.js";
import { LZ4_DICT_WASM_BASE64 } from "./lz4-dict-wasm-bytes.js";

export interface LineCompressor {
  /** src[from, to) compressed against the dictionary. The result is a view valid until the next call. */
  compress(src: Uint8Array, from: number, to: number): Uint8Array;
}

export interface LineDecompressor {
  /**
   * `block` decoded against the dictionary into exactly `size` bytes; a view valid until the next
   * call. Throws ChecksumError if `block` does not decode to exactly `size` bytes.
   */
  decompress(block: Uint8Array, size: number): Uint8Array;
}

/** The longest dictionary an LZ4 offset can reach across (its last 65535 bytes, plus one). */
export const MAX_DICT_BYTES = 65536;
/** The longest line either side takes: the instance's 32-bit memory holds the line and its block. */
export const MAX_LINE_BYTES = 1 << 30;
/** LZ4 cannot expand one compressed byte to more than 255 (a length byte of 255 per 255 bytes out). */
const MAX_RATIO = 255;
/** Room reserved for the first line, grown to the longest seen. */
const INITIAL_LINE_BYTES = 16 << 10;

/** What wasm/lz4-dict.as.ts exports (addresses and lengths are u32 in the instance's memory). */
interface Lz4DictExports {
  memory: { buffer: ArrayBuffer };
  dictionaryAt(dictBytes: number): number;
  lineAddress(): number;
  reserve(lineBytes: number, blockBytes: number): number;
  lineCapacity(): number;
  compressBound(lineBytes: number): number;
  useDictionary(dictBytes: number): void;
  loadDictionary(dictBytes: number): void;
  compress(lineBytes: number): number;
  decompress(size: number, blockBytes: number): number;
}

/** The part of the WebAssembly global this module uses (TypeScript's node typings lack it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

let compiled: object | undefined;

function instantiate(): Lz4DictExports {
  const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  compiled ??= new api.Module(Buffer.from(LZ4_DICT_WASM_BASE64, "base64"));
  return new api.Instance(compiled, {}).exports as Lz4DictExports;
}

/** Why decompress gave up, by the wasm's error code. */
const DECODE_ERRORS: Record<number, string> = {
  [-1]: "the block ends inside a sequence",
  [-2]: "literals run past the block or the line's size",
  [-3]: "a match offset is 0 or reaches before the dictionary",
  [-4]: "a match runs past the line's size",
  [-5]: "the block ends before the line's size",
};

/** One instance: its memory, the line's address and the block's (which moves when memory grows). */
class Lz4DictInstance {
  protected readonly wasm = instantiate();
  protected readonly lineAt = this.wasm.lineAddress();
  protected lineRoom = 0;
  protected blockRoom = 0;
  protected blockAt = 0;
  protected memory = new Uint8Array(0);

  constructor(dict: Uint8Array) {
    if (dict.length > MAX_DICT_BYTES) {
      throw new RangeError(
        `an LZ4 dictionary is at most ${MAX_DICT_BYTES} bytes, not ${dict.length}`,
      );
    }
    this.reserve(INITIAL_LINE_BYTES, this.wasm.compressBound(INITIAL_LINE_BYTES));
    this.memory.set(dict, this.wasm.dictionaryAt(dict.length));
  }

  /** Make room for a line of `lineBytes` and a block of `blockBytes`. */
  protected reserve(lineBytes: number, blockBytes: number): void {
    if (lineBytes > MAX_LINE_BYTES || blockBytes > 2 * MAX_LINE_BYTES) {
      throw new RangeError(`a line is at most ${MAX_LINE_BYTES} bytes, not ${lineBytes}`);
    }
    // The block region moves up when the line region grows: keep room for the largest block seen.
    const blockRoom = Math.max(this.blockRoom, blockBytes);
    const blockAt = this.wasm.reserve(lineBytes, blockRoom);
    if (blockAt === 0) throw new RangeError(`no memory for a line of ${lineBytes} bytes`);
    this.blockAt = blockAt;
    this.lineRoom = this.wasm.lineCapacity();
    this.blockRoom = blockRoom;
    this.memory = new Uint8Array(this.wasm.memory.buffer);
  }
}

class WasmLineCompressor extends Lz4DictInstance implements LineCompressor {
  constructor(dict: Uint8Array) {
    super(dict);
    this.wasm.loadDictionary(dict.length);
  }

  compress(src: Uint8Array, from: number, to: number): Uint8Array {
    if (!(0 <= from && from <= to && to <= src.length)) {
      throw new RangeError(`[${from}, ${to}) is not a range of ${src.length} bytes`);
    }
    const lineBytes = to - from;
    const bound = lineBytes + ((lineBytes / 255) | 0) + 16;
    if (lineBytes > this.lineRoom || bound > this.blockRoom) this.reserve(lineBytes, bound);
    this.memory.set(src.subarray(from, to), this.lineAt);
    const blockBytes = this.wasm.compress(lineBytes);
    return this.memory.subarray(this.blockAt, this.blockAt + blockBytes);
  }
}

class WasmLineDecompressor extends Lz4DictInstance implements LineDecompressor {
  constructor(dict: Uint8Array) {
    super(dict);
    this.wasm.useDictionary(dict.length);
  }

  decompress(block: Uint8Array, size: number): Uint8Array {
    if (!(Number.isInteger(size) && size >= 0 && size <= block.length * MAX_RATIO)) {
      throw new ChecksumError(
        `is not a valid LZ4 block (${block.length} bytes cannot decode to ${size} bytes)`,
      );
    }
    if (size > this.lineRoom || block.length > this.blockRoom) this.reserve(size, block.length);
    this.memory.set(block, this.blockAt);
    const code = this.wasm.decompress(size, block.length);
    if (code !== 0) {
      throw new ChecksumError(
        `is not a valid LZ4 block of ${size} bytes (${DECODE_ERRORS[code] ?? `error ${code}`})`,
      );
    }
    return this.memory.subarray(this.lineAt, this.lineAt + size);
  }
}

/** A compressor for lines against `dict` (at most 65536 bytes; hashed once, here). */
export function lineCompressor(dict: Uint8Array): LineCompressor {
  return new WasmLineCompressor(dict);
}

/** A decompressor for lines compressed against `dict` (by either this module or lz4-napi). */
export function lineDecompressor(dict: Uint8Array): LineDecompressor {
  return new WasmLineDecompressor(dict);
}
