// The reader half of the store: "here is a record id, give me the line" and "here is a field and a
// term (or a range of terms), give me the records that hold it, segment by segment". Reads never
// block the writer (LMDB MVCC). Costs: a term lookup is one directory get and one page get per
// segment (~5 µs each); a record fetch decompresses one 16 KiB part of a block (blocks cached,
// LRU of BLOCK_CACHE). Every value read is verified (its CRC-32, and against the segment record):
// damage throws the damaged-index error (store/index-damage.ts) naming the part, never a wrong
// answer.
import { isLineBlock, RecordBlock, type SegmentDictionary } from "../codec/record-block.js";
import {
  TermDirectory,
  TermPage,
  TermPostings,
  newBitset,
  type Bitset,
} from "../codec/term-pages.js";
import {
  blockKey,
  DIRECTORY_PAGE,
  termPageKey,
  type FileMeta,
  type SegmentMeta,
} from "./format.js";
import type { IndexEnv } from "./index-env.js";
import { asDamage, damagedIndex, readingIndex } from "./index-damage.js";
import { dictionaryValue, readDictionary } from "./segment-dictionary.js";
import {
  checkFilesAgainstSegments,
  decodeBadLine,
  readFileMetas,
  readSegmentMetas,
} from "./meta-records.js";
import type { Database, Transaction } from "lmdb";
import { fieldByCode, fieldOfKind } from "../audit/field-catalog.js";
import { timeKey } from "../audit/time-key.js";
import { fileOrigin, type RecordOrigin } from "../audit/record-origin.js";

const TIME_CODE = fieldOfKind("time").code;

/** Blocks kept (with the parts decoded so far): at most 64 × 64 KiB = 4 MiB, enough for a sort
 * or pair over hot blocks. */
const BLOCK_CACHE = 64;

/**
 * Term pages kept, verified and decoded (at most 512 × 8 KiB = 4 MiB): a long-running reader
 * (serve) answers the same lookups again and again, and reading a page (an LMDB copy and its
 * CRC-32) was half of an `ip = X` plan's cost in each segment.
 */
const PAGE_CACHE = 512;
/** Segment dictionaries kept (64 KiB each; a 1 GiB log makes ~64 segments). */
const DICTIONARY_CACHE = 256;

export interface BadLineRow {
  readonly file: number;
  readonly line: number;
  readonly reason: string;
}

// Every indexed file's metadata, by id, verified (the ingest and live loops read it from here).
export { readFileMetas };

/** "segment 12's term page 3 for ip", for messages. */
function termPageName(field: number, segment: SegmentMeta, page: number): string {
  const name = fieldByCode(field)?.name ?? `field ${field}`;
  const what = page === DIRECTORY_PAGE ? "term directory" : `term page ${page}`;
  return `segment ${segment.id}'s ${what} for ${name}`;
}

/** lmdb's getBinary takes read options; its typings omit them. */
function getIn(db: Database<Buffer, Buffer>, key: Buffer, txn: Transaction): Buffer | undefined {
  return (db.getBinary as (k: Buffer, o: { transaction: Transaction }) => Buffer | undefined).call(
    db,
    key,
    { transaction: txn },
  );
}

/**
 * lmdb's getBinaryFast: no copy (a large value is a view of the map), but the bytes are only good
 * until the next read. A small value comes in lmdb's shared buffer (`isGlobal`), longer than the
 * value: its length is the database's `lastSize` (what getBinary slices to).
 */
function getFastIn(
  db: Database<Buffer, Buffer>,
  key: Buffer,
  txn: Transaction,
): Buffer | undefined {
  const fast = db as unknown as {
    getBinaryFast(k: Buffer, o: { transaction: Transaction }): Buffer | undefined;
    lastSize: number;
  };
  const bytes = fast.getBinaryFast(key, { transaction: txn });
  if (bytes === undefined) return undefined;
  return (bytes as Buffer & { isGlobal?: boolean }).isGlobal
    ? bytes.subarray(0, fast.lastSize)
    : bytes;
}

