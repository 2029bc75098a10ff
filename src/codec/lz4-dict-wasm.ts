// How is one line compressed on its own, against a segment's dictionary, and read back? LZ4 block
// compression with an external dictionary, run in WebAssembly (wasm/lz4-dict.as.ts, compiled into
// lz4-dict-wasm-bytes.ts by `npm run build:wasm`). Pure; safe in workers.
//
// Format: a raw LZ4 block (no size prefix, no frame) where the dictionary logically precedes the
// line: a match offset (<= 65535) may reach back past the line's start into the dictionary's last
// bytes. It is lz4-napi's compressSync(data, dict) / uncompressSync(data, dict) without their
// 4-byte little-endian size prefix, so either side can be swapped for the other.
//
// Cost: the module compiles once per thread on first use (~1 ms, synchronously: `new
// WebAssembly.Module`). Each compressor is its own instance (~0.6 ms to make, ~200 KiB plus the
// longest line): it hashes the dictionary once, then per line copies the line into its memory and
// hands back a view of the block there. The decompressors of a thread share one instance, whose
// memory holds the dictionaries of the last DECODER_SLOTS decompressors used: a decompressor costs
// a copy of its dictionary, once, and again only if it was pushed out. Per-line costs measured in
// bench/lz4-dict-bench.ts.
//
// Contract: decompress never reads outside the block, the dictionary and the line it is writing,
// never writes outside the line, and throws ChecksumError for a block that does not decode to
// exactly `size` bytes (truncated, an offset before the dictionary's start, lengths past either
// end, trailing bytes). Its result is a view that the next decompress on this thread, by any
// decompressor, overwrites.
import { ChecksumError } from "./checksum.js";
import { LZ4_DICT_WASM_BASE64 } from "./lz4-dict-wasm-bytes.js";

export interface LineCompressor {
  /** src[from, to) compressed against the dictionary. The result is a view valid until the next call. */
  compress(src: Uint8Array, from: number, to: number): Uint8Array;
}

export interface LineDecompressor {
  /**
   * `block` decoded against the dictionary into exactly `size` bytes; a view valid until the next
   * call (here: of any decompressor on this thread). Throws ChecksumError if `block` does not
   * decode to exactly `size` bytes.
   */
  decompress(block: Uint8Array, size: number): Uint8Array;
}

/** A dictionary's bytes kept: its last 64 KiB (an LZ4 offset reaches back at most 65535 bytes). */
export const MAX_DICT_BYTES = 65536;
/** The longest line either side takes: the instance's 32-bit memory holds the line and its block. */
export const MAX_LINE_BYTES = 1 << 30;
/** LZ4 cannot expand one compressed byte to more than 255 (a length byte of 255 per 255 bytes out). */
const MAX_RATIO = 255;
/** Room reserved for the first line, grown to the longest seen. */
const INITIAL_LINE_BYTES = 16 << 10;
/**
 * Dictionaries the thread's decoder holds at once (64 KiB of its memory each): a read that needs
 * another copies it in (~64 KiB) over the least recently used.
 */
const DECODER_SLOTS = 64;
/**
 * Lines longer than this decode in an instance of their own (~0.5 ms to make, nothing next to
 * decoding a megabyte), because a WebAssembly memory never shrinks.
 */
const SHARED_LINE_BYTES = 1 << 20;

/** What wasm/lz4-dict.as.ts exports (addresses and lengths are u32 in the instance's memory). */
interface Lz4DictExports {
  memory: { buffer: ArrayBuffer };
  dictionaryAt(dictBytes: number): number;
  lineAddress(): number;
  reserve(lineBytes: number, blockBytes: number): number;
  lineCapacity(): number;
  compressBound(lineBytes: number): number;
  loadDictionary(dictBytes: number): void;
  compress(lineBytes: number): number;
  useSlots(slots: number): number;
  slotEnd(slot: number): number;
  decompress(slot: number, dictBytes: number, size: number, blockBytes: number): number;
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

/** An instance's memory as seen from here: where the line and the block lie, and how much room. */
class Lz4DictInstance {
  readonly wasm = instantiate();
  lineAt = this.wasm.lineAddress();
  lineRoom = 0;
  blockAt = 0;
  blockRoom = 0;
  memory = new Uint8Array(0);

  /** Make room for a line of `lineBytes` and a block of `blockBytes`. */
  reserve(lineBytes: number, blockBytes: number): void {
    if (lineBytes > MAX_LINE_BYTES || blockBytes > 2 * MAX_LINE_BYTES) {
      throw new RangeError(`a line is at most ${MAX_LINE_BYTES} bytes, not ${lineBytes}`);
    }
    // The block region moves up when the line region grows: keep room for the largest block seen.
    const blockRoom = Math.max(this.blockRoom, blockBytes);
    const blockAt = this.wasm.reserve(Math.max(lineBytes, this.lineRoom), blockRoom);
    if (blockAt === 0) throw new RangeError(`no memory for a line of ${lineBytes} bytes`);
    this.lineAt = this.wasm.lineAddress();
    this.lineRoom = this.wasm.lineCapacity();
    this.blockAt = blockAt;
    this.blockRoom = blockRoom;
    this.memory = new Uint8Array(this.wasm.memory.buffer);
  }
}

class WasmLineCompressor implements LineCompressor {
  private readonly at = new Lz4DictInstance();

  constructor(dict: Uint8Array) {
    dict = reachable(dict);
    const at = this.at;
    at.reserve(INITIAL_LINE_BYTES, at.wasm.compressBound(INITIAL_LINE_BYTES));
    at.memory.set(dict, at.wasm.dictionaryAt(dict.length));
    at.wasm.loadDictionary(dict.length);
  }

