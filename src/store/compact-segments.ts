// Segment compaction: merge runs of adjacent small segments into one segment per file. The live
// loop commits every half second, one small segment per commit (per peer of `listen`: each has
// its own spool file), and every query pays per segment (a directory and a page lookup per
// field), so thousands of tiny segments would make queries slow. A run is small segments with
// contiguous record ids; when they are all one file's (one writer), a merge keeps every record
// id. When files alternate in it (two Vault nodes on one listener: A1 B1 A2 B2), each file's
// segments become one, laid out in the run's id range in the order the files first appear in it
// (A1+A2, then B1+B2): each file's records keep their order, but records of the run get other ids
// (ids are positions in the index, kept nowhere but in segment bases). Term postings are rebased
// by each segment's offset in its merged segment, record blocks are decoded and packed again into
// BLOCK_BYTES blocks. Each run is written, and its old keys deleted, in ONE write transaction: a reader sees the index before or after, and a reader that pinned its snapshot
// (IndexReader) keeps reading the old segments (LMDB MVCC). Cost: linear in the run's bytes, plus
// records/32 words per distinct term (runs are small by construction). A merge reads the old
// blocks and pages verified (their checksums): damage throws the damaged-index error before the
// run's transaction starts, so nothing is written from damaged data.
import { pickTime } from "../audit/time-key.js";
import { ByteWriter } from "../codec/byte-writer.js";
import { lineCompressor } from "../codec/lz4-dict-wasm.js";
import {
  BLOCK_BYTES,
  chooseDictionary,
  dictionaryValue,
  encodeRecordBlock,
  LINE_BLOCK_BYTES,
  LINE_BLOCKS_FROM_BYTES,
  LineBlockPacker,
  RecordBlock,
  type SegmentDictionary,
} from "../codec/record-block.js";
import { readDictionary } from "./segment-dictionary.js";
import { encodeTermPages, newBitset, TermDirectory, TermPage } from "../codec/term-pages.js";
import {
  blockKey,
  DICTIONARY_BLOCK,
  DIRECTORY_PAGE,
  termPageKey,
  type SegmentMeta,
} from "./format.js";
import { asDamage, damagedIndex } from "./index-damage.js";
import type { IndexEnv } from "./index-env.js";
import type { IndexWriter } from "./index-writer.js";
import { segmentSha256 } from "./custody-digest.js";
import { coverLastPage } from "./lmdb-file-check.js";
import { encodeCounters, encodeSegmentMeta, readSegmentMetas } from "./meta-records.js";
import { mergedFieldRevisions } from "./segment-catalog.js";

/** A segment with fewer records than this is small (a full 16 MiB chunk holds ~10,000). */
export const SMALL_SEGMENT_RECORDS = 8192;
/** A merged segment holds at most this many records (its bitsets stay at 8 KiB). */
export const MAX_MERGED_RECORDS = 65536;

export interface CompactionResult {
  /** Segments merged away, and the segments they became. */
  readonly merged: number;
  readonly into: number;
}

export function smallSegmentCount(env: IndexEnv, small = SMALL_SEGMENT_RECORDS): number {
  return readSegmentMetas(env).filter((s) => s.records < small).length;
}

/** A stored value of a merged segment, read and decoded; damage throws the damaged-index error. */
function readStored<T>(
  env: IndexEnv,
  where: string,
  read: () => Buffer | undefined,
  decode: (bytes: Buffer) => T,
): T {
  try {
    const bytes = read();
    if (!bytes) throw damagedIndex(env.dir, `${where} is missing`);
    return decode(bytes);
  } catch (err) {
    throw asDamage(err, env.dir, where);
  }
}

/** A run's segments by file, in the order the files first appear in it. */
function byFile(run: readonly SegmentMeta[]): SegmentMeta[][] {
  const groups = new Map<number, SegmentMeta[]>();
  for (const s of run) {
    const g = groups.get(s.file);
    if (g) g.push(s);
    else groups.set(s.file, [s]);
  }
  return [...groups.values()];
}

/**
 * Runs of adjacent small segments whose records are contiguous, in which some file has ≥ 2
 * segments (a run of only distinct files would merge nothing: files never share a segment).
 */
function mergeRuns(segments: readonly SegmentMeta[], small: number, max: number): SegmentMeta[][] {
  const runs: SegmentMeta[][] = [];
  let run: SegmentMeta[] = [];
  let records = 0;
  const end = (): void => {
    if (run.length >= 2 && byFile(run).some((g) => g.length >= 2)) runs.push(run);
    run = [];
    records = 0;
  };
  for (const s of segments) {
    const prev = run[run.length - 1];
    const fits =
      s.records < small &&
      prev !== undefined &&
      prev.base + prev.records === s.base &&
      records + s.records <= max;
    if (!fits) {
      end();
      if (s.records >= small) continue;
    }
    run.push(s);
    records += s.records;
  }
  end();
  return runs;
}