export class IndexReader {
  readonly segments: readonly SegmentMeta[];
  /**
   * The reader's snapshot: every read goes through one pinned read transaction, so segment
   * compaction (which deletes the merged segments' keys) never pulls data from under a reader
   * that listed the old segments (LMDB MVCC). Released when the environment closes.
   */
  private readonly txn: Transaction;
  readonly recordCount: number;
  /** Blocks by the id of their first record (a number: no key string a read). */
  private readonly blockCache = new Map<number, RecordBlock>();
  /** The key of the block being read, rewritten for each read (lmdb copies it). */
  private readonly blockKeyScratch = Buffer.alloc(8);
  private readonly dictionaryCache = new Map<number, SegmentDictionary>();
  private readonly dirCache = new Map<string, TermDirectory>();
  private readonly pageCache = new Map<string, TermPage>();
  private readonly timeBounds = new Map<
    number,
    { min: Uint8Array; max: Uint8Array; everyRecord: boolean }
  >();

  private origins: Map<number, RecordOrigin> | undefined;

  constructor(readonly env: IndexEnv) {
    this.txn = readingIndex(env.dir, "its read snapshot", () => env.root.useReadTransaction());
    const segments = readSegmentMetas(env, this.txn);
    this.segments = segments;
    const last = segments[segments.length - 1];
    this.recordCount = last ? last.base + last.records : 0;
  }

  /**
   * End the reader's snapshot (its pinned read transaction), for a long-running process that
   * moves to a newer reader (serve): a reader left open keeps LMDB from reusing the pages its
   * snapshot sees. Nothing may be read through this reader afterwards.
   */
  release(): void {
    this.txn.done();
  }

  /** Every indexed file's record, verified against the segments (in the reader's snapshot). */
  files(): FileMeta[] {
    const files = readFileMetas(this.env, this.txn);
    checkFilesAgainstSegments(this.env.dir, files, this.segments);
    return files;
  }

  *badLines(): Generator<BadLineRow> {
    const rows = this.env.bad.getRange({ transaction: this.txn })[Symbol.iterator]();
    for (;;) {
      const next = readingIndex(this.env.dir, "the bad-line list", () => rows.next());
      if (next.done) return;
      const { key, value } = next.value;
      if (key.length !== 8) throw damagedIndex(this.env.dir, "the bad-line list has a damaged key");
      const file = key.readUInt32BE(0);
      const line = key.readUInt32BE(4);
      yield { file, line, reason: decodeBadLine(this.env.dir, file, line, value) };
    }
  }

  /** The origin (source, device) of a segment's records: its file's, from the file records. */
  originOf(segment: SegmentMeta): RecordOrigin | undefined {
    if (this.origins === undefined) {
      this.origins = new Map(this.files().map((f) => [f.id, fileOrigin(f)]));
    }
    return this.origins.get(segment.file);
  }

  /** The segment holding a record id. */
  segmentOf(id: number): SegmentMeta | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = segs[mid]!;
      if (id < s.base) hi = mid - 1;
      else if (id >= s.base + s.records) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /**
   * Line `line` of a block, through the block cache. A block opened here decodes its first line
   * from the bytes it was opened with (one LMDB read, not two: the read copies the whole value).
   */
  private blockLine(segment: SegmentMeta, blockNo: number, line: number): Buffer {
    const cacheKey = segment.base + segment.blockStarts[blockNo]!;
    let block = this.blockCache.get(cacheKey);
    if (block) {
      this.blockCache.delete(cacheKey);
      this.blockCache.set(cacheKey, block);
      return block.line(line);
    }
    // The block reads its bytes again for each part it decompresses, rather than keeping a copy.
    const read = (): Buffer => {
      const key = this.blockKeyScratch;
      key.writeUInt32BE(segment.id, 0);
      key.writeUInt32BE(blockNo, 4);
      const bytes = getFastIn(this.env.blocks, key, this.txn);
      if (!bytes)
        throw damagedIndex(
          this.env.dir,
          `segment ${segment.id}'s record block ${blockNo} is missing`,
        );
      return bytes;
    };
    let bytes = read();
    let dictionary: SegmentDictionary | undefined;
    if (isLineBlock(bytes)) {
      const first = !this.dictionaryCache.has(segment.id);
      dictionary = this.dictionary(segment);
      // Reading the dictionary reused lmdb's read buffer: read the block again.
      if (first) bytes = read();
    }
    block = new RecordBlock(read, dictionary, bytes);
    const starts = segment.blockStarts;
    const records = (starts[blockNo + 1] ?? segment.records) - starts[blockNo]!;
    if (block.count !== records) {
      throw damagedIndex(
        this.env.dir,
        `segment ${segment.id}'s record block ${blockNo} holds ${block.count} records, not ${records}`,
      );
    }
    const out = block.line(line, bytes);
    this.blockCache.set(cacheKey, block);
    if (this.blockCache.size > BLOCK_CACHE) {
      this.blockCache.delete(this.blockCache.keys().next().value!);
    }
    return out;
  }

