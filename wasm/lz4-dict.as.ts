// LZ4 block compression and decompression of one line against an external dictionary, in
// AssemblyScript compiled to WebAssembly (`npm run build:wasm` writes the bytes into
// src/codec/lz4-dict-wasm-bytes.ts; src/codec/lz4-dict-wasm.ts loads them). One instance is either
// a compressor (one dictionary, hashed, and one line at a time) or a decompressor (several
// dictionaries in slots, and one line at a time).
//
// Format: a raw LZ4 block (no size prefix, no frame) where the dictionary logically precedes the
// line, so a match offset (1..65535) may reach back past the line's start into the dictionary's
// last bytes; what lz4-napi's compressSync(data, dict) writes after its 4-byte size prefix.
//
// A compressor's memory (addresses from `base`, above AssemblyScript's static data):
//   dictTable  DICT_ENTRIES u16: a dictionary position with that hash, from windowAt (0: none)
//   lineTable  LINE_ENTRIES u32: stamp of a position in the current line (see lineBase)
//   dictionary MAX_DICT bytes, right-aligned so that it ends where the line starts
//   line       `capacity` bytes: the line to compress
//   then       the compressed block, after a gap
// Dictionary and line are contiguous there, so a match is one address and may run from the
// dictionary into the line. A decompressor's memory:
//   slots      `useSlots` slots of MAX_DICT bytes, each a dictionary right-aligned in it
//   line       `capacity` bytes, after a gap: the decompressed line
//   then       the block to decompress, after a gap
// and a match that starts before the line is read from the dictionary's slot, then the line.
// Every bound is checked against the line's, the block's and the dictionary's ends.
//
// Copies may write up to COPY_SLACK - 1 bytes past the end of what they copy (16-byte vector
// stores); the layout keeps COPY_SLACK bytes free after each region so that never lands in data.

// Both tables together (48 KiB) about fit a core's L1 data cache.
const HASH_LOG: u32 = 14; // 16K dictionary entries: a 64 KiB dictionary keeps most of its positions
const DICT_ENTRIES: u32 = 1 << HASH_LOG;
const LINE_HASH_LOG: u32 = 12; // 4K line entries, LZ4's own default: plenty for a ~1 KB line
const LINE_ENTRIES: u32 = 1 << LINE_HASH_LOG;
const MAX_DICT: u32 = 65536;
const MAX_OFFSET: u32 = 65535;
const MIN_MATCH: u32 = 4;
const HASH_BYTES: u32 = 6;
const LAST_LITERALS: u32 = 5; // LZ4's end rule: the last 5 bytes are literals
const MF_LIMIT: u32 = 12; // LZ4's end rule: no match starts in the last 11 bytes
const SKIP_TRIGGER: u32 = 6; // LZ4's acceleration: the step grows by 1 every 64 misses
const COPY_SLACK: u32 = 64;
const PAGE_BYTES: u32 = 65536;

// Error codes returned by decompress (0: the block decoded to exactly `size` bytes).
const ERR_TRUNCATED: i32 = -1; // the block ends inside a sequence
const ERR_LITERALS_PAST_END: i32 = -2; // literals run past the block or past `size`
const ERR_OFFSET: i32 = -3; // offset 0, or before the dictionary's start
const ERR_MATCH_PAST_END: i32 = -4; // a match runs past `size`
const ERR_SHORT: i32 = -5; // the block ends before `size` bytes are out

const base: usize = (__heap_base + 15) & ~15;
const dictTable: usize = base;
const lineTable: usize = dictTable + (DICT_ENTRIES << 1);
const compressorLineAt: usize = lineTable + (LINE_ENTRIES << 2) + MAX_DICT;
/** dictTable's entries count from here; entry 0 (empty) is 65536 bytes before the line, beyond any offset. */
const windowAt: usize = compressorLineAt - MAX_DICT;

/** Where the line starts: after the compressor's dictionary, or after the decompressor's slots. */
let lineAt: usize = compressorLineAt;
let dictStart: usize = lineAt;
/** Bytes the line region holds; the block region starts after it. */
let capacity: u32 = 0;
/** Stamp of the current line's first byte in lineTable; entries below it are from older lines. */
let lineBase: u32 = 1;

/** Where the block region starts for the current capacity. */
function blockAt(): usize {
  return lineAt + capacity + COPY_SLACK;
}

/** Where the caller writes the dictionary (its last byte just before the line). */
export function dictionaryAt(dictBytes: u32): usize {
  return compressorLineAt - dictBytes;
}

/** Where the caller writes a line to compress, and reads a decompressed one. */
export function lineAddress(): usize {
  return lineAt;
}

/** The longest line the line region holds now (reserve grows it). */
export function lineCapacity(): u32 {
  return capacity;
}

/**
 * Make room for a line of `lineBytes` and a block of `blockBytes` (compress: its bound; decompress:
 * the block's length): returns the block region's address, or 0 if memory cannot grow.
 */
