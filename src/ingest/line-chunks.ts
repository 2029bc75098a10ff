// Content bytes → chunks of whole lines, each in its own buffer (from ChunkBuffers: shared memory
// that a worker reads in place, recycled once its result is in). A line longer than a chunk
// (10 MB entries exist) grows the chunk, up to the line limit; a line past the limit is skipped
// as its bytes stream by, up to its newline, and comes out as a LongLine (its place and length,
// never its bytes). A chunk never ends inside a Docker or CRI record split into parts; one whose
// parts together pass the limit is skipped the same way, to the newline of its last part. Memory:
// one chunk being filled (at most maxLineBytes + 1 while a long line grows it) plus what the caller
// keeps in flight.
import fs from "node:fs/promises";
import type { ChunkBuffers } from "./chunk-buffers.js";

export interface LineChunk {
  readonly kind: "lines";
  readonly buffer: ArrayBufferLike;
  readonly byteLength: number;
  /** Content offset of the chunk's first byte. */
  readonly startByte: number;
  /** False only for the last chunk of a file whose last line has no newline. */
  readonly endsWithNewline: boolean;
  /** Offset in the chunk where its last line starts (for an unterminated tail). */
  readonly lastLineStart: number;
}

/** One line longer than the limit, skipped: a bad line, consumed like any other. */
export interface LongLine {
  readonly kind: "long";
  /** Content offset of the line's first byte. */
  readonly startByte: number;
  /** Content bytes it takes, its newline included. */
  readonly byteLength: number;
  /** Its length without the newline. */
  readonly lineBytes: number;
  /** False only when the content ends inside it (it may still be being written). */
  readonly endsWithNewline: boolean;
  readonly lastLineStart: 0;
  /** Lines it takes: more than one for a Docker or CRI record split into parts. */
  readonly lines: number;
  /** The parts of such a record seen (0: a plain line). */
  readonly parts: number;
}

export type ContentPiece = LineChunk | LongLine;

/** True for a line (no line ending) whose record goes on in the next line (a Docker or CRI part). */
export type IsPartialLine = (line: string) => boolean;

const NEWLINE = 10;
const CR = 13;

/**
 * The cutting state shared by both readers: `buf[0, len)` holds content from offset `pos` on;
 * while `skipping`, the bytes of a long line that started at `pos` are counted, not kept.
 */
class LineCutter {
  buf: Buffer;
  len = 0;
  skipping = false;
  private skipped = 0;
  /**
   * While skipping a Docker or CRI record split into parts (its parts together past the limit):
   * its lines so far, and the bytes of the line being skipped (at most the limit), read once it
   * ends to tell whether the record goes on.
   */
  private group: { lines: number; line: Buffer[]; lineBytes: number } | undefined;

  constructor(
    public pos: number,
    private readonly buffers: ChunkBuffers,
    private readonly maxLineBytes: number,
    private readonly isPartial: IsPartialLine | undefined,
  ) {
    this.buf = buffers.take(buffers.chunkBytes);
  }

  /**
   * Where the chunk ends: after the last newline that does not end a partial line, so a record's
   * parts are never split between chunks (each is parsed by another worker); -1 for none.
   */
  private cutAt(): number {
    const { buf, len, isPartial } = this;
    let nl = buf.lastIndexOf(NEWLINE, len - 1);
    while (isPartial !== undefined && nl >= 0) {
      const start = nl === 0 ? 0 : buf.lastIndexOf(NEWLINE, nl - 1) + 1;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      if (!isPartial(buf.toString("utf8", start, end))) break;
      nl = start - 1;
    }
    return nl;
  }

