// Content bytes → chunks of whole lines, each in its own buffer (from ChunkBuffers: shared memory
// that a worker reads in place, recycled once its result is in). A line longer than a chunk
// (10 MB entries exist) grows the chunk. Memory: one chunk being filled plus what the caller
// keeps in flight.
import fs from "node:fs/promises";
import type { ChunkBuffers } from "./chunk-buffers.js";

export interface LineChunk {
  readonly buffer: ArrayBufferLike;
  readonly byteLength: number;
  /** Content offset of the chunk's first byte. */
  readonly startByte: number;
  /** False only for the last chunk of a file whose last line has no newline. */
  readonly endsWithNewline: boolean;
  /** Offset in the chunk where its last line starts (for an unterminated tail). */
  readonly lastLineStart: number;
}

const NEWLINE = 10;

/**
 * Cut a full buffer at its last newline: the chunk of whole lines, and a new buffer holding the
 * partial last line at its front. Undefined when the buffer holds no newline (grow it instead).
 */
function cutAtLastNewline(
  buf: Buffer,
  len: number,
  startByte: number,
  buffers: ChunkBuffers,
): { chunk: LineChunk; next: Buffer; rest: number } | undefined {
  const nl = buf.lastIndexOf(NEWLINE, len - 1);
  if (nl < 0) return undefined;
  const cut = nl + 1;
  const next = buffers.take(Math.max(buffers.chunkBytes, (len - cut) * 2));
  buf.copy(next, 0, cut, len);
  const chunk: LineChunk = {
    buffer: buf.buffer,
    byteLength: cut,
    startByte,
    endsWithNewline: true,
    lastLineStart: buf.lastIndexOf(NEWLINE, nl - 1) + 1,
  };
  return { chunk, next, rest: len - cut };
}

/** The last chunk of the content (its last line may lack a newline). */
function lastChunk(buf: Buffer, len: number, startByte: number): LineChunk {
  const terminated = buf[len - 1] === NEWLINE;
  return {
    buffer: buf.buffer,
    byteLength: len,
    startByte,
    endsWithNewline: terminated,
    lastLineStart: buf.lastIndexOf(NEWLINE, terminated ? len - 2 : len - 1) + 1,
  };
}

function grow(buf: Buffer, len: number, buffers: ChunkBuffers): Buffer {
  const bigger = buffers.take(buf.length * 2);
  buf.copy(bigger, 0, 0, len);
  return bigger;
}

export async function* lineChunks(
  source: AsyncIterable<Buffer>,
  startByte: number,
  buffers: ChunkBuffers,
): AsyncGenerator<LineChunk> {
  let buf: Buffer = buffers.take(buffers.chunkBytes);
  let len = 0;
  let pos = startByte;
  for await (const piece of source) {
    let off = 0;
    while (off < piece.length) {
      const n = Math.min(piece.length - off, buf.length - len);
      piece.copy(buf, len, off, off + n);
      len += n;
      off += n;
      if (len < buf.length) continue;
      const cut = cutAtLastNewline(buf, len, pos, buffers);
      if (!cut) {
        buf = grow(buf, len, buffers); // one line longer than the buffer
        continue;
      }
      yield cut.chunk;
      pos += cut.chunk.byteLength;
      len = cut.rest;
      buf = cut.next;
    }
  }
  if (len > 0) yield lastChunk(buf, len, pos);
}

/**
 * Chunks of a plain file read straight into each chunk's buffer (no copy of what is read: on a
 * 1 GiB log the stream-and-copy path cost the main thread ~8% of a core). A partial last line
 * moves to the front of the next buffer, as in lineChunks.
 */
export async function* plainFileLineChunks(
  file: string,
  startByte: number,
  buffers: ChunkBuffers,
  onFileBytes?: (n: number) => void,
): AsyncGenerator<LineChunk> {
  const handle = await fs.open(file, "r");
  try {
    let buf: Buffer = buffers.take(buffers.chunkBytes);
    let len = 0;
    let pos = startByte; // content offset of buf[0]
    let readAt = startByte;
    for (;;) {
      if (len === buf.length) buf = grow(buf, len, buffers); // one line longer than the buffer
      const { bytesRead } = await handle.read(buf, len, buf.length - len, readAt);
      if (bytesRead === 0) break;
      onFileBytes?.(bytesRead);
      len += bytesRead;
      readAt += bytesRead;
      if (len < buf.length) continue;
      const cut = cutAtLastNewline(buf, len, pos, buffers);
      if (!cut) continue;
      yield cut.chunk;
      pos += cut.chunk.byteLength;
      len = cut.rest;
      buf = cut.next;
    }
    if (len > 0) yield lastChunk(buf, len, pos);
  } finally {
    await handle.close();
  }
}