interface Merged {
  /** The merged segment's dictionary's stored value, when its blocks are line blocks. */
  readonly dictionary: Buffer | undefined;
  readonly blocks: Buffer[];
  readonly blockStarts: number[];
  readonly fields: Map<number, { pages: Uint8Array[]; directory: Uint8Array }>;
}

const NEWLINE = Buffer.from("\n");

function mergeRun(env: IndexEnv, run: readonly SegmentMeta[], total: number): Merged {
  // Records: decode each block, pack the lines again. Lines are held until
  // LINE_BLOCKS_FROM_BYTES have come (or the run ends): then the merged segment's dictionary is
  // chosen from them and they go into line blocks, or, for a small segment, into part blocks of
  // about BLOCK_BYTES (as ingest does).
  const blocks: Buffer[] = [];
  const blockStarts: number[] = [];
  let held: Buffer[] | undefined = [];
  let heldBytes = 0;
  let dictionary: Buffer | undefined;
  let packer: LineBlockPacker | undefined;
  let packed = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let id = 0;
  const flushParts = (): void => {
    if (parts.length === 0) return;
    const source = Buffer.concat(parts.flatMap((l) => [l, NEWLINE]));
    const starts: number[] = [];
    const ends: number[] = [];
    let at = 0;
    for (const l of parts) {
      starts.push(at);
      ends.push(at + l.length);
      at += l.length + 1;
    }
    blockStarts.push(packed);
    packed += parts.length;
    blocks.push(encodeRecordBlock(source, starts, ends));
    parts = [];
    partBytes = 0;
  };
  const take = (line: Buffer): void => {
    if (packer) return packer.add(line, 0, line.length);
    parts.push(line);
    partBytes += line.length + 4;
    if (partBytes >= BLOCK_BYTES) flushParts();
  };
  const decide = (): void => {
    const lines = held!;
    held = undefined;
    if (heldBytes >= LINE_BLOCKS_FROM_BYTES) {
      const dict = chooseDictionary(Buffer.concat(lines.flatMap((l) => [l, NEWLINE])));
      dictionary = dictionaryValue(dict);
      const out = new ByteWriter(LINE_BLOCK_BYTES * 2);
      packer = new LineBlockPacker(lineCompressor(dict), out, (offset, length, count) => {
        blocks.push(Buffer.from(out.view().subarray(offset, offset + length)));
        out.length = 0;
        blockStarts.push(packed);
        packed += count;
      });
    }
    for (const l of lines) take(l);
  };
  for (const s of run) {
    let segmentDictionary: SegmentDictionary | undefined;
    const dictionaryOf = (): SegmentDictionary => (segmentDictionary ??= readDictionary(env, s));
    for (let b = 0; b < s.blockStarts.length; b++) {
      const blockLines = readStored(
        env,
        `segment ${s.id}'s record block ${b}`,
        () => env.blocks.getBinary(blockKey(s.id, b)),
        (bytes) => {
          const block = new RecordBlock(bytes, dictionaryOf);
          // A line stays good after the next read (a view of its part or run): no copy.
          return Array.from({ length: block.count }, (_, i) => block.line(i));
        },
      );
      for (const line of blockLines) {
        id++;
        if (held === undefined) {
          take(line);
          continue;
        }
        held.push(line);
        heldBytes += line.length + 1;
        if (heldBytes >= LINE_BLOCKS_FROM_BYTES) decide();
      }
    }
  }
  if (held !== undefined) decide();
  flushParts();
  packer?.flush();
  if (id !== total) {
    throw damagedIndex(env.dir, `segments ${run[0]!.id}…: blocks hold ${id} records, not ${total}`);
  }

  // Terms: per field, every segment's terms with their ids rebased to the merged segment.
  const codes = new Set<number>();
  for (const s of run) for (const c of Object.keys(s.fieldPages)) codes.add(Number(c));
  const fields = new Map<number, { pages: Uint8Array[]; directory: Uint8Array }>();
  for (const code of [...codes].sort((a, b) => a - b)) {
    const postings = new Map<string, number[]>();
    let offset = 0;
    for (const s of run) {
      const pageCount = s.fieldPages[code] ?? 0;
      if (pageCount > 0) {
        const dir = readStored(
          env,
          `segment ${s.id}'s term directory for field ${code}`,
          () => env.terms.getBinary(termPageKey(code, s.id, DIRECTORY_PAGE)),
          (bytes) => new TermDirectory(bytes),
        );
        const bits = newBitset(s.records);
        for (let p = 0; p < dir.pageCount; p++) {
          const page = readStored(
            env,
            `segment ${s.id}'s term page ${p} for field ${code}`,
            () => env.terms.getBinary(termPageKey(code, s.id, p)),
            (bytes) => new TermPage(bytes),
          );
          for (let i = 0; i < page.count; i++) {
            const term = page.term(i).toString("latin1");
            let ids = postings.get(term);
            if (!ids) postings.set(term, (ids = []));
            page.addPostings(i, bits, s.records);
            for (let w = 0; w < bits.length; w++) {
              let word = bits[w]!;
              if (word === 0) continue;
              bits[w] = 0;
              while (word !== 0) {
                const low = word & -word;
                ids.push(offset + w * 32 + (31 - Math.clz32(low)));
                word ^= low;
              }
            }
          }
        }
      }
      offset += s.records;
    }
    if (postings.size === 0) continue;
    const sorted = [...postings.keys()].sort();
    const encoded = encodeTermPages(sorted, postings, total);
    fields.set(code, { pages: encoded.pages, directory: encoded.directory });
  }
  return { dictionary, blocks, blockStarts, fields };
}

