// A file's content as a byte stream, from a given content offset: plain files are read from that
// offset; gzip files (by magic number, whatever the name) are decompressed and the first bytes
// skipped. Also the file's head (first HEAD_BYTES of content), which is its identity.
import { createHash } from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";

/** 4 KiB of content identify a log: a rotated or replaced file differs within its first entries. */
export const HEAD_BYTES = 4096;
const READ_BYTES = 4 << 20; // 4 MiB reads: few syscalls, bounded memory

export function isGzip(file: string): boolean {
  const fd = fs.openSync(file, "r");
  try {
    const magic = Buffer.alloc(2);
    return fs.readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

function open(
  file: string,
  gzip: boolean,
  start: number,
  onFileBytes?: (n: number) => void,
): NodeJS.ReadableStream {
  const raw = fs.createReadStream(file, { start: gzip ? 0 : start, highWaterMark: READ_BYTES });
  if (onFileBytes) raw.on("data", (chunk) => onFileBytes(chunk.length));
  if (!gzip) return raw;
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on("error", (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/** Content from `offset` on, as Buffers (gzip: decompressed, with the first `offset` bytes dropped). */
export async function* contentFrom(
  file: string,
  gzip: boolean,
  offset: number,
  onFileBytes?: (n: number) => void,
): AsyncGenerator<Buffer> {
  let skip = gzip ? offset : 0;
  for await (const chunk of open(file, gzip, offset, onFileBytes) as AsyncIterable<Buffer>) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    yield skip > 0 ? chunk.subarray(skip) : chunk;
    skip = 0;
  }
}

/** The first up-to-`bytes` bytes of content. */
export async function readHead(file: string, gzip: boolean, bytes = HEAD_BYTES): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  const stream = open(file, gzip, 0) as NodeJS.ReadableStream & { destroy(): void };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      have += chunk.length;
      if (have >= bytes) break;
    }
  } catch (err) {
    // A truncated gzip still has a readable head; the full read reports the damage.
    if (have === 0) throw err;
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

export function hashHead(head: Uint8Array): string {
  return createHash("sha256").update(head).digest("hex");
}
