// The one typed boundary between `compare`'s main thread and its piscina workers: a task is a
// chunk of whole lines of one file (shared memory read in place, or a moved buffer); the result is
// the summaries of its audit entries (compare-entry.ts), column by column, and its bad lines as
// data (errors thrown in a worker lose their class: piscina #141). Entries the worker could read
// in place (compare-in-place.ts) come as byte offsets into the task's shared memory instead of
// flattened strings.
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import type { InPlaceColumns } from "./compare-in-place.js";

export interface CompareTask {
  readonly buffer: ArrayBufferLike;
  readonly byteLength: number;
  /** The framings allowed (`--input`). */
  readonly input: InputMode;
  /** The framing the file was detected in, tried first. */
  readonly hint: FramingName | undefined;
  /** The main thread keeps the buffer (shared memory) until the entries are matched. */
  readonly inPlace: boolean;
}

export interface CompareBadLine {
  /** 0-based line index within the chunk. */
  readonly line: number;
  readonly reason: string;
}

/** The audit entries of a chunk, one array slot per entry, in line order. */
export interface CompareChunk {
  /** Lines consumed, blank and bad ones included. */
  readonly lines: number;
  /** 0-based line index within the chunk of each entry (its first line when reassembled). */
  readonly lineOf: readonly number[];
  readonly keys: readonly string[];
  readonly times: readonly string[];
  readonly timeMs: readonly number[];
  readonly paths: readonly string[];
  /** Flattened leaves (compare-entry.ts); "" for an entry read in place. */
  readonly plains: readonly string[];
  readonly hmacs: readonly string[];
  readonly bad: readonly CompareBadLine[];
  /** Where the entries read in place are; absent when none was (every entry flattened). */
  readonly inPlace?: InPlaceColumns;
}
