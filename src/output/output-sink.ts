// Writes output to a Writable in batches with backpressure. Chunks are gathered and written
// together once FLUSH_BYTES have piled up, or on the next turn of the event loop (so the first
// result appears as soon as the pipeline waits for more, README: results stream); when the
// Writable says its buffer is full, the next write waits for `drain`. The `drain` listener goes on
// when the buffer fills, not when a write starts waiting: a batch flushed on a later turn may fill
// the buffer and the reader empty it before the next result is ready (rows arriving from the
// network), and that `drain` must not be missed. A stream error (EPIPE when the reader went away)
// rejects the pending and all later writes with that error, and so does the Writable closing (an
// HTTP client gone emits `close`, no `error`): a write that came after the `close` would otherwise
// wait for a `drain` or `close` that will not come again, holding its query slot for good.
/** Batch size: one write per ~64 KiB instead of one per line (a syscall each on a pipe). */
export const FLUSH_BYTES = 64 << 10;

export class OutputSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private needDrain = false;
  /** Writes waiting for `drain`. */
  private drainWaiters: (() => void)[] = [];
  private failure: Error | undefined;

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on("error", this.onError);
    out.on("close", this.onClose);
  }

  private readonly onError = (e: Error): void => {
    this.failure ??= e;
    this.wake();
  };

  private readonly onClose = (): void => {
    this.failure ??= new Error("output closed");
    this.wake();
  };

  private readonly onDrain = (): void => {
    this.needDrain = false;
    this.wake();
  };

  /** Resume the writes waiting for `drain`: they go on, or fail with `failure` once there is one. */
  private wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Queue a chunk; resolves when it may be followed by more (after `drain` if needed). */
  async write(chunk: string | Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flushNow();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flushNow();
      });
    }
    if (this.needDrain) await this.drained();
  }

  private flushNow(): void {
    if (this.pending.length === 0 || this.failure) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.out.write(data) && !this.needDrain) {
      this.needDrain = true;
      this.out.once("drain", this.onDrain);
    }
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (!this.needDrain) return resolve();
      this.drainWaiters.push(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }

  /** Write whatever is pending and wait until the Writable has taken it. */
  async flush(): Promise<void> {
    this.flushNow();
    if (this.needDrain) await this.drained();
    if (this.failure) throw this.failure;
  }

  /** Stop listening to the Writable (call once, after the last flush or on failure). */
  close(): void {
    this.out.removeListener("error", this.onError);
    this.out.removeListener("close", this.onClose);
    this.out.removeListener("drain", this.onDrain);
  }
}
