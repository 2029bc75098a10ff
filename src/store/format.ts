// The on-disk format of an index directory, in one place, with its version. Opening an index of
// another version fails with a message that says what to do.
//
// DIR/index.mdb (+ index.mdb-lock): one LMDB environment with named databases:
//   meta      string key → value: "format" → the format version (a msgpack number, readable by
//             every version), "next" → the next record/segment/file ids (checked JSON)
//   files     u32 file id → FileMeta (path, identity, progress, counts), checked JSON
//   segments  u32 segment id → SegmentMeta (a run of records indexed together), checked JSON
//   blocks    [segment u32][block u32] → record block: lines or parts, LZ4 (codec/record-block.ts);
//             block DICTIONARY_BLOCK holds the segment's dictionary when its blocks are line blocks
//   terms     [field u8][segment u32][page u32] → term page (codec/term-pages.ts);
//             page DIRECTORY_PAGE holds the field's page directory for that segment
//   bad       [file u32][line u32] → reason (every bad line, for `stats`), checked JSON
// All keys are big-endian so LMDB's byte order is numeric order. Every value but "format" carries
// a CRC-32 (codec/checksum.ts, codec/checked-json.ts; store/meta-records.ts reads the checked
// JSON), verified on read: damage is reported (store/index-damage.ts), never answered from.
// DIR/writer.sock and DIR/writer.json: the writer lock and who holds it (store/writer-lock.ts).

// Version 2: record blocks are groups of independently compressed 16 KiB parts (was: one LZ4
// frame of 64 KiB), so a record read decompresses a quarter as much.
// Version 3: a CRC-32 on every record block part and header, term page, directory and metadata
// record (was: msgpack metadata and no checksums), so a damaged index is an error, not a wrong
// answer.
// Version 4: record blocks of large segments compress each line on its own against a dictionary
// of the segment's (line blocks), so a record read decodes one line, not a 16 KiB part. Version 3
// indexes are read as they are; a writer stamps them 4 before it adds line blocks.
export const FORMAT_VERSION = 4;
/** Versions this code reads (and writes to, stamping them FORMAT_VERSION). */
export const READABLE_FORMATS: readonly number[] = [3, 4];
export const INDEX_FILE = "index.mdb";
export const DIRECTORY_PAGE = 0xffffffff;
/** The block number of a segment's dictionary (codec/record-block.ts), after every real block. */
export const DICTIONARY_BLOCK = 0xffffffff;

export interface FileMeta {
  readonly id: number;
  readonly path: string;
  readonly gzip: boolean;
  /** SHA-256 (hex) of the first headBytes bytes of the (decompressed) content: the file's identity. */
  readonly headHash: string;
  readonly headBytes: number;
  /** Content bytes consumed (up to the end of the last line committed). */
  readonly doneBytes: number;
  /**
   * SHA-256 (hex) of the content bytes [tailStart, tailStart + tailBytes): the last (up to 4 KiB)
   * bytes of lines indexed, ending at doneBytes unless a skipped long line came after them. With
   * the head, it tells this content from another that starts the same (a log truncated and
   * written again). Absent in indexes written before it was kept: the head alone decides then.
   */
  readonly tailHash?: string | undefined;
  readonly tailStart?: number | undefined;
  readonly tailBytes?: number | undefined;
  readonly doneLines: number;
  /** True when the content ended without a newline after the last line consumed. */
  readonly endsOpen: boolean;
  /** Size and mtime of the file as last indexed (gzip: of the compressed file). */
  readonly sourceBytes: number;
  readonly sourceMtimeMs: number;
  readonly records: number;
  readonly badLines: number;
  readonly firstTime: string | undefined;
  readonly lastTime: string | undefined;
  /** A last line with no newline that did not parse: reported, not consumed (it may be half-written). */
  readonly tailBad: { readonly line: number; readonly reason: string } | undefined;
  readonly indexedAt: string;
  /**
   * Records whose client token is plaintext (a log_raw audit device): the index holds live
   * secrets. Absent when none (and in indexes written before it was counted).
   */
  readonly rawTokenRecords?: number | undefined;
  /** Lines that were a server's own log (a mixed stream), not audit entries. Absent when none. */
  readonly skippedLines?: number | undefined;
  /**
   * Chain of custody (store/custody-digest.ts): SHA-256 (hex) of the content bytes [0, doneBytes)
   * (gzip: the decompressed bytes), so `head -c doneBytes FILE | sha256sum` gives it again.
   * Absent in indexes written before it was kept ("not recorded").
   */
  readonly contentSha256?: string | undefined;
  /**
   * Where the file's records came from, as first indexed: its path then (a rotated file keeps
   * it), or a listener's spool file's endpoint and peer (`tcp://127.0.0.1:8200 from 10.0.0.7:53012`;
   * `listen ADDRESS` before peers were kept). Absent in older indexes: the path stands in.
   */
  readonly source?: string | undefined;
  /** The `--device` label the file was first indexed with (fields `source` and `device`). */
  readonly device?: string | undefined;
}

export interface SegmentMeta {
  readonly id: number;
  /** Global id of the segment's first record; its records are [base, base + records). */
  readonly base: number;
  readonly records: number;
  readonly file: number;
  /** 1-based line number (in its file) of the segment's first line. */
  readonly firstLine: number;
  readonly blockStarts: readonly number[];
  readonly minTime: string | undefined;
  readonly maxTime: string | undefined;
  /** Records with a parsable `time`: when it equals `records`, a time range covering the
   * segment's [minTime, maxTime] takes the whole segment without reading its dictionary. */
  readonly timedRecords: number;
  /** Field code → number of term pages (fields absent have no terms in this segment). */
  readonly fieldPages: Readonly<Record<number, number>>;
  /**
   * Codes of the fields with a value that has no term (an address that does not parse), whose
   * dictionary therefore does not list every value: `count by` reads records for them.
   * Undefined (not known) counts as every field.
   */
  readonly untermedFields?: readonly number[] | undefined;
  /**
   * Field code → the revision of the field's extraction (audit/field-catalog.ts) the segment's
   * postings were built with; a field not listed was not indexed. Absent in segments written
   * before it was recorded: store/segment-catalog.ts says what they hold.
   */
  readonly fieldRevisions?: Readonly<Record<number, number>> | undefined;
  /**
   * Chain of custody: SHA-256 (hex) of the segment's dictionary (if it has one) and record block
   * values as stored, in block order (store/custody-digest.ts). Absent in indexes written before it was kept.
   */
  readonly sha256?: string | undefined;
}

export function blockKey(segment: number, block: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(segment, 0);
  key.writeUInt32BE(block, 4);
  return key;
}

export function termPageKey(field: number, segment: number, page: number): Buffer {
  const key = Buffer.allocUnsafe(9);
  key.writeUInt8(field, 0);
  key.writeUInt32BE(segment, 1);
  key.writeUInt32BE(page, 5);
  return key;
}

export function badLineKey(file: number, line: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(file, 0);
  key.writeUInt32BE(line, 4);
  return key;
}
