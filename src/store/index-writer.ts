// The writer half of the store: commits one parsed chunk (records, term pages, bad lines and the
// file's new progress) in ONE LMDB write transaction, so an interrupted run (Ctrl-C, kill -9, a
// full disk) leaves an index that is exactly the chunks committed, and the next run resumes
// from the file progress it recorded. This is the only code that opens a write transaction.
// It never sees a damaged index's metadata: openIndexEnv refuses to open one for writing.
import fs from "node:fs";
import { InputError } from "../errors.js";
import type { ParseResult } from "../ingest/worker-protocol.js";
import {
  badLineKey,
  blockKey,
  DICTIONARY_BLOCK,
  DIRECTORY_PAGE,
  termPageKey,
  type FileMeta,
  type SegmentMeta,
} from "./format.js";
import type { IndexEnv } from "./index-env.js";
import { segmentSha256 } from "./custody-digest.js";
import { coverLastPage } from "./lmdb-file-check.js";
import { currentFieldRevisions } from "./segment-catalog.js";
import {
  encodeBadLine,
  encodeCounters,
  encodeFileMeta,
  encodeSegmentMeta,
  readCounters,
  type Counters,
} from "./meta-records.js";

export interface CommittedChunk {
  readonly segment: number | undefined;
  readonly base: number;
}

/** Free bytes on the index's file system, or undefined when it cannot be asked. */
function freeBytes(dir: string): number | undefined {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Below this much free space a failed write is a full disk (LMDB reports it as EIO). */
const FULL_DISK_BYTES = 64 << 20;

function diskError(env: IndexEnv, err: unknown): InputError {
  const msg = (err as Error).message ?? String(err);
  const free = freeBytes(env.dir);
  if (/ENOSPC|MDB_MAP_FULL|No space/i.test(msg) || (free !== undefined && free < FULL_DISK_BYTES)) {
    return new InputError(
      `the disk holding the index ${env.dir} is full: ${msg}`,
      "free space and run `breakglass index` again: it resumes where the last commit ended",
    );
  }
  return new InputError(`cannot write the index at ${env.dir}: ${msg}`);
}

export class IndexWriter {
  private readonly counters: Counters;

  constructor(private readonly env: IndexEnv) {
    this.counters = readCounters(env) ?? { record: 0, segment: 0, file: 0 };
  }

  /** A fresh file id; it becomes durable with the first commit that names the file. */
  allocateFileId(): number {
    return this.counters.file++;
  }

  /** A fresh segment id (compaction); durable with the transaction that stores nextCounters(). */
  allocateSegmentId(): number {
    return this.counters.segment++;
  }

  /** The id counters as stored under meta "next". */
  nextCounters(): Counters {
    return { ...this.counters };
  }

  /** Commit a chunk of `file` and the file's progress after it. */
  commitChunk(file: FileMeta, firstLine: number, result: ParseResult): CommittedChunk {
    const { meta, bytes } = result;
    const span = (s: readonly [number, number]): Buffer =>
      Buffer.from(bytes.buffer, bytes.byteOffset + s[0], s[1]);
    const { env } = this;
    const c = this.counters;
    const base = c.record;
    let segment: number | undefined;
    try {
      env.root.transactionSync(() => {
        if (meta.records > 0) {
          segment = c.segment;
          meta.blocks.forEach((s, i) => env.blocks.putSync(blockKey(segment!, i), span(s)));
          const dictionary = meta.dictionary === undefined ? [] : [span(meta.dictionary)];
          for (const d of dictionary) env.blocks.putSync(blockKey(segment!, DICTIONARY_BLOCK), d);
          const fieldPages: Record<number, number> = {};
          for (const f of meta.fields) {
            f.pages.forEach((s, p) => env.terms.putSync(termPageKey(f.code, segment!, p), span(s)));
            env.terms.putSync(termPageKey(f.code, segment!, DIRECTORY_PAGE), span(f.directory));
            fieldPages[f.code] = f.pages.length;
          }
          const seg: SegmentMeta = {
            id: segment,
            base,
            records: meta.records,
            file: file.id,
            firstLine,
            blockStarts: meta.blockStarts,
            minTime: meta.minTime,
            maxTime: meta.maxTime,
            timedRecords: meta.timedRecords,
            fieldPages,
            untermedFields: meta.untermedFields,
            fieldRevisions: currentFieldRevisions(),
            sha256: segmentSha256([...dictionary, ...meta.blocks.map(span)]),
          };
          env.segments.putSync(segment, encodeSegmentMeta(seg));
        }
        for (const b of meta.bad) {
          const line = firstLine + b.line;
          env.bad.putSync(badLineKey(file.id, line), encodeBadLine(file.id, line, b.reason));
        }
        env.files.putSync(file.id, encodeFileMeta(file));
        const next: Counters = {
          record: base + meta.records,
          segment: segment === undefined ? c.segment : segment + 1,
          file: Math.max(c.file, file.id + 1),
        };
        env.meta.putSync("next", encodeCounters(next));
      });
      coverLastPage(env.dir);
    } catch (err) {
      throw diskError(env, err);
    }
    c.record = base + meta.records;
    if (segment !== undefined) c.segment = segment + 1;
    c.file = Math.max(c.file, file.id + 1);
    return { segment, base };
  }

  /** Record a file's state when no chunk changed it (a re-checked tail, say). */
  putFile(file: FileMeta): void {
    try {
      this.env.root.transactionSync(() => {
        this.env.files.putSync(file.id, encodeFileMeta(file));
        this.env.meta.putSync(
          "next",
          encodeCounters({ ...this.counters, file: Math.max(this.counters.file, file.id + 1) }),
        );
      });
      coverLastPage(this.env.dir);
    } catch (err) {
      throw diskError(this.env, err);
    }
  }
}
