// Content bytes → chunks of whole lines, each in its own ArrayBuffer so it can be moved (not
// copied) to a worker. A line longer than a chunk (10 MB entries exist) grows the chunk.
// Memory: one chunk being filled plus what the caller keeps in flight.
import fs from "node:fs/promises";

export interface LineChunk {
  readonly buffer: ArrayBuffer;
  readonly byteLength: number;
  /** Content offset of the chunk's first byte. */
  readonly startByte: number;
  /** False only for the last chunk of a file whose last line has no newline. */
  readonly endsWithNewline: boolean;
  /** Offset in the chunk where its last line starts (for an unterminated tail). */
  readonly lastLineStart: number;
}

const NEWLINE = 10;

export async function* lineChunks(
  source: AsyncIterable<Buffer>,
  startByte: number,
  chunkBytes: number,
): AsyncGenerator<LineChunk> {
  let buf = Buffer.allocUnsafeSlow(chunkBytes);
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
      const nl = buf.lastIndexOf(NEWLINE, len - 1);
      if (nl < 0) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
        continue;
      }
      const cut = nl + 1;
      const next = Buffer.allocUnsafeSlow(Math.max(chunkBytes, (len - cut) * 2));
      buf.copy(next, 0, cut, len);
      yield {
        buffer: buf.buffer,
        byteLength: cut,
        startByte: pos,
        endsWithNewline: true,
        lastLineStart: buf.lastIndexOf(NEWLINE, nl - 1) + 1,
      };
      pos += cut;
      len -= cut;
      buf = next;
    }
  }
  if (len > 0) {
    const terminated = buf[len - 1] === NEWLINE;
    yield {
      buffer: buf.buffer,
      byteLength: len,
      startByte: pos,
      endsWithNewline: terminated,
      lastLineStart: buf.lastIndexOf(NEWLINE, terminated ? len - 2 : len - 1) + 1,
    };
  }
}

/**
 * Chunks of a plain file read straight into each chunk's buffer (no copy of what is read: on a
 * 1 GiB log the stream-and-copy path cost the main thread ~8% of a core). A partial last line
 * moves to the front of the next buffer, as in lineChunks.
 */
export async function* plainFileLineChunks(
  file: string,
  startByte: number,
  chunkBytes: number,
  onFileBytes?: (n: number) => void,
): AsyncGenerator<LineChunk> {
  const handle = await fs.open(file, "r");
  try {
    let buf = Buffer.allocUnsafeSlow(chunkBytes);
    let len = 0;
    let pos = startByte; // content offset of buf[0]
    let readAt = startByte;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, len, buf.length - len, readAt);
      if (bytesRead === 0) break;
      onFileBytes?.(bytesRead);
      len += bytesRead;
      readAt += bytesRead;
      if (len < buf.length) continue;
      const nl = buf.lastIndexOf(NEWLINE, len - 1);
      if (nl < 0) continue; // one line longer than the buffer: grow it
      const cut = nl + 1;
      const next = Buffer.allocUnsafeSlow(Math.max(chunkBytes, (len - cut) * 2));
      buf.copy(next, 0, cut, len);
      yield {
        buffer: buf.buffer,
        byteLength: cut,
        startByte: pos,
        endsWithNewline: true,
        lastLineStart: buf.lastIndexOf(NEWLINE, nl - 1) + 1,
      };
      pos += cut;
      len -= cut;
      buf = next;
    }
    if (len > 0) {
      const terminated = buf[len - 1] === NEWLINE;
      yield {
        buffer: buf.buffer,
        byteLength: len,
        startByte: pos,
        endsWithNewline: terminated,
        lastLineStart: buf.lastIndexOf(NEWLINE, terminated ? len - 2 : len - 1) + 1,
      };
    }
  } finally {
    await handle.close();
  }
}