  /** A segment's dictionary (its line blocks need it), read and verified once a reader. */
  private dictionary(segment: SegmentMeta): SegmentDictionary {
    let dict = this.dictionaryCache.get(segment.id);
    if (dict === undefined) {
      dict = readDictionary(this.env, segment, this.txn);
      this.dictionaryCache.set(segment.id, dict);
      if (this.dictionaryCache.size > DICTIONARY_CACHE) {
        this.dictionaryCache.delete(this.dictionaryCache.keys().next().value!);
      }
    }
    return dict;
  }

  /**
   * A segment's compressed blocks back to back, with block i at [offsets[i], offsets[i+1]); the
   * bytes before offsets[0] are its dictionary's stored value when its blocks are line blocks
   * (SegmentDictionary), none otherwise. The segment's digest is taken over all of it.
   */
  segmentBlocks(segment: SegmentMeta): { buffer: ArrayBuffer; offsets: number[] } {
    // Two passes over lmdb's uncopied views: sizes first, then one copy into the result.
    // The blocks' checksums are verified where they are decompressed: in the scan workers.
    const block = (b: number): Buffer => {
      const where = `segment ${segment.id}'s record block ${b}`;
      const bytes = readingIndex(this.env.dir, where, () =>
        getFastIn(this.env.blocks, blockKey(segment.id, b), this.txn),
      );
      if (!bytes) throw damagedIndex(this.env.dir, `${where} is missing`);
      return bytes;
    };
    const count = segment.blockStarts.length;
    const dictionary = dictionaryValue(this.env, segment, this.txn);
    const offsets = [dictionary?.length ?? 0];
    for (let b = 0; b < count; b++) offsets.push(offsets[b]! + block(b).length);
    const all = Buffer.allocUnsafeSlow(offsets[count]!);
    dictionary?.copy(all, 0);
    for (let b = 0; b < count; b++) block(b).copy(all, offsets[b]!);
    return { buffer: all.buffer as ArrayBuffer, offsets };
  }

  /** The original line of a record, byte for byte (a view: copy it to keep it past the next read). */
  line(id: number): Buffer {
    const segment = this.segmentOf(id);
    if (!segment) throw new RangeError(`no record ${id}`);
    return this.lineInSegment(segment, id - segment.base);
  }