export function reserve(lineBytes: u32, blockBytes: u32): usize {
  if (lineBytes > capacity) capacity = (lineBytes + 4095) & ~4095;
  const end = <u64>blockAt() + <u64>blockBytes + <u64>COPY_SLACK;
  const have = <u64>memory.size() * PAGE_BYTES;
  if (end > have) {
    const pages = <i32>((end - have + PAGE_BYTES - 1) / PAGE_BYTES);
    if (memory.grow(pages) < 0) return 0;
  }
  return blockAt();
}

/** The largest block `compress` writes for a line of `n` bytes (LZ4_compressBound). */
export function compressBound(n: u32): u32 {
  return n + n / 255 + 16;
}

/**
 * Hash of the 6 bytes at `p` (it reads 8; the top 2 are shifted out). Six, not LZ4's minimum match
 * of 4: fewer 4-5 byte matches, which cost a sequence to save a byte or two. Measured against a
 * 4-byte hash on generated lines: 3-4 % faster, ratio 2.490 -> 2.504.
 */
@inline
function hash6(p: usize): u32 {
  return <u32>(((load<u64>(p) << 16) * 227718039650203) >> (64 - HASH_LOG));
}

/** Hash every position of the dictionary written at dictionaryAt(dictBytes) (a compressor's setup). */
export function loadDictionary(dictBytes: u32): void {
  dictStart = compressorLineAt - dictBytes;
  memory.fill(dictTable, 0, DICT_ENTRIES << 1);
  if (dictBytes < HASH_BYTES) return;
  const last = compressorLineAt - HASH_BYTES;
  for (let p = dictStart; p <= last; p++) {
    store<u16>(dictTable + (hash6(p) << 1), <u16>(p - windowAt));
  }
}

/** Copy `n` bytes from `src` to `dst`, forward, 16 at a time; `dst` may be written up to 15 past `n`. */
@inline
function wildCopy16(dst: usize, src: usize, n: u32): void {
  const end = dst + n;
  do {
    v128.store(dst, v128.load(src));
    dst += 16;
    src += 16;
  } while (dst < end);
}

@inline
function writeLength(op: usize, n: u32): usize {
  while (n >= 255) {
    store<u8>(op++, 255);
    n -= 255;
  }
  store<u8>(op++, <u8>n);
  return op;
}

/** Emit `n` literals from `from`, then (if `matchLength` >= MIN_MATCH) the match; returns the new op. */
@inline
function writeSequence(op: usize, from: usize, n: u32, offset: u32, matchLength: u32): usize {
  const tokenAt = op++;
  let token: u32 = n >= 15 ? 15 << 4 : n << 4;
  if (n >= 15) op = writeLength(op, n - 15);
  if (n > 0) {
    wildCopy16(op, from, n);
    op += n;
  }
  if (matchLength >= MIN_MATCH) {
    store<u16>(op, <u16>offset);
    op += 2;
    const m = matchLength - MIN_MATCH;
    if (m >= 15) {
      token |= 15;
      op = writeLength(op, m - 15);
    } else {
      token |= m;
    }
  }
  store<u8>(tokenAt, <u8>token);
  return op;
}

/**
 * Compress the `lineBytes` bytes at lineAddress() into the block region (reserve(lineBytes,
 * compressBound(lineBytes)) first); returns the block's length. Greedy LZ4: one hash probe per
 * position, the current line's table first, else the dictionary's.
 */
export function compress(lineBytes: u32): u32 {
  const out = blockAt();
  let op = out;
  const iend = compressorLineAt + lineBytes;
  let anchor = compressorLineAt;
  if (lineBytes > MF_LIMIT) {
    // Stamps must stay above every older line's: restart the table before they would wrap.
    if (lineBase > 0xffff_ffff - lineBytes - 1) {
      memory.fill(lineTable, 0, LINE_ENTRIES << 2);
      lineBase = 1;
    }
    const stampBase = lineBase - <u32>compressorLineAt; // stamp = address + stampBase (mod 2^32)
    const mfLimit = iend - MF_LIMIT; // the last address a match may start at
    const matchLimit = iend - LAST_LITERALS;
    let ip = compressorLineAt;
    while (true) {
      // Find a match: probe ip, ip+1, ... with a step that grows after 64 misses.
      let match: usize = 0;
      let misses: u32 = 1 << SKIP_TRIGGER;
      let found = false;
      while (ip <= mfLimit) {
        const h = hash6(ip);
        const slot = lineTable + ((h >> (HASH_LOG - LINE_HASH_LOG)) << 2);
        const seen = load<u32>(slot);
        store<u32>(slot, <u32>ip + stampBase);
        const here = load<u32>(ip);
        if (seen >= lineBase) {
          match = <usize>(seen - stampBase);
          if (ip - match <= MAX_OFFSET && load<u32>(match) == here) {
            found = true;
            break;
          }
        }
        const d = windowAt + <usize>load<u16>(dictTable + (h << 1));
        if (ip - d <= MAX_OFFSET && load<u32>(d) == here) {
          match = d;
          found = true;
          break;
        }
        ip += misses++ >> SKIP_TRIGGER;
      }
      if (!found) break;
      // Extend backwards over literals not yet emitted.
      while (ip > anchor && match > dictStart && load<u8>(ip - 1) == load<u8>(match - 1)) {
        ip--;
        match--;
      }
      // Extend forwards, 8 bytes at a time.
      let p = ip + MIN_MATCH;
      let m = match + MIN_MATCH;
      while (p + 8 <= matchLimit) {
        const diff = load<u64>(p) ^ load<u64>(m);
        if (diff != 0) {
          p += <usize>(ctz(diff) >> 3);
          break;
        }
        p += 8;
        m += 8;
      }
      if (p + 8 > matchLimit) {
        m = match + (p - ip);
        while (p < matchLimit && load<u8>(p) == load<u8>(m)) {
          p++;
          m++;
        }
      }
      op = writeSequence(op, anchor, <u32>(ip - anchor), <u32>(ip - match), <u32>(p - ip));
      ip = p;
      anchor = ip;
      if (ip > mfLimit) break;
      const h2 = ip - 2;
      store<u32>(lineTable + ((hash6(h2) >> (HASH_LOG - LINE_HASH_LOG)) << 2), <u32>h2 + stampBase);
    }
    lineBase += lineBytes + 1;
  }
  op = writeSequence(op, anchor, <u32>(iend - anchor), 0, 0);
  return <u32>(op - out);
}

