// Lines longer than a limit are bad lines, never records: the chunker skips the bytes of one that
// does not fit in its buffer as they stream past (never holding more than the limit), and the
// parse worker reports one that fits in a chunk. Both say it the same way, with its length. A
// Docker or CRI record split into parts whose parts together pass the limit is one such line.
// Without a limit one 600 MB line made a string longer than V8 allows (exit 70, nothing indexed,
// and every rerun failed again) and a 2 GB one aborted the process at 4.3 GB of RSS.
import type { ParseResult } from "./worker-protocol.js";

/** 64 MiB: well above Vault's largest real entries (~10 MB), well below what V8 can parse. */
export const MAX_LINE_BYTES = 64 << 20;
/**
 * The highest limit a user may set: a parse worker holds the line as a string, its parsed value
 * and more (a V8 string cannot pass ~512 MiB; the worker heap is sized from the limit).
 */
export const MAX_LINE_BYTES_CAP = 256 << 20;

function size(bytes: number): string {
  if (bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The bad-line reason for a line of `lineBytes` bytes (newline not counted). */
export function longLineReason(lineBytes: number, maxLineBytes: number): string {
  return `line longer than ${size(maxLineBytes)} (${lineBytes} bytes), skipped`;
}

/** The bad-line reason for a Docker or CRI record whose `parts` lines take `bytes` in all. */
export function partsReason(bytes: number, maxLineBytes: number, parts: number): string {
  return `a line split into ${parts} parts (Docker or CRI) longer than ${size(maxLineBytes)} (${bytes} bytes), skipped`;
}

/**
 * What the writer commits for a skipped long line: one bad line, no record, `lines` consumed
 * (a Docker or CRI record of `parts` parts, 0 for a plain line, is one bad line at its first).
 */
export function longLineResult(
  lineBytes: number,
  maxLineBytes: number,
  lines = 1,
  parts = 0,
): ParseResult {
  return {
    meta: {
      records: 0,
      lines,
      bad: [
        {
          line: 0,
          reason:
            parts > 0
              ? partsReason(lineBytes, maxLineBytes, parts)
              : longLineReason(lineBytes, maxLineBytes),
        },
      ],
      blocks: [],
      blockStarts: [],
      fields: [],
      minTime: undefined,
      maxTime: undefined,
      timedRecords: 0,
      untermedFields: [],
      detectedPrefix: undefined,
      rawTokenRecords: 0,
      skipped: 0,
      framings: [],
    },
    bytes: new Uint8Array(0),
  };
}
