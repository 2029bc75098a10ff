// `breakglass index --reindex`: rebuild the postings of every segment indexed with another catalog
// (before a field existed, or with an older revision of a field's extraction:
// store/segment-catalog.ts) from the records the index stores, so no source file is needed.
// Each record's entry goes through the same term extraction as ingest (postings-builder.ts).
// Under the writer lock (like `index`); segment by segment, each replaced in one transaction
// (store/rebuild-segment.ts), so an interrupted run (Ctrl-C, kill -9) leaves every segment old or
// rebuilt and running it again finishes the rest. Cost: one decompression, JSON.parse and
// extraction per record of a stale segment, on the main thread; memory: one segment's lines.
import { recordEntry } from "../audit/framing/record-json.js";
import { fileOrigin, withOrigin, type RecordOrigin } from "../audit/record-origin.js";
import { ByteWriter } from "../codec/byte-writer.js";
import { InputError } from "../errors.js";
import type { SegmentMeta } from "../store/format.js";
import { damagedIndex } from "../store/index-damage.js";
import { indexExists, openIndexEnv, securePaths } from "../store/index-env.js";
import { readFileMetas, readSegmentMetas } from "../store/meta-records.js";
import { replaceSegmentPostings, segmentLines } from "../store/rebuild-segment.js";
import { isSegmentStale } from "../store/segment-catalog.js";
import { acquireWriterLock } from "../store/writer-lock.js";
import type { IndexerLockOptions } from "./index-files.js";
import { PostingsBuilder } from "./postings-builder.js";

export interface ReindexOptions extends Omit<IndexerLockOptions, "command"> {
  /** Called after each segment with the segments rebuilt so far and how many were stale. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface ReindexSummary {
  /** Segments in the index, and those that were stale when the run started. */
  readonly segments: number;
  readonly stale: number;
  /** Segments rebuilt by this run, and their records. */
  readonly rebuilt: number;
  readonly records: number;
  readonly seconds: number;
  /** Stopped (signal) before every stale segment was rebuilt. */
  readonly interrupted: boolean;
}

/** A segment's postings, built anew from its stored records. */
function rebuildSegment(
  dir: string,
  segment: SegmentMeta,
  lines: readonly Buffer[],
  origin: RecordOrigin | undefined,
): Parameters<typeof replaceSegmentPostings>[2] {
  const builder = new PostingsBuilder();
  lines.forEach((line, local) => {
    let entry: unknown;
    try {
      entry = recordEntry(line);
    } catch {
      throw damagedIndex(dir, `segment ${segment.id}'s record ${local} is not an entry's JSON`);
    }
    builder.add(withOrigin(entry, origin), local);
  });
  const payload = new ByteWriter(1 << 20);
  const built = builder.finish(segment.records, payload);
  const bytes = payload.view();
  const span = ([offset, length]: readonly [number, number]): Uint8Array =>
    bytes.subarray(offset, offset + length);
  return {
    ...built,
    fields: built.fields.map((f) => ({
      code: f.code,
      pages: f.pages.map(span),
      directory: span(f.directory),
    })),
  };
}

/** Rebuild every stale segment of the index at `dbDir` (see the module comment). */
export async function reindexIndex(
  dbDir: string,
  opts: ReindexOptions = {},
): Promise<ReindexSummary> {
  const started = performance.now();
  if (!indexExists(dbDir)) {
    throw new InputError(
      `no index at ${dbDir}`,
      "run `breakglass index PATH...` first, or point --db / $BREAKGLASS_DB at an index",
    );
  }
  const lock = await acquireWriterLock(dbDir, {
    command: "breakglass index --reindex",
    wait: opts.wait,
    onWait: opts.onWait,
    signal: opts.signal,
  });
  try {
    const env = openIndexEnv(dbDir, { create: false });
    try {
      const segments = readSegmentMetas(env);
      const stale = segments.filter(isSegmentStale);
      // Fields `source` and `device` come from the segment's file record, not the entry.
      const origins = new Map(readFileMetas(env).map((f) => [f.id, fileOrigin(f)]));
      let rebuilt = 0;
      let records = 0;
      for (const segment of stale) {
        if (opts.signal?.aborted) break;
        replaceSegmentPostings(
          env,
          segment,
          rebuildSegment(dbDir, segment, segmentLines(env, segment), origins.get(segment.file)),
        );
        rebuilt++;
        records += segment.records;
        opts.onProgress?.(rebuilt, stale.length);
        // Let a signal (Ctrl-C) in between segments.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return {
        segments: segments.length,
        stale: stale.length,
        rebuilt,
        records,
        seconds: (performance.now() - started) / 1000,
        interrupted: rebuilt < stale.length,
      };
    } finally {
      securePaths(dbDir);
      await env.close();
    }
  } finally {
    await lock.release();
  }
}