  /**
   * The buffer is full: the chunk of its whole lines (if any) comes out, and the partial last
   * line moves to the front of a buffer with room for it, or, once longer than the limit, is
   * dropped and skipped from then on.
   */
  full(): LineChunk | undefined {
    const { buf, len, buffers } = this;
    const nl = this.cutAt();
    const cut = nl + 1;
    const tail = len - cut;
    let chunk: LineChunk | undefined;
    if (nl >= 0) {
      chunk = {
        kind: "lines",
        buffer: buf.buffer,
        byteLength: cut,
        startByte: this.pos,
        endsWithNewline: true,
        lastLineStart: buf.lastIndexOf(NEWLINE, nl - 1) + 1,
      };
      this.pos += cut;
    }
    if (tail > this.maxLineBytes) {
      this.skipping = true;
      this.skipped = tail;
      // Whole lines in the tail are the parts of one record (cutAt walked back over them).
      const lastNl = buf.lastIndexOf(NEWLINE, len - 1);
      if (lastNl >= cut) {
        let lines = 0;
        for (let i = cut; i <= lastNl; i++) if (buf[i] === NEWLINE) lines++;
        this.group = { lines, line: [], lineBytes: 0 };
        this.keepLine(buf.subarray(lastNl + 1, len));
      }
      // The full buffer is still free when no chunk took it, and reusable at the standard size.
      if (chunk !== undefined || buf.length !== buffers.chunkBytes) {
        this.buf = buffers.take(buffers.chunkBytes);
      }
      this.len = 0;
    } else if (chunk !== undefined) {
      this.buf = buffers.take(Math.max(buffers.chunkBytes, this.roomFor(tail)));
      buf.copy(this.buf, 0, cut, len);
      this.len = tail;
    } else {
      this.buf = buffers.take(this.roomFor(len)); // one line longer than the buffer
      buf.copy(this.buf, 0, 0, len);
    }
    return chunk;
  }

  /**
   * A buffer size for a partial line of `lineBytes` (at most the limit): twice that, or, when
   * twice is past half the limit (the next growth would reach it anyway), room for the longest
   * line allowed and its newline. A 200 MB line then costs buffers of 16, 32 and 64 MiB, not
   * also one of 64 MiB + 1 that a whole 64 MiB is copied into to read one more byte.
   */
  private roomFor(lineBytes: number): number {
    const twice = lineBytes * 2;
    return twice > (this.maxLineBytes + 1) / 2 ? this.maxLineBytes + 1 : twice;
  }

  /** Keep a copy of bytes of the group's current line (up to the limit: the rest is not needed). */
  private keepLine(bytes: Buffer): void {
    const g = this.group!;
    if (g.lineBytes + bytes.length <= this.maxLineBytes) g.line.push(Buffer.from(bytes));
    g.lineBytes += bytes.length;
  }

  /** Whether the group's line just ended is a part that the next line continues. */
  private lineContinues(): boolean {
    const g = this.group!;
    const kept = g.lineBytes <= this.maxLineBytes ? Buffer.concat(g.line) : Buffer.alloc(0);
    g.line = [];
    g.lineBytes = 0;
    const end = kept.length > 0 && kept[kept.length - 1] === CR ? kept.length - 1 : kept.length;
    return this.isPartial!(kept.toString("utf8", 0, end));
  }

  /**
   * While skipping: count `bytes[from, to)` as the long line's, up to its newline (a record's
   * parts: up to the newline of its last part). Returns the offset just past that newline (the
   * skip is over), or -1 when the line goes on.
   */
  skip(bytes: Buffer, from: number, to: number): number {
    let at = from;
    for (;;) {
      const nl = bytes.subarray(at, to).indexOf(NEWLINE);
      if (nl < 0) {
        if (this.group) this.keepLine(bytes.subarray(at, to));
        this.skipped += to - at;
        return -1;
      }
      this.skipped += nl;
      if (this.group === undefined) return at + nl + 1;
      this.keepLine(bytes.subarray(at, at + nl));
      this.group.lines++;
      if (!this.lineContinues()) return at + nl + 1;
      this.skipped += 1; // a newline inside the record
      at += nl + 1;
    }
  }