/** The merged segment's untermed fields: every run member's (unknown if any member's is). */
function untermedFieldsOf(run: readonly SegmentMeta[]): number[] | undefined {
  const codes = new Set<number>();
  for (const s of run) {
    if (s.untermedFields === undefined) return undefined;
    for (const c of s.untermedFields) codes.add(c);
  }
  return [...codes].sort((a, b) => a - b);
}

/** One file's segments of a run (consecutive in the file) as one new segment starting at `base`. */
function mergeGroup(
  env: IndexEnv,
  writer: IndexWriter,
  group: readonly SegmentMeta[],
  base: number,
): { meta: SegmentMeta; merged: Merged } {
  const first = group[0]!;
  const total = group.reduce((n, s) => n + s.records, 0);
  const m = mergeRun(env, group, total);
  const fieldPages: Record<number, number> = {};
  for (const [code, f] of m.fields) fieldPages[code] = f.pages.length;
  const meta: SegmentMeta = {
    id: writer.allocateSegmentId(),
    base,
    records: total,
    file: first.file,
    firstLine: first.firstLine,
    blockStarts: m.blockStarts,
    minTime: group.reduce<string | undefined>((t, s) => pickTime(t, s.minTime, false), undefined),
    maxTime: group.reduce<string | undefined>((t, s) => pickTime(t, s.maxTime, true), undefined),
    timedRecords: group.reduce((n, s) => n + s.timedRecords, 0),
    fieldPages,
    untermedFields: untermedFieldsOf(group),
    fieldRevisions: mergedFieldRevisions(group),
    sha256: segmentSha256(m.dictionary ? [m.dictionary, ...m.blocks] : m.blocks),
  };
  return { meta, merged: m };
}

/**
 * Merge every run of adjacent small segments. The writer supplies segment ids and is the one
 * whose counters are persisted, so compaction and indexing can take turns on one open index.
 */
export function compactSegments(
  env: IndexEnv,
  writer: IndexWriter,
  opts: { smallRecords?: number; maxMergedRecords?: number } = {},
): CompactionResult {
  const runs = mergeRuns(
    readSegmentMetas(env),
    opts.smallRecords ?? SMALL_SEGMENT_RECORDS,
    opts.maxMergedRecords ?? MAX_MERGED_RECORDS,
  );
  let merged = 0;
  let into = 0;
  for (const run of runs) {
    // Each file's segments of the run as one, laid out from the run's first id.
    let base = run[0]!.base;
    const made = byFile(run).map((group) => {
      const seg = mergeGroup(env, writer, group, base);
      base += seg.meta.records;
      return seg;
    });
    env.root.transactionSync(() => {
      for (const { meta: seg, merged: m } of made) {
        m.blocks.forEach((b, i) => env.blocks.putSync(blockKey(seg.id, i), b));
        if (m.dictionary) env.blocks.putSync(blockKey(seg.id, DICTIONARY_BLOCK), m.dictionary);
        for (const [code, f] of m.fields) {
          f.pages.forEach((p, i) =>
            env.terms.putSync(termPageKey(code, seg.id, i), Buffer.from(p)),
          );
          env.terms.putSync(termPageKey(code, seg.id, DIRECTORY_PAGE), Buffer.from(f.directory));
        }
        env.segments.putSync(seg.id, encodeSegmentMeta(seg));
      }
      for (const s of run) {
        for (let b = 0; b < s.blockStarts.length; b++) env.blocks.removeSync(blockKey(s.id, b));
        env.blocks.removeSync(blockKey(s.id, DICTIONARY_BLOCK));
        for (const [c, pages] of Object.entries(s.fieldPages)) {
          for (let p = 0; p < pages; p++) env.terms.removeSync(termPageKey(Number(c), s.id, p));
          env.terms.removeSync(termPageKey(Number(c), s.id, DIRECTORY_PAGE));
        }
        env.segments.removeSync(s.id);
      }
      env.meta.putSync("next", encodeCounters(writer.nextCounters()));
    });
    coverLastPage(env.dir);
    merged += run.length;
    into += made.length;
  }
  return { merged, into };
}
