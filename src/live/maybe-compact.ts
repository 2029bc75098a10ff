// When the live loop merges small segments: committing every half second makes one small segment
// per commit, and every query pays per segment. Above COMPACT_ABOVE small segments, merge them.
import type { Indexer } from "../ingest/index-files.js";

export const COMPACT_ABOVE = 32;

export function maybeCompact(_indexer: Indexer, _warn: (message: string) => void): void {}