  /** The skipped line, once its newline (or the end of the content) is reached. */
  endSkip(endsWithNewline: boolean): LongLine {
    const lineBytes = this.skipped;
    const byteLength = lineBytes + (endsWithNewline ? 1 : 0);
    const g = this.group;
    const long: LongLine = {
      kind: "long",
      startByte: this.pos,
      byteLength,
      lineBytes,
      endsWithNewline,
      lastLineStart: 0,
      // Cut off while still being written: one line, read again whole next time.
      lines: g !== undefined && endsWithNewline ? g.lines : 1,
      parts: g === undefined ? 0 : g.lines + (endsWithNewline ? 0 : 1),
    };
    this.pos += byteLength;
    this.skipping = false;
    this.skipped = 0;
    this.group = undefined;
    return long;
  }

  /** What is left at the end of the content (its last line may lack a newline). */
  finish(): ContentPiece | undefined {
    if (this.skipping) return this.endSkip(false);
    const { buf, len } = this;
    if (len === 0) return undefined;
    const terminated = buf[len - 1] === NEWLINE;
    return {
      kind: "lines",
      buffer: buf.buffer,
      byteLength: len,
      startByte: this.pos,
      endsWithNewline: terminated,
      lastLineStart: buf.lastIndexOf(NEWLINE, terminated ? len - 2 : len - 1) + 1,
    };
  }
}

export async function* lineChunks(
  source: AsyncIterable<Buffer>,
  startByte: number,
  buffers: ChunkBuffers,
  maxLineBytes: number,
  isPartial?: IsPartialLine,
): AsyncGenerator<ContentPiece> {
  const cutter = new LineCutter(startByte, buffers, maxLineBytes, isPartial);
  for await (const piece of source) {
    let off = 0;
    while (off < piece.length) {
      if (cutter.skipping) {
        const after = cutter.skip(piece, off, piece.length);
        if (after < 0) break;
        yield cutter.endSkip(true);
        off = after;
        continue;
      }
      const { buf } = cutter;
      const n = Math.min(piece.length - off, buf.length - cutter.len);
      piece.copy(buf, cutter.len, off, off + n);
      cutter.len += n;
      off += n;
      if (cutter.len < buf.length) continue;
      const chunk = cutter.full();
      if (chunk) yield chunk;
    }
  }
  const last = cutter.finish();
  if (last) yield last;
}

/**
 * Chunks of a plain file read straight into each chunk's buffer (no copy of what is read: on a
 * 1 GiB log the stream-and-copy path cost the main thread ~8% of a core). A partial last line
 * moves to the front of the next buffer, as in lineChunks; a long line is read through the
 * buffer and forgotten.
 */
export async function* plainFileLineChunks(
  file: string,
  startByte: number,
  buffers: ChunkBuffers,
  maxLineBytes: number,
  onFileBytes?: (n: number) => void,
  isPartial?: IsPartialLine,
): AsyncGenerator<ContentPiece> {
  const handle = await fs.open(file, "r");
  try {
    const cutter = new LineCutter(startByte, buffers, maxLineBytes, isPartial);
    let readAt = startByte;
    for (;;) {
      const { buf } = cutter;
      const at = cutter.skipping ? 0 : cutter.len;
      const { bytesRead } = await handle.read(buf, at, buf.length - at, readAt);
      if (bytesRead === 0) break;
      onFileBytes?.(bytesRead);
      readAt += bytesRead;
      if (cutter.skipping) {
        const after = cutter.skip(buf, 0, bytesRead);
        if (after < 0) continue;
        yield cutter.endSkip(true);
        buf.copyWithin(0, after, bytesRead); // what follows the long line
        cutter.len = bytesRead - after;
        continue;
      }
      cutter.len += bytesRead;
      if (cutter.len < buf.length) continue;
      const chunk = cutter.full();
      if (chunk) yield chunk;
    }
    const last = cutter.finish();
    if (last) yield last;
  } finally {
    await handle.close();
  }
}
