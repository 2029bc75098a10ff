// The memory chunks are read into, recycled. Each chunk used to be a fresh 16 MiB buffer moved to
// a worker and dropped there: a GiB of new pages per GiB indexed, each zeroed by the kernel on
// first touch (~4 % of an ingest's CPU in perf). Chunks now live on SharedArrayBuffers, which a
// worker reads in place (shared, not moved), and come back here once the chunk's result is in.
// Only standard-size buffers are kept; a chunk grown for a long line is left to the GC.

/** At most this many idle buffers are kept (the reader holds one, the workers a few each). */
const MAX_IDLE = 8;

export class ChunkBuffers {
  private readonly idle: SharedArrayBuffer[] = [];

  constructor(readonly chunkBytes: number) {}

  /** A buffer of at least `size` bytes (a recycled one when it fits in a standard chunk). */
  take(size: number): Buffer {
    if (size > this.chunkBytes) return Buffer.from(new SharedArrayBuffer(size));
    return Buffer.from(this.idle.pop() ?? new SharedArrayBuffer(this.chunkBytes));
  }

  /** Give back a chunk's memory: call only once no worker can read it any more. */
  give(memory: ArrayBufferLike): void {
    if (
      memory instanceof SharedArrayBuffer &&
      memory.byteLength === this.chunkBytes &&
      this.idle.length < MAX_IDLE
    ) {
      this.idle.push(memory);
    }
  }
}