  compress(src: Uint8Array, from: number, to: number): Uint8Array {
    if (!(0 <= from && from <= to && to <= src.length)) {
      throw new RangeError(`[${from}, ${to}) is not a range of ${src.length} bytes`);
    }
    const at = this.at;
    const lineBytes = to - from;
    const bound = lineBytes + ((lineBytes / 255) | 0) + 16;
    if (lineBytes > at.lineRoom || bound > at.blockRoom) at.reserve(lineBytes, bound);
    at.memory.set(src.subarray(from, to), at.lineAt);
    const blockBytes = at.wasm.compress(lineBytes);
    return at.memory.subarray(at.blockAt, at.blockAt + blockBytes);
  }
}

/** Why decompress gave up, by the wasm's error code. */
const DECODE_ERRORS: Record<number, string> = {
  [-1]: "the block ends inside a sequence",
  [-2]: "literals run past the block or the line's size",
  [-3]: "a match offset is 0 or reaches before the dictionary",
  [-4]: "a match runs past the line's size",
  [-5]: "the block ends before the line's size",
};

/**
 * The thread's one decompressing instance: the dictionaries of the decompressors in use lie in its
 * slots (the least recently used gives way to a new one), so a decompressor costs a copy of its
 * dictionary, not an instance (measured ~0.4 ms and ~200 KiB each).
 */
class SharedDecoder {
  private readonly at = new Lz4DictInstance();
  private slots = 0;
  /** The token of the decompressor whose dictionary is in each slot, and when it last decoded. */
  private readonly owners: object[] = [];
  private readonly lastUse: number[] = [];
  private uses = 0;

  constructor() {
    this.at.wasm.useSlots(0);
    this.at.reserve(INITIAL_LINE_BYTES, INITIAL_LINE_BYTES);
  }

  decompress(d: WasmLineDecompressor, block: Uint8Array, size: number): Uint8Array {
    const slot = this.slotOf(d);
    const at = this.at;
    if (size > at.lineRoom || block.length > at.blockRoom) at.reserve(size, block.length);
    at.memory.set(block, at.blockAt);
    const code = at.wasm.decompress(slot, d.dict.length, size, block.length);
    if (code !== 0) {
      throw new ChecksumError(
        `is not a valid LZ4 block of ${size} bytes (${DECODE_ERRORS[code] ?? `error ${code}`})`,
      );
    }
    return at.memory.subarray(at.lineAt, at.lineAt + size);
  }

  /** The slot that holds `d`'s dictionary, copied in (in a new slot or the least recently used) if not. */
  private slotOf(d: WasmLineDecompressor): number {
    let slot = d.slot;
    if (slot < 0 || this.owners[slot] !== d.token) {
      if (this.slots < DECODER_SLOTS) {
        slot = this.slots++;
        this.at.lineAt = this.at.wasm.useSlots(this.slots);
        this.at.reserve(this.at.lineRoom, this.at.blockRoom);
      } else {
        slot = 0;
        for (let i = 1; i < this.slots; i++) if (this.lastUse[i]! < this.lastUse[slot]!) slot = i;
      }
      this.at.memory.set(d.dict, this.at.wasm.slotEnd(slot) - d.dict.length);
      this.owners[slot] = d.token;
      d.slot = slot;
    }
    this.lastUse[slot] = ++this.uses;
    return slot;
  }
}

let decoder: SharedDecoder | undefined;

class WasmLineDecompressor implements LineDecompressor {
  /** A copy: the caller's bytes may be a reused buffer (an LMDB read, say). */
  readonly dict: Uint8Array;
  /** Stands for this decompressor in the decoder's slots (which must not keep `dict` alive). */
  readonly token = {};
  /** The decoder slot its dictionary was last copied into (another's may be there now). */
  slot = -1;

  constructor(dict: Uint8Array) {
    this.dict = new Uint8Array(reachable(dict)); // a copy (a Buffer's slice() would be a view)
  }

  decompress(block: Uint8Array, size: number): Uint8Array {
    // No line compress takes decodes to more than MAX_LINE_BYTES: a larger size is damage too.
    const most = Math.min(block.length * MAX_RATIO, MAX_LINE_BYTES);
    if (!(Number.isInteger(size) && size >= 0 && size <= most)) {
      throw new ChecksumError(
        `is not a valid LZ4 block (${block.length} bytes cannot decode to ${size} bytes)`,
      );
    }
    if (size > SHARED_LINE_BYTES) {
      // A one-off instance, so that the thread's decoder does not keep this much memory for good.
      const slot = this.slot;
      try {
        return new SharedDecoder().decompress(this, block, size);
      } finally {
        this.slot = slot;
      }
    }
    decoder ??= new SharedDecoder();
    return decoder.decompress(this, block, size);
  }
}

/** The part of `dict` a match can reach: its last MAX_DICT_BYTES (as lz4-napi and LZ4 take it). */
function reachable(dict: Uint8Array): Uint8Array {
  return dict.length > MAX_DICT_BYTES ? dict.subarray(dict.length - MAX_DICT_BYTES) : dict;
}

/** A compressor for lines against `dict` (its last 64 KiB; hashed once, here). */
export function lineCompressor(dict: Uint8Array): LineCompressor {
  return new WasmLineCompressor(dict);
}

/**
 * A decompressor for lines compressed against `dict` (its last 64 KiB; by either this module or
 * lz4-napi). The view
 * decompress returns is valid until the next decompress of any decompressor of this thread.
 */
export function lineDecompressor(dict: Uint8Array): LineDecompressor {
  return new WasmLineDecompressor(dict);
}