@inline
function readLength(ip: usize, iend: usize, n: u32, limit: u32): u64 {
  // Returns (ip << 32 | n) packed: the new input address and the length; n > limit on error.
  let b: u32 = 255;
  while (b == 255) {
    if (ip >= iend || n > limit) return (<u64>ip << 32) | <u64>0xffff_ffff;
    b = load<u8>(ip++);
    n += b;
  }
  return (<u64>ip << 32) | <u64>n;
}

/**
 * Lay memory out for a decompressor with `slots` dictionary slots (the line and block regions move
 * up past them; call reserve next); returns the line's new address.
 */
export function useSlots(slots: u32): usize {
  lineAt = base + (<usize>slots << 16) + COPY_SLACK;
  return lineAt;
}

/** Where the dictionary in `slot` ends (a decompressor's; the caller writes it right-aligned). */
export function slotEnd(slot: u32): usize {
  return base + ((<usize>slot + 1) << 16);
}

/**
 * Decode the `blockBytes` bytes at the block region (reserve(size, blockBytes) first) into exactly
 * `size` bytes at lineAddress(), against the `dictBytes` dictionary in `slot`; returns 0, or a
 * negative ERR_ code. Never reads outside the block, the dictionary and the line written so far
 * (but for copies' over-reads, whose bytes are overwritten), never writes outside the line (plus
 * slack).
 */
export function decompress(slot: u32, dictBytes: u32, size: u32, blockBytes: u32): i32 {
  const dictEnd = slotEnd(slot);
  let ip = blockAt();
  const iend = ip + blockBytes;
  let op = lineAt;
  const oend = lineAt + size;
  while (true) {
    if (ip >= iend) return ERR_TRUNCATED;
    const token = <u32>load<u8>(ip++);
    let n = token >> 4;
    if (n == 15) {
      const r = readLength(ip, iend, n, size);
      ip = <usize>(r >> 32);
      n = <u32>r;
      if (n > size) return ERR_LITERALS_PAST_END;
    }
    if (<usize>n > iend - ip || <usize>n > oend - op) return ERR_LITERALS_PAST_END;
    if (n > 0) wildCopy16(op, ip, n);
    ip += n;
    op += n;
    if (ip == iend) break;
    if (iend - ip < 2) return ERR_TRUNCATED;
    const offset = <usize>load<u16>(ip);
    ip += 2;
    if (offset == 0) return ERR_OFFSET;
    let ml = token & 15;
    if (ml == 15) {
      const r = readLength(ip, iend, ml, size);
      ip = <usize>(r >> 32);
      ml = <u32>r;
      if (ml > size) return ERR_MATCH_PAST_END;
    }
    ml += MIN_MATCH;
    if (<usize>ml > oend - op) return ERR_MATCH_PAST_END;
    const inLine = op - lineAt;
    if (offset > inLine) {
      // The match starts in the dictionary: copy from its slot, then on from the line's start.
      const back = offset - inLine;
      if (back > <usize>dictBytes) return ERR_OFFSET;
      if (<usize>ml <= back) {
        wildCopy16(op, dictEnd - back, ml);
        op += ml;
        continue;
      }
      wildCopy16(op, dictEnd - back, <u32>back);
      op += back;
      ml -= <u32>back;
    }
    let src = op - offset;
    if (offset >= 16) {
      wildCopy16(op, src, ml);
    } else if (offset >= 8) {
      const end = op + ml;
      let d = op;
      do {
        store<u64>(d, load<u64>(src));
        d += 8;
        src += 8;
      } while (d < end);
    } else {
      const end = op + ml;
      let d = op;
      while (d < end) store<u8>(d++, load<u8>(src++));
    }
    op += ml;
  }
  return op == oend ? 0 : ERR_SHORT;
}
