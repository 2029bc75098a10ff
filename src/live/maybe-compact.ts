// When the live loop merges small segments: committing every half second makes one small segment
// per commit, and every query pays per segment. Above COMPACT_ABOVE small segments, merge the
// runs of adjacent ones (store/compact-segments.ts) between two indexing steps.
import type { Indexer } from "../ingest/index-files.js";
import { compactSegments, smallSegmentCount } from "../store/compact-segments.js";

export const COMPACT_ABOVE = 32;

export function maybeCompact(
  indexer: Indexer,
  warn: (message: string) => void,
  above = COMPACT_ABOVE,
): number {
  if (smallSegmentCount(indexer.env) <= above) return 0;
  try {
    return compactSegments(indexer.env, indexer.indexWriter).merged;
  } catch (err) {
    warn(`compaction: ${(err as Error).message}`);
    return 0;
  }
}
