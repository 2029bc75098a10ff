// The chain of custody of an index: each file's and segment's SHA-256 and the root digest over
// them (store/custody-digest.ts defines them), as `stats --digest` prints them; and the check
// `verify --digest D` makes of an index (a copy, say) against a root digest written down before:
// every segment's digest is taken again from its stored record blocks, so records changed in the
// index are found segment by segment, and the root is taken over what the index holds now.
// Files and segments indexed before digests were kept are "not recorded" and outside the root.
// Cost: stats reads metadata only; the check reads every record block once (no decompression).
import { rootDigest, segmentSha256 } from "../store/custody-digest.js";
import type { IndexReader } from "../store/index-reader.js";

export interface FileDigest {
  readonly id: number;
  readonly path: string;
  readonly gzip: boolean;
  /** Content bytes the digest covers: [0, bytes). */
  readonly bytes: number;
  /** Undefined: not recorded (indexed before digests were kept, or a skipped long line). */
  readonly sha256: string | undefined;
}

export interface SegmentDigest {
  readonly id: number;
  readonly file: number;
  readonly records: number;
  readonly sha256: string | undefined;
}

export interface CustodyReport {
  readonly root: string;
  readonly files: readonly FileDigest[];
  readonly segments: readonly SegmentDigest[];
  /** Files and segments without a digest, outside the root. */
  readonly notRecorded: { readonly files: number; readonly segments: number };
}

function report(files: FileDigest[], segments: SegmentDigest[]): CustodyReport {
  return {
    root: rootDigest({
      files: files.map((f) => ({ contentSha256: f.sha256 })),
      segments: segments.map((s) => ({ sha256: s.sha256 })),
    }),
    files,
    segments,
    notRecorded: {
      files: files.filter((f) => f.sha256 === undefined).length,
      segments: segments.filter((s) => s.sha256 === undefined).length,
    },
  };
}

function fileDigests(reader: IndexReader): FileDigest[] {
  return reader.files().map((f) => ({
    id: f.id,
    path: f.path,
    gzip: f.gzip,
    bytes: f.doneBytes,
    sha256: f.contentSha256,
  }));
}

/** The digests the index recorded (metadata only). */
export function custodyReport(reader: IndexReader): CustodyReport {
  const segments = reader.segments.map((s) => ({
    id: s.id,
    file: s.file,
    records: s.records,
    sha256: s.sha256,
  }));
  return report(fileDigests(reader), segments);
}

export interface SegmentMismatch {
  readonly id: number;
  readonly file: number;
  readonly recorded: string;
  readonly now: string;
}

export interface CustodyCheck {
  /** The root over the recorded file digests and the segment digests taken again now. */
  readonly report: CustodyReport;
  /** Segments whose stored records no longer give the digest recorded when they were written. */
  readonly changedSegments: readonly SegmentMismatch[];
}

/** Take every recorded segment digest again from the stored blocks. */
export function checkCustody(reader: IndexReader): CustodyCheck {
  const changedSegments: SegmentMismatch[] = [];
  const segments: SegmentDigest[] = reader.segments.map((s) => {
    if (s.sha256 === undefined)
      return { id: s.id, file: s.file, records: s.records, sha256: undefined };
    const { buffer } = reader.segmentBlocks(s);
    const now = segmentSha256([new Uint8Array(buffer)]);
    if (now !== s.sha256) {
      changedSegments.push({ id: s.id, file: s.file, recorded: s.sha256, now });
    }
    return { id: s.id, file: s.file, records: s.records, sha256: now };
  });
  return { report: report(fileDigests(reader), segments), changedSegments };
}
