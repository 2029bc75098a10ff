// How many queries run at once, and how many may wait: a heavy query holds one slot, so it cannot
// starve the others beyond that, and a flood beyond the queue is refused (429) at once instead of
// piling up. A waiter whose client goes away leaves the queue.
import { HttpError } from "./http-errors.js";

/** Two cores run the engine; more queries at once only interleave (measured: no gain past 4). */
export const MAX_RUNNING_QUERIES = 4;
/** Waiting room: 50 concurrent clients (the bench) wait rather than fail. */
export const MAX_WAITING_QUERIES = 256;

export interface SlotCounts {
  readonly running: number;
  readonly waiting: number;
  readonly maxRunning: number;
  readonly maxWaiting: number;
}

export class QuerySlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxRunning = MAX_RUNNING_QUERIES,
    private readonly maxWaiting = MAX_WAITING_QUERIES,
  ) {}

  counts(): SlotCounts {
    return {
      running: this.running,
      waiting: this.waiting.length,
      maxRunning: this.maxRunning,
      maxWaiting: this.maxWaiting,
    };
  }

  /** A slot (call the returned function to give it back); 429 when the queue is full. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (this.running < this.maxRunning) {
      this.running++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxWaiting) {
      throw new HttpError(
        429,
        `too many queries: ${this.maxRunning} running and ${this.maxWaiting} waiting`,
        "try again in a moment",
      );
    }
    await new Promise<void>((resolve, reject) => {
      const turn = (): void => {
        signal.removeEventListener("abort", gone);
        resolve();
      };
      const gone = (): void => {
        const i = this.waiting.indexOf(turn);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new HttpError(499, "the client went away"));
      };
      if (signal.aborted) return gone();
      this.waiting.push(turn);
      signal.addEventListener("abort", gone, { once: true });
    });
    // The slot was handed over by the releaser (running stays counted).
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
