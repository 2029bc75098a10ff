// The one typed boundary between the ingest main thread and its piscina workers.
// A task carries whole lines (the main thread cuts at newlines); the result is ONE ArrayBuffer
// (moved, not copied: piscina transfers only a top-level transferable) holding the compressed
// record blocks, the term pages and directories, and a JSON trailer describing them.
// Bad lines come back as data: errors thrown in a worker lose their class (piscina #141).
import type { FramingName, InputMode } from "../audit/framing/input-mode.js";
import type { RecordOrigin } from "../audit/record-origin.js";

export interface ParseTask {
  /**
   * Whole lines; the last one may lack its newline only at the end of the input. Shared memory
   * is read in place (the main thread reuses it once the result is in); an ArrayBuffer is moved.
   */
  readonly buffer: ArrayBufferLike;
  readonly byteLength: number;
  /** A device prefix to strip before every JSON object; undefined: detect text before `{`. */
  readonly prefix: string | undefined;
  /** A longer line (newline not counted) is a bad line, not parsed. */
  readonly maxLineBytes: number;
  /** The framings allowed (`--input`). */
  readonly input: InputMode;
  /** The framing the file was detected in, tried first. */
  readonly hint: FramingName | undefined;
  /** For a worker that also builds rows for another store (backend/clickhouse/row-worker.ts). */
  readonly rows?: RowContext | undefined;
  /** Where the lines come from (fields `source` and `device`). */
  readonly origin?: RecordOrigin | undefined;
}

/** What a row needs besides its record: the file's id, path and device label. */
export interface RowContext {
  readonly fileId: number;
  readonly source: string;
  readonly device: string;
}

export interface BadLine {
  /** 0-based line index within the task. */
  readonly line: number;
  readonly reason: string;
}

/** Byte spans into the result buffer. */
export type Span = readonly [offset: number, length: number];

export interface FieldPages {
  readonly code: number;
  readonly termCount: number;
  readonly directory: Span;
  readonly pages: readonly Span[];
}

export interface ParseResultMeta {
  readonly records: number;
  /** Lines consumed, including blank and bad ones. */
  readonly lines: number;
  readonly bad: readonly BadLine[];
  readonly blocks: readonly Span[];
  /**
   * The dictionary the blocks are compressed against (its stored value: bytes and CRC), when they
   * are line blocks (codec/record-block.ts); absent for part blocks.
   */
  readonly dictionary?: Span | undefined;
  /** The local id of the first record of each block. */
  readonly blockStarts: readonly number[];
  readonly fields: readonly FieldPages[];
  /** Earliest and latest `time` of the task's entries (RFC 3339), if any had one. */
  readonly minTime: string | undefined;
  readonly maxTime: string | undefined;
  /** Records with a parsable `time` (all of them, normally). */
  readonly timedRecords: number;
  /** Codes of the fields that had a value with no term (an address that does not parse). */
  readonly untermedFields: readonly number[];
  /** Prefixes detected (text before `{`), so the summary can say what was stripped. */
  readonly detectedPrefix: string | undefined;
  /**
   * Records whose client token is plaintext, not `hmac-sha256:…`: the log comes from a device
   * with log_raw=true, and the index now holds live tokens.
   */
  readonly rawTokenRecords: number;
  /** Lines that are a server's own log in a mixed stream, not audit entries (not bad lines). */
  readonly skipped: number;
  /** Framings the task's records came in, besides plain JSON. */
  readonly framings: readonly FramingName[];
  /**
   * From a row worker: the records as rows for another store (`data`) and where each row starts
   * (`starts`: u32 little-endian offsets into data). Blocks and fields are then empty.
   */
  readonly rows?: { readonly data: Span; readonly starts: Span } | undefined;
  /**
   * Where, in the task's bytes, a Docker or CRI record split into parts starts when the input
   * ended before its last part (a followed file being written): not consumed, and not counted in
   * `lines`; it is read again, whole, once the rest is there.
   */
  readonly openGroupStart?: number | undefined;
}

/** Pack the result into one buffer: payload, JSON trailer, u32 trailer length. */
export function packResult(payload: Uint8Array, meta: ParseResultMeta): ArrayBuffer {
  const trailer = Buffer.from(JSON.stringify(meta), "utf8");
  const out = new Uint8Array(payload.length + trailer.length + 4);
  out.set(payload, 0);
  out.set(trailer, payload.length);
  new DataView(out.buffer).setUint32(payload.length + trailer.length, trailer.length);
  return out.buffer;
}

export interface ParseResult {
  readonly meta: ParseResultMeta;
  readonly bytes: Uint8Array;
}

export function unpackResult(buffer: ArrayBuffer): ParseResult {
  const view = new DataView(buffer);
  const trailerLength = view.getUint32(buffer.byteLength - 4);
  const trailerStart = buffer.byteLength - 4 - trailerLength;
  const meta = JSON.parse(
    Buffer.from(buffer, trailerStart, trailerLength).toString("utf8"),
  ) as ParseResultMeta;
  return { meta, bytes: new Uint8Array(buffer, 0, trailerStart) };
}
