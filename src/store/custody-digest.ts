// The chain of custody's digests: what `stats --digest` prints and `verify --digest` checks.
// - a file's digest: SHA-256 of its content bytes [0, doneBytes) (gzip: decompressed), kept by
//   the indexer as the bytes stream past (FileMeta.contentSha256);
// - a segment's digest: SHA-256 of its record block values as stored, in block order
//   (SegmentMeta.sha256), taken when the segment is written;
// - the root digest: SHA-256 of the lines `file <hex>` and `segment <hex>` (one per digest
//   recorded), sorted in byte order, each ending in a newline. It depends on content only (no
//   paths, ids or times), so it is the same on every run and on a copy of the index, and changes
//   when any indexed byte or stored record changes. Compaction (listen, --follow) rewrites
//   segments, so the root changes then while the file digests do not. Pure: no lmdb, no files.
import { createHash } from "node:crypto";

/** The digest of a segment's record blocks, in block order. */
export function segmentSha256(blocks: Iterable<Uint8Array>): string {
  const hash = createHash("sha256");
  for (const b of blocks) hash.update(b);
  return hash.digest("hex");
}

export interface DigestInputs {
  readonly files: readonly { readonly contentSha256?: string | undefined }[];
  readonly segments: readonly { readonly sha256?: string | undefined }[];
}

/** The lines the root digest is taken over, sorted (README.md, "Tamper evidence"). */
export function rootLines(inputs: DigestInputs): string[] {
  const lines: string[] = [];
  for (const f of inputs.files) if (f.contentSha256) lines.push(`file ${f.contentSha256}`);
  for (const s of inputs.segments) if (s.sha256) lines.push(`segment ${s.sha256}`);
  return lines.sort();
}

export function rootDigest(inputs: DigestInputs): string {
  const hash = createHash("sha256");
  for (const line of rootLines(inputs)) hash.update(line + "\n");
  return hash.digest("hex");
}