  lineInSegment(segment: SegmentMeta, local: number): Buffer {
    const starts = segment.blockStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= local) lo = mid;
      else hi = mid - 1;
    }
    try {
      return this.blockLine(segment, lo, local - starts[lo]!);
    } catch (err) {
      throw asDamage(err, this.env.dir, `segment ${segment.id}'s record block ${lo}`);
    }
  }

  /** The error to throw for what a scan worker found damaged in a segment's block. */
  damagedBlock(segment: SegmentMeta, block: number, reason: string): Error {
    return damagedIndex(this.env.dir, `segment ${segment.id}'s record block ${block} ${reason}`);
  }

  private directory(field: number, segment: SegmentMeta): TermDirectory | undefined {
    const pages = segment.fieldPages[field];
    if (!pages) return undefined;
    const cacheKey = `${field}:${segment.id}`;
    let dir = this.dirCache.get(cacheKey);
    if (dir === undefined) {
      dir = this.termValue(field, segment, DIRECTORY_PAGE, (bytes) => new TermDirectory(bytes));
      if (dir.pageCount !== pages) {
        const name = termPageName(field, segment, DIRECTORY_PAGE);
        throw damagedIndex(this.env.dir, `${name} lists ${dir.pageCount} pages, not ${pages}`);
      }
      this.dirCache.set(cacheKey, dir);
    }
    return dir;
  }

  private page(field: number, segment: SegmentMeta, page: number): TermPage {
    const cacheKey = `${field}:${segment.id}:${page}`;
    let cached = this.pageCache.get(cacheKey);
    if (cached) {
      this.pageCache.delete(cacheKey);
      this.pageCache.set(cacheKey, cached);
      return cached;
    }
    cached = this.termValue(field, segment, page, (bytes) => new TermPage(bytes));
    this.pageCache.set(cacheKey, cached);
    if (this.pageCache.size > PAGE_CACHE) {
      this.pageCache.delete(this.pageCache.keys().next().value!);
    }
    return cached;
  }

  /** A term page or directory, read and verified (decode checks the checksum). */
  private termValue<T>(
    field: number,
    segment: SegmentMeta,
    page: number,
    decode: (bytes: Buffer) => T,
  ): T {
    try {
      const bytes = getIn(this.env.terms, termPageKey(field, segment.id, page), this.txn);
      if (!bytes)
        throw damagedIndex(this.env.dir, `${termPageName(field, segment, page)} is missing`);
      return decode(bytes);
    } catch (err) {
      throw asDamage(err, this.env.dir, termPageName(field, segment, page));
    }
  }

  /** OR the records holding exactly `term` into `bits`; false when the segment has none. */
  addTerm(field: number, segment: SegmentMeta, term: Uint8Array, bits: Bitset): boolean {
    const dir = this.directory(field, segment);
    if (!dir) return false;
    const p = dir.pageFor(term);
    if (p < 0) return false;
    const page = this.page(field, segment, p);
    const i = page.lowerBound(term);
    if (i >= page.count || Buffer.compare(page.term(i), term) !== 0) return false;
    page.addPostings(i, bits, segment.records);
    return true;
  }

  /**
   * Visit every term in [lo, hi] (inclusive; hi undefined = to the end) in order, with the term's
   * postings. `visit` returns false to stop. The postings object is reused from term to term
   * (no closures per term: an HMAC field's dictionary has tens of thousands a segment).
   */
  scanTerms(
    field: number,
    segment: SegmentMeta,
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    visit: (term: Buffer, postings: TermPostings) => boolean | void,
  ): void {
    const dir = this.directory(field, segment);
    if (!dir) return;
    const postings = new TermPostings(segment.records);
    let p = lo ? Math.max(0, dir.pageFor(lo)) : 0;
    for (; p < dir.pageCount; p++) {
      if (hi && Buffer.compare(dir.firstTerm(p), hi) > 0) return;
      const page = this.page(field, segment, p);
      let i = lo ? page.lowerBound(lo) : 0;
      for (; i < page.count; i++) {
        const term = page.term(i);
        if (hi && Buffer.compare(term, hi) > 0) return;
        postings.at(page, i);
        if (visit(term, postings) === false) return;
      }
    }
  }

  /**
   * Visit each of `terms` (ascending byte order, no repeats) that the segment's dictionary holds,
   * with its index in `terms` and its postings (a cursor, good during the visit only). One pass,
   * the sorted terms merged against the sorted dictionary: each term page is read at most once,
   * and each side gallops to the other's next term, so the cost follows the shorter of the two
   * (many terms against a small segment, or a few against a big one); one term costs a lookup.
   */
  scanSortedTerms(
    field: number,
    segment: SegmentMeta,
    terms: readonly Uint8Array[],
    visit: (index: number, postings: TermPostings) => void,
  ): void {
    const dir = this.directory(field, segment);
    if (!dir || dir.pageCount === 0 || terms.length === 0) return;
    const postings = new TermPostings(segment.records);
    const pages = dir.pageCount;
    let p = dir.pageFor(terms[0]!);
    let k = 0;
    if (p < 0) {
      // Terms before the first page's first term are in no page.
      k = gallop(k, terms.length, (i) => Buffer.compare(terms[i]!, dir.firstTerm(0)) < 0);
      p = 0;
    }
    while (k < terms.length) {
      // terms[k, end) fall in page p: they sort before the next page's first term.
      const next = p + 1 < pages ? dir.firstTerm(p + 1) : undefined;
      const end = next
        ? gallop(k, terms.length, (i) => Buffer.compare(terms[i]!, next) < 0)
        : terms.length;
      if (end > k) {
        // Merge terms[k, end) with the page's terms: the side that is behind gallops to the
        // other's current term (decoding a page term allocates: the last one is kept).
        const page = this.page(field, segment, p);
        let at = -1;
        let held: Buffer | undefined;
        const pageTerm = (j: number): Buffer => {
          if (j !== at) {
            at = j;
            held = page.term(j);
          }
          return held!;
        };
        let i = 0;
        while (k < end && i < page.count) {
          const c = Buffer.compare(terms[k]!, pageTerm(i));
          if (c === 0) {
            postings.at(page, i);
            visit(k, postings);
            k++;
            i++;
          } else if (c < 0) {
            const t = pageTerm(i);
            k = gallop(k + 1, end, (x) => Buffer.compare(terms[x]!, t) < 0);
          } else {
            const t = terms[k]!;
            i = gallop(i + 1, page.count, (j) => Buffer.compare(pageTerm(j), t) < 0);
          }
        }
        k = end;
      }
      if (k === terms.length) return;
      // The last page whose first term is <= terms[k] (at least p + 1: terms[k] >= next).
      const term = terms[k]!;
      p = gallop(p + 1, pages, (q) => Buffer.compare(dir.firstTerm(q), term) <= 0) - 1;
    }
  }

  /** Number of records in a segment holding exactly `term` (cheap: no decoding of ids). */
  termCount(field: number, segment: SegmentMeta, term: Uint8Array): number {
    const dir = this.directory(field, segment);
    if (!dir) return 0;
    const p = dir.pageFor(term);
    if (p < 0) return 0;
    const page = this.page(field, segment, p);
    const i = page.lowerBound(term);
    if (i >= page.count || Buffer.compare(page.term(i), term) !== 0) return 0;
    return page.postingCount(i);
  }

  /**
   * Whether every record of the segment has a `time` inside [lo, hi] ("all"), none can
   * ("none"), or it takes a look ("some"): time ranges then skip most segments' dictionaries.
   * Only the time field keeps per-segment bounds; other fields answer "some".
   */
  rangeCoversSegment(
    field: number,
    segment: SegmentMeta,
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
  ): "all" | "none" | "some" {
    if (field !== TIME_CODE || segment.minTime === undefined || segment.maxTime === undefined) {
      return "some";
    }
    let bounds = this.timeBounds.get(segment.id);
    if (!bounds) {
      const min = timeKey(segment.minTime);
      const max = timeKey(segment.maxTime);
      if (!min || !max) return "some";
      bounds = { min, max, everyRecord: segment.timedRecords === segment.records };
      this.timeBounds.set(segment.id, bounds);
    }
    if ((lo && Buffer.compare(bounds.max, lo) < 0) || (hi && Buffer.compare(bounds.min, hi) > 0)) {
      return "none";
    }
    const inside =
      (!lo || Buffer.compare(bounds.min, lo) >= 0) && (!hi || Buffer.compare(bounds.max, hi) <= 0);
    return inside && bounds.everyRecord ? "all" : "some";
  }

  newBitset(segment: SegmentMeta): Bitset {
    return newBitset(segment.records);
  }
}

/**
 * The first i in [lo, hi) where `before(i)` is false (`before` true on a prefix of the range), or
 * hi: steps of 1, 2, 4 … from lo, then a binary search, so a near answer costs a few probes.
 */
function gallop(lo: number, hi: number, before: (i: number) => boolean): number {
  let step = 1;
  let from = lo;
  while (from < hi && before(from)) {
    lo = from + 1;
    from += step;
    step *= 2;
  }
  let to = Math.min(from, hi);
  while (lo < to) {
    const mid = (lo + to) >>> 1;
    if (before(mid)) lo = mid + 1;
    else to = mid;
  }
  return lo;
}
