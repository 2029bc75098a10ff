// Term pages: one segment's dictionary for one field (sorted terms, each with the sorted local ids
// of the records that hold it), cut into pages of about PAGE_BYTES, plus a directory of each
// page's first term. A lookup reads the directory and one page; a range reads consecutive pages.
// Pure; the ingest workers encode, the store decodes.
//
// Page:      u32 n, u32 offset of each entry (from the page start), entries, u32 crc.
// Entry:     varint termLength, term bytes, varint (count << 1 | dense), then either delta varints
//            of the ids (first one absolute) or, when dense, a bitset of the segment's records.
// Directory: u32 n, u32 n+1 offsets into the term area, then the pages' first terms, u32 crc.
// The trailing crc (codec/checksum.ts) covers the bytes before it; TermPage and TermDirectory
// check it when built from bytes (once per page fetch: ~2.6 µs for 8 KiB) and throw
// ChecksumError, so a damaged page never hands back wrong postings.
import { ByteWriter, readU32 } from "./byte-writer.js";
import { appendChecksum, CHECKSUM_BYTES, verifyTrailer } from "./checksum.js";

/** ~8 KiB pages: two LMDB pages, ~250 hmac terms; a page binary search is ~8 compares. */
export const PAGE_BYTES = 8 << 10;

export interface EncodedField {
  readonly pages: Uint8Array[];
  readonly directory: Uint8Array;
  readonly termCount: number;
}

/**
 * Builds one field's pages from terms added in ascending byte order, each with its ascending
 * local ids (repeats of an id are dropped). Streaming: HMAC postings add their terms straight
 * from sorted typed arrays, with no Map or string per term.
 */
export class TermPagesWriter {
  private readonly pages: Uint8Array[] = [];
  private readonly firstTerms: Uint8Array[] = [];
  private readonly bitsetBytes: number;
  private entries = new ByteWriter(PAGE_BYTES * 2);
  private offsets: number[] = [];
  private pageFirst: Uint8Array = new Uint8Array(0);
  termCount = 0;

  constructor(private readonly segmentRecords: number) {
    this.bitsetBytes = Math.ceil(segmentRecords / 8);
  }

  /** Add a term (a binary string or bytes) with ids[from, to) ascending. */
  add(term: string | Uint8Array, ids: ArrayLike<number>, from = 0, to = ids.length): void {
    const e = this.entries;
    if (this.offsets.length === 0) {
      this.pageFirst = typeof term === "string" ? Buffer.from(term, "latin1") : term.slice();
    }
    this.offsets.push(e.length);
    this.termCount++;
    e.varint(term.length);
    if (typeof term === "string") e.binary(term);
    else e.bytes(term);
    let count = 0;
    for (let i = from; i < to; i++) if (i === from || ids[i] !== ids[i - 1]) count++;
    const dense = count * 8 > this.segmentRecords && count > 64;
    e.varint(count * 2 + (dense ? 1 : 0));
    if (dense) {
      const at = e.zeros(this.bitsetBytes);
      const raw = e.raw();
      for (let i = from; i < to; i++) {
        const id = ids[i]!;
        raw[at + (id >>> 3)]! |= 1 << (id & 7);
      }
    } else {
      let prev = 0;
      for (let i = from; i < to; i++) {
        const id = ids[i]!;
        if (i > from && id === ids[i - 1]) continue;
        e.varint(id - prev);
        prev = id;
      }
    }
    if (e.length >= PAGE_BYTES) this.flush();
  }

  private flush(): void {
    const n = this.offsets.length;
    if (n === 0) return;
    const page = new ByteWriter(4 + 4 * n + this.entries.length + CHECKSUM_BYTES);
    page.u32(n);
    const base = 4 + 4 * n;
    for (const o of this.offsets) page.u32(base + o);
    page.bytes(this.entries.view());
    appendChecksum(page, 0);
    this.pages.push(page.view().slice());
    this.firstTerms.push(this.pageFirst);
    this.entries = new ByteWriter(PAGE_BYTES * 2);
    this.offsets = [];
  }

  finish(): EncodedField {
    this.flush();
    const firstTerms = this.firstTerms;
    const dir = new ByteWriter(8 + 4 * (firstTerms.length + 1) + firstTerms.length * 16);
    dir.u32(firstTerms.length);
    let termBytes = 0;
    dir.u32(0);
    for (const t of firstTerms) {
      termBytes += t.length;
      dir.u32(termBytes);
    }
    for (const t of firstTerms) dir.bytes(t);
    appendChecksum(dir, 0);
    return { pages: this.pages, directory: dir.view().slice(), termCount: this.termCount };
  }
}

