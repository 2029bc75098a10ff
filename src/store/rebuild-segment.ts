// The store's half of `index --reindex`: a segment's stored records, read back verified, and the
// replacement of its postings (every term page and directory, and the segment record that lists
// them and the field revisions they were built with) in ONE write transaction, so a reindex
// stopped at any point (kill -9 included) leaves each segment wholly old or wholly rebuilt, and
// the next run rebuilds only what is still stale. The records themselves (blocks) never change:
// record ids and lines stay as they are. For the writer-lock holder only.
import { RecordBlock, type SegmentDictionary } from "../codec/record-block.js";
import { readDictionary } from "./segment-dictionary.js";
import { InputError } from "../errors.js";
import { blockKey, DIRECTORY_PAGE, termPageKey, type SegmentMeta } from "./format.js";
import { asDamage, damagedIndex } from "./index-damage.js";
import type { IndexEnv } from "./index-env.js";
import { coverLastPage } from "./lmdb-file-check.js";
import { encodeSegmentMeta } from "./meta-records.js";
import { currentFieldRevisions } from "./segment-catalog.js";

/** One field's rebuilt term pages and directory. */
export interface RebuiltField {
  readonly code: number;
  readonly pages: readonly Uint8Array[];
  readonly directory: Uint8Array;
}

/** A segment's postings built anew from its records (ingest/postings-builder.ts). */
export interface RebuiltPostings {
  readonly fields: readonly RebuiltField[];
  readonly untermedFields: readonly number[];
  readonly minTime: string | undefined;
  readonly maxTime: string | undefined;
  readonly timedRecords: number;
}

/** Every stored record of the segment, in id order (copies), verified (checksums, counts). */
export function segmentLines(env: IndexEnv, segment: SegmentMeta): Buffer[] {
  const out: Buffer[] = [];
  let dictionary: SegmentDictionary | undefined;
  const dictionaryOf = (): SegmentDictionary => (dictionary ??= readDictionary(env, segment));
  for (let b = 0; b < segment.blockStarts.length; b++) {
    const where = `segment ${segment.id}'s record block ${b}`;
    try {
      const bytes = env.blocks.getBinary(blockKey(segment.id, b));
      if (!bytes) throw damagedIndex(env.dir, `${where} is missing`);
      const block = new RecordBlock(bytes, dictionaryOf);
      for (let i = 0; i < block.count; i++) out.push(Buffer.from(block.line(i)));
    } catch (err) {
      throw asDamage(err, env.dir, where);
    }
  }
  if (out.length !== segment.records) {
    throw damagedIndex(
      env.dir,
      `segment ${segment.id}'s blocks hold ${out.length} records, not ${segment.records}`,
    );
  }
  return out;
}

/**
 * Replace the segment's postings with `rebuilt`, built by this build's catalog: its record now
 * says it indexed every field at the catalog's revision.
 */
export function replaceSegmentPostings(
  env: IndexEnv,
  segment: SegmentMeta,
  rebuilt: RebuiltPostings,
): SegmentMeta {
  const fieldPages: Record<number, number> = {};
  for (const f of rebuilt.fields) fieldPages[f.code] = f.pages.length;
  const next: SegmentMeta = {
    ...segment,
    minTime: rebuilt.minTime,
    maxTime: rebuilt.maxTime,
    timedRecords: rebuilt.timedRecords,
    fieldPages,
    untermedFields: [...rebuilt.untermedFields],
    fieldRevisions: currentFieldRevisions(),
  };
  try {
    env.root.transactionSync(() => {
      for (const [code, pages] of Object.entries(segment.fieldPages)) {
        for (let p = 0; p < pages; p++)
          env.terms.removeSync(termPageKey(Number(code), segment.id, p));
        env.terms.removeSync(termPageKey(Number(code), segment.id, DIRECTORY_PAGE));
      }
      for (const f of rebuilt.fields) {
        f.pages.forEach((page, p) =>
          env.terms.putSync(termPageKey(f.code, segment.id, p), Buffer.from(page)),
        );
        env.terms.putSync(
          termPageKey(f.code, segment.id, DIRECTORY_PAGE),
          Buffer.from(f.directory),
        );
      }
      env.segments.putSync(segment.id, encodeSegmentMeta(next));
    });
    coverLastPage(env.dir);
  } catch (err) {
    throw new InputError(
      `cannot write the index at ${env.dir}: ${(err as Error).message ?? String(err)}`,
      "free space if the disk is full, then run `breakglass index --reindex` again: it resumes",
    );
  }
  return next;
}