/** Encode sorted terms (binary strings) with ascending local ids. */
export function encodeTermPages(
  terms: readonly string[],
  postings: ReadonlyMap<string, readonly number[]>,
  segmentRecords: number,
): EncodedField {
  const writer = new TermPagesWriter(segmentRecords);
  for (const term of terms) writer.add(term, postings.get(term)!);
  return writer.finish();
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export class TermDirectory {
  readonly pageCount: number;
  private readonly buf: Buffer;
  private readonly termArea: number;

  /** Throws ChecksumError when the bytes are damaged. */
  constructor(bytes: Uint8Array) {
    verifyTrailer(bytes);
    this.buf = asBuffer(bytes);
    this.pageCount = readU32(this.buf, 0);
    this.termArea = 4 + 4 * (this.pageCount + 1);
  }

  firstTerm(page: number): Buffer {
    const s = readU32(this.buf, 4 + 4 * page);
    const e = readU32(this.buf, 8 + 4 * page);
    return this.buf.subarray(this.termArea + s, this.termArea + e);
  }

  /** The page that would hold `term`: the last whose first term is <= it; -1 when before all. */
  pageFor(term: Uint8Array): number {
    let lo = 0;
    let hi = this.pageCount - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.firstTerm(mid), term) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

/** A bitset over one segment's local record ids. */
export type Bitset = Uint32Array;

export function newBitset(records: number): Bitset {
  return new Uint32Array(Math.ceil(records / 32) || 1);
}

/** Where the varint that readVarint last read ends (a slot, not a returned object: it runs once
 * per posting on the query path). */
let varintEnd = 0;

/** The unsigned varint (ByteWriter.varint) at buf[at]; sets varintEnd. */
function readVarint(buf: Uint8Array, at: number): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = buf[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
  }
  varintEnd = at;
  return value;
}

export class TermPage {
  readonly count: number;
  private readonly buf: Buffer;

  /** Throws ChecksumError when the bytes are damaged. */
  constructor(bytes: Uint8Array) {
    verifyTrailer(bytes);
    this.buf = asBuffer(bytes);
    this.count = readU32(this.buf, 0);
  }

  private entryAt(i: number): number {
    return readU32(this.buf, 4 + 4 * i);
  }

  /** Term i as a view, and where its postings start. */
  private termAt(i: number): { term: Buffer; next: number } {
    const len = readVarint(this.buf, this.entryAt(i));
    const at = varintEnd;
    return { term: this.buf.subarray(at, at + len), next: at + len };
  }

  term(i: number): Buffer {
    return this.termAt(i).term;
  }

  /** Index of the first term >= `term` (count when none). */
  lowerBound(term: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.term(mid), term) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Where term i's postings start, how many records hold it, and whether they are a bitset. */
  private postingsOf(i: number): { at: number; count: number; dense: boolean } {
    const header = readVarint(this.buf, this.termAt(i).next);
    return { at: varintEnd, count: Math.floor(header / 2), dense: header % 2 === 1 };
  }

  /** How many records hold term i (without decoding them). */
  postingCount(i: number): number {
    return this.postingsOf(i).count;
  }

  /** Calls `onMatch` with term i's records that are set in `bits`, ascending, until it says stop. */
  private eachMatch(
    i: number,
    bits: Bitset,
    segmentRecords: number,
    onMatch: (id: number) => boolean,
  ): void {
    const buf = this.buf;
    const postings = this.postingsOf(i);
    let at = postings.at;
    if (postings.dense) {
      const bytes = Math.ceil(segmentRecords / 8);
      for (let byte = 0; byte < bytes; byte++) {
        let v = buf[at + byte]! & ((bits[byte >>> 2]! >>> ((byte & 3) * 8)) & 0xff);
        while (v !== 0) {
          const low = v & -v;
          if (!onMatch(byte * 8 + 31 - Math.clz32(low))) return;
          v ^= low;
        }
      }
      return;
    }
    let id = 0;
    for (let k = 0; k < postings.count; k++) {
      id += readVarint(buf, at);
      at = varintEnd;
      if ((bits[id >>> 5]! >>> (id & 31)) & 1 && !onMatch(id)) return;
    }
  }

  /** How many of term i's records are set in `bits` (`count by` from the dictionary). */
  countIn(i: number, bits: Bitset, segmentRecords: number): number {
    let n = 0;
    this.eachMatch(i, bits, segmentRecords, () => ++n > 0);
    return n;
  }

  /** The lowest of term i's records that is set in `bits`, or -1 when none is. */
  firstIn(i: number, bits: Bitset, segmentRecords: number): number {
    let first = -1;
    this.eachMatch(i, bits, segmentRecords, (id) => {
      first = id;
      return false;
    });
    return first;
  }

  /**
   * OR term i's records into `bits` (a bitset over the segment's `segmentRecords` records).
   * The query hot path: its own loops rather than eachMatch's callback per id.
   */
  addPostings(i: number, bits: Bitset, segmentRecords: number): void {
    const buf = this.buf;
    const { count, dense, at: start } = this.postingsOf(i);
    let at = start;
    if (dense) {
      const bytes = Math.ceil(segmentRecords / 8);
      for (let byte = 0; byte < bytes; byte++) {
        const v = buf[at + byte];
        if (v) bits[byte >>> 2]! |= v << ((byte & 3) * 8);
      }
      return;
    }
    let id = 0;
    for (let n = 0; n < count; n++) {
      id += readVarint(buf, at);
      at = varintEnd;
      bits[id >>> 5]! |= 1 << (id & 31);
    }
  }
}

/**
 * One term's records, as IndexReader.scanTerms hands them to its visitor: a cursor moved from
 * term to term, so it is only good during the visit.
 */
export class TermPostings {
  private page: TermPage | undefined;
  private index = 0;

  constructor(private readonly segmentRecords: number) {}

  /** Point at term `index` of `page`. */
  at(page: TermPage, index: number): void {
    this.page = page;
    this.index = index;
  }

  /** OR the records into `bits`. */
  add(bits: Bitset): void {
    this.page!.addPostings(this.index, bits, this.segmentRecords);
  }

  /** How many records hold the term (without decoding them). */
  count(): number {
    return this.page!.postingCount(this.index);
  }

  /** How many of the records are set in `bits`. */
  countIn(bits: Bitset): number {
    return this.page!.countIn(this.index, bits, this.segmentRecords);
  }

  /** The lowest of the records set in `bits`, or -1. */
  firstIn(bits: Bitset): number {
    return this.page!.firstIn(this.index, bits, this.segmentRecords);
  }
}
